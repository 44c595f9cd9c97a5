/**
 * Frames: how envelopes travel on a QUIC stream. A frame is a 4-byte big-endian header followed by one msgpack
 * payload holding one envelope. The header's low 31 bits are the payload length; its top bit says the payload was
 * written by a per-stream structures encoder (see `createCodec`), so a receiver decodes either kind without
 * negotiation. Datagrams carry one bare msgpack payload (no header): they are self-contained by nature.
 *
 * What survives the trip: JSON values, `undefined`, `Uint8Array` (decoded as a plain `Uint8Array` with memory of its
 * own, never a Node `Buffer` or a view of the received chunk), `Date`, and `bigint` within 64 bits. What changes: -0
 * arrives as 0, and an object key `__proto__` arrives as `__proto_` (msgpackr's guard against prototype pollution);
 * `Map` and `Set` arrive as a plain object and an array.
 */
import { type Packr, RESERVE_START_SPACE, REUSE_BUFFER_MODE } from 'msgpackr/pack'
import type { Unpackr } from 'msgpackr/unpack'
import { type Envelope, validateEnvelope } from './envelope.js'
import { ProtocolErrorCode, QmsError } from './errors.js'
import { asPlainBytes, newStructuresUnpackr, ownView, plainPackr, plainUnpackr } from './msgpack.js'

/** Bytes of the frame header. */
export const FRAME_HEADER_SIZE = 4
/** Default largest payload a decoder accepts: 16 MiB. */
export const DEFAULT_MAX_FRAME_SIZE = 16 * 1024 * 1024
/** Largest payload the header can describe (31 bits). */
export const MAX_FRAME_SIZE_LIMIT = 0x7fff_ffff

const STRUCTURES_FLAG = 0x8000_0000
const LENGTH_MASK = 0x7fff_ffff
// A partial frame's buffer starts at most this big and then at most doubles, so a header claiming 16 MiB costs
// memory in proportion to the bytes that actually arrived, not to the claim.
const INITIAL_PARTIAL_CAPACITY = 64 * 1024

function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e)
}

/** @internal Validates a size option (1 .. {@link MAX_FRAME_SIZE_LIMIT}). */
export function checkMaxFrameSize(n: number, name = 'maxFrameSize'): number {
  if (!Number.isInteger(n) || n < 1 || n > MAX_FRAME_SIZE_LIMIT) {
    const message = `${name} must be an integer from 1 to ${MAX_FRAME_SIZE_LIMIT}`
    throw new QmsError(ProtocolErrorCode.INVALID_ARGUMENT, message, { details: { [name]: n } })
  }
  return n
}

/** What msgpackr returns in `REUSE_BUFFER_MODE`: its whole target buffer, with the payload's range on it. */
type ReusedTarget = Uint8Array & { start: number; end: number }

function pack(packr: Packr, env: Envelope, reserve: number, reuse = false): Uint8Array {
  validateEnvelope(env)
  try {
    if (reuse) {
      // The payload's range comes back on the target itself, so the one view we hand out is the only allocation.
      const t = packr.pack(env, REUSE_BUFFER_MODE | RESERVE_START_SPACE | reserve) as unknown as ReusedTarget
      return new Uint8Array(t.buffer, t.byteOffset + t.start, t.end - t.start)
    }
    return packr.pack(env, reserve === 0 ? undefined : RESERVE_START_SPACE | reserve)
  } catch (cause) {
    throw new QmsError(ProtocolErrorCode.ENCODE_FAILED, `cannot encode envelope: ${errorMessage(cause)}`, {
      cause,
      details: { id: env.id, type: env.type },
    })
  }
}

function tooLarge(size: number, maxFrameSize: number): QmsError {
  const message = `frame of ${size} bytes exceeds the limit of ${maxFrameSize}`
  return new QmsError(ProtocolErrorCode.FRAME_TOO_LARGE, message, { details: { size, maxFrameSize } })
}

/**
 * @internal Encodes one frame with `packr`; `structures` sets the header flag. Shared by the plain and codec paths.
 * The result is a view into `packr`'s buffer (a `Buffer` when msgpackr allocated it): callers that hand it out wrap
 * it with `ownView`. With `view`, it is a plain `Uint8Array` already (made without the intermediate `Buffer`).
 */
export function packFrame(
  packr: Packr,
  env: Envelope,
  structures: boolean,
  maxFrameSize: number,
  view = false,
): Uint8Array {
  // msgpackr leaves room for the header in front of the payload, so the frame is built without a copy.
  const out = pack(packr, env, FRAME_HEADER_SIZE, view)
  const size = out.length - FRAME_HEADER_SIZE
  if (size > maxFrameSize) throw tooLarge(size, maxFrameSize)
  const header = (structures ? STRUCTURES_FLAG | size : size) >>> 0
  out[0] = header >>> 24
  out[1] = (header >>> 16) & 0xff
  out[2] = (header >>> 8) & 0xff
  out[3] = header & 0xff
  return out
}

/** Options of {@link encodeFrame}. */
export interface EncodeFrameOptions {
  /** Refuse to produce a payload larger than this (fail at the sender rather than at the receiver). Default 16 MiB. */
  maxFrameSize?: number
}

/**
 * Encodes one envelope as a self-contained frame (plain msgpack, no per-stream state). The envelope is validated
 * first, so a malformed one fails here instead of poisoning the receiver's stream.
 *
 * @throws QmsError `ERR_ENVELOPE_INVALID`, `ERR_ENCODE_FAILED`, `ERR_FRAME_TOO_LARGE`.
 */
export function encodeFrame(env: Envelope, options: EncodeFrameOptions = {}): Uint8Array {
  const max = options.maxFrameSize === undefined ? DEFAULT_MAX_FRAME_SIZE : checkMaxFrameSize(options.maxFrameSize)
  return ownView(packFrame(plainPackr, env, false, max))
}

/** Options of a {@link FrameDecoder}. */
export interface FrameDecoderOptions {
  /** Largest payload accepted, checked against the header before anything is allocated. Default 16 MiB. */
  maxFrameSize?: number
}

/**
 * Turns the byte chunks of one stream back into envelopes. Chunks may split frames anywhere and may hold many
 * frames. Frames wholly inside a chunk are decoded in place (no copy); only a frame spanning chunks is assembled in a
 * buffer of its own.
 *
 * A decoder is bound to one stream: it learns the structures a structures encoder defines, in order. After any error
 * it is poisoned: every later call throws an error with the same code, because bytes after a corrupt frame cannot be
 * trusted to start at a frame boundary.
 */
export class FrameDecoder {
  /** Largest payload accepted. */
  readonly maxFrameSize: number

  readonly #head = new Uint8Array(FRAME_HEADER_SIZE)
  #headLen = 0
  /** Payload of the frame being assembled; its capacity grows towards `#need`. */
  #frame: Uint8Array | null = null
  #filled = 0
  #need = 0
  #flagged = false
  #structures: Unpackr | undefined
  #failure: QmsError | undefined
  readonly #range = { start: 0, end: 0 }

  constructor(options: FrameDecoderOptions = {}) {
    this.maxFrameSize =
      options.maxFrameSize === undefined ? DEFAULT_MAX_FRAME_SIZE : checkMaxFrameSize(options.maxFrameSize)
  }

  /** Bytes received of a frame that has not fully arrived yet, header included. */
  get buffered(): number {
    return this.#frame === null ? this.#headLen : FRAME_HEADER_SIZE + this.#filled
  }

  /**
   * Feeds the next chunk of the stream; returns the envelopes it completed, in order (often none or one). If the
   * chunk holds a bad frame, envelopes decoded before it in the same chunk are discarded with the stream.
   *
   * @throws QmsError `ERR_FRAME_TOO_LARGE` (header over `maxFrameSize`), `ERR_FRAME_MALFORMED` (empty or
   * undecodable payload; msgpackr's error is the `cause`), `ERR_ENVELOPE_INVALID` (decodes, but is no envelope).
   */
  push(chunk: Uint8Array): Envelope[] {
    if (this.#failure !== undefined) throw this.#poisoned()
    const out: Envelope[] = []
    try {
      this.#consume(asPlainBytes(chunk), out)
    } catch (e) {
      this.#failure =
        e instanceof QmsError
          ? e
          : new QmsError(ProtocolErrorCode.FRAME_MALFORMED, `frame decoding failed: ${errorMessage(e)}`, { cause: e })
      this.#frame = null
      this.#headLen = this.#filled = 0
      throw this.#failure
    }
    return out
  }

  /**
   * Declares the end of the stream.
   * @throws QmsError `ERR_FRAME_TRUNCATED` when the stream ended inside a frame.
   */
  finish(): void {
    if (this.#failure !== undefined) throw this.#poisoned()
    if (this.buffered > 0) {
      this.#failure = new QmsError(
        ProtocolErrorCode.FRAME_TRUNCATED,
        `stream ended inside a frame (${this.buffered} bytes buffered)`,
        { details: { buffered: this.buffered } },
      )
      throw this.#failure
    }
  }

  #poisoned(): QmsError {
    const f = this.#failure!
    return new QmsError(f.code, `decoder is unusable after an earlier error: ${f.message}`, {
      cause: f,
      ...(f.details === undefined ? {} : { details: { ...f.details } }),
    })
  }

  #consume(src: Uint8Array, out: Envelope[]): void {
    const n = src.length
    let off = this.#headLen > 0 || this.#frame !== null ? this.#resume(src, out) : 0
    while (n - off >= FRAME_HEADER_SIZE) {
      const header = readHeader(src, off)
      const size = this.#checkSize(header)
      const start = off + FRAME_HEADER_SIZE
      if (n - start < size) {
        this.#begin(header, size, src, start)
        return
      }
      out.push(this.#decode(src, start, start + size, header >= STRUCTURES_FLAG))
      off = start + size
    }
    if (off < n) {
      this.#head.set(src.subarray(off), 0)
      this.#headLen = n - off
    }
  }

  /** Continues a header or frame left incomplete by earlier chunks; returns how much of `src` it used. */
  #resume(src: Uint8Array, out: Envelope[]): number {
    const n = src.length
    let off = 0
    if (this.#frame === null) {
      const take = Math.min(FRAME_HEADER_SIZE - this.#headLen, n)
      this.#head.set(src.subarray(0, take), this.#headLen)
      this.#headLen += take
      off = take
      if (this.#headLen < FRAME_HEADER_SIZE) return off
      const header = readHeader(this.#head, 0)
      const size = this.#checkSize(header)
      this.#headLen = 0
      if (n - off >= size) {
        out.push(this.#decode(src, off, off + size, header >= STRUCTURES_FLAG))
        return off + size
      }
      this.#begin(header, size, src, off)
      return n
    }
    const take = Math.min(this.#need - this.#filled, n)
    this.#append(src, 0, take)
    if (this.#filled < this.#need) return take
    const frame = this.#frame
    this.#frame = null
    this.#filled = 0
    out.push(this.#decode(frame, 0, this.#need, this.#flagged))
    return take
  }

  #checkSize(header: number): number {
    const size = header & LENGTH_MASK
    if (size > this.maxFrameSize) throw tooLarge(size, this.maxFrameSize)
    if (size === 0) throw new QmsError(ProtocolErrorCode.FRAME_MALFORMED, 'empty frame', { details: { size } })
    return size
  }

  #begin(header: number, size: number, src: Uint8Array, start: number): void {
    this.#need = size
    this.#flagged = header >= STRUCTURES_FLAG
    this.#frame = new Uint8Array(Math.min(size, Math.max(INITIAL_PARTIAL_CAPACITY, src.length - start)))
    this.#filled = 0
    this.#append(src, start, src.length)
  }

  #append(src: Uint8Array, from: number, to: number): void {
    let frame = this.#frame!
    const required = this.#filled + (to - from)
    if (required > frame.length) {
      const grown = new Uint8Array(Math.min(this.#need, Math.max(frame.length * 2, required)))
      grown.set(frame.subarray(0, this.#filled), 0)
      frame = this.#frame = grown
    }
    frame.set(src.subarray(from, to), this.#filled)
    this.#filled = required
  }

  #decode(src: Uint8Array, start: number, end: number, structures: boolean): Envelope {
    let unpackr = plainUnpackr
    if (structures) {
      this.#structures ??= newStructuresUnpackr()
      unpackr = this.#structures
    }
    const range = this.#range
    range.start = start
    range.end = end
    let value: unknown
    try {
      value = unpackr.unpack(src, range)
    } catch (cause) {
      throw new QmsError(
        ProtocolErrorCode.FRAME_MALFORMED,
        `undecodable frame payload (${end - start} bytes): ${errorMessage(cause)}`,
        { cause, details: { size: end - start } },
      )
    }
    return validateEnvelope(value)
  }
}

function readHeader(b: Uint8Array, o: number): number {
  return b[o]! * 0x100_0000 + ((b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!)
}

/**
 * Decodes the envelopes of a whole stream: feeds every chunk to `decoder` and checks at the end that the stream did
 * not stop inside a frame.
 *
 * @throws QmsError as {@link FrameDecoder.push} and {@link FrameDecoder.finish}.
 */
export async function* readEnvelopes(
  source: AsyncIterable<Uint8Array>,
  decoder: FrameDecoder = new FrameDecoder(),
): AsyncGenerator<Envelope, void, undefined> {
  for await (const chunk of source) yield* decoder.push(chunk)
  decoder.finish()
}

/**
 * Encodes one envelope as a datagram payload: bare plain msgpack, no header, no state (datagrams may be lost or
 * reordered, so nothing may depend on an earlier one). Whether it fits is the transport's call
 * (`QuicConnection.maxDatagramSize`).
 *
 * @throws QmsError `ERR_ENVELOPE_INVALID`, `ERR_ENCODE_FAILED`.
 */
export function encodeDatagram(env: Envelope): Uint8Array {
  return ownView(pack(plainPackr, env, 0))
}

/**
 * Decodes a datagram payload made by {@link encodeDatagram}.
 *
 * @param maxSize Largest payload accepted; default 16 MiB (QUIC datagrams are far smaller, so this is only a guard).
 * @throws QmsError `ERR_FRAME_TOO_LARGE`, `ERR_FRAME_MALFORMED`, `ERR_ENVELOPE_INVALID`.
 */
export function decodeDatagram(bytes: Uint8Array, maxSize: number = DEFAULT_MAX_FRAME_SIZE): Envelope {
  checkMaxFrameSize(maxSize, 'maxSize')
  if (bytes.length > maxSize) throw tooLarge(bytes.length, maxSize)
  if (bytes.length === 0)
    throw new QmsError(ProtocolErrorCode.FRAME_MALFORMED, 'empty datagram', { details: { size: 0 } })
  let value: unknown
  try {
    value = plainUnpackr.unpack(asPlainBytes(bytes))
  } catch (cause) {
    throw new QmsError(
      ProtocolErrorCode.FRAME_MALFORMED,
      `undecodable datagram (${bytes.length} bytes): ${errorMessage(cause)}`,
      { cause, details: { size: bytes.length } },
    )
  }
  return validateEnvelope(value)
}
