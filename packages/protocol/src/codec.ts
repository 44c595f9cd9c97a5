import type { Envelope } from './envelope.js'
import { checkMaxFrameSize, DEFAULT_MAX_FRAME_SIZE, FrameDecoder, packFrame } from './framing.js'
import { newPlainPackr, newStructuresPackr, ownView, plainPackr } from './msgpack.js'

/** Initial size of the scratch buffer {@link Codec.encodeFrameView} encodes into. */
const SCRATCH_BYTES = 64 * 1024
/** A scratch buffer msgpackr had to grow for a large frame is kept for the next frames up to this size. */
const MAX_KEPT_SCRATCH = 1024 * 1024

/** Options of {@link createCodec}. */
export interface CodecOptions {
  /**
   * Per-stream structures: each object shape (the envelope's and the body's) is defined inline once and then sent as
   * a one-byte id, and decoded by generated code. Pays off when shapes repeat. Measured with 1 KiB bodies
   * (`pnpm bench protocol`): decoding 1.5-2x as fast; a full round trip 1.2-1.4x for a string-heavy body and about
   * 2x for a body of many same-shape objects, whose frames also shrink by about 40%. Bodies that are
   * dictionaries with ever-changing key sets get slower (about 0.7x), as every new key set is a new structure.
   * Default false.
   */
  structures?: boolean
  /** Largest payload encoded or accepted by {@link Codec.decoder}'s decoders. Default 16 MiB. */
  maxFrameSize?: number
}

/**
 * A frame encoder for one outgoing stream, plus a factory of decoders for incoming streams.
 *
 * With `structures`, the encoder's state is a promise about what one decoder has read, so:
 * - use one codec per QUIC stream, never across streams (streams are not ordered relative to each other) and never
 *   for datagrams (they may be lost or reordered);
 * - write every frame `encodeFrame` returns, in the order it returned them; a frame encoded and then dropped (for
 *   example by a full queue) leaves the decoder without a structure later frames refer to;
 * - after reconnecting, use a new codec (or {@link Codec.reset}) for the new stream.
 *
 * A failed `encodeFrame` resets the encoder by itself, so a bad envelope never leaves it out of step.
 */
export interface Codec {
  /** Whether frames use per-stream structures. */
  readonly structures: boolean
  /** Largest payload this codec encodes and its decoders accept. */
  readonly maxFrameSize: number
  /**
   * Encodes one envelope as a frame for this codec's stream.
   * @throws QmsError `ERR_ENVELOPE_INVALID`, `ERR_ENCODE_FAILED`, `ERR_FRAME_TOO_LARGE`.
   */
  encodeFrame(env: Envelope): Uint8Array
  /**
   * Encodes one envelope like {@link encodeFrame}, into a scratch buffer the codec reuses: the bytes are valid only
   * until the next call to this codec, so copy them first (a writer that gathers frames into one buffer for a single
   * stream write does exactly that). Saves the allocation of a buffer per frame. Order rules as for `encodeFrame`.
   * @throws QmsError `ERR_ENVELOPE_INVALID`, `ERR_ENCODE_FAILED`, `ERR_FRAME_TOO_LARGE`.
   */
  encodeFrameView(env: Envelope): Uint8Array
  /**
   * A new decoder for one incoming stream, with its own structure memory. Any {@link FrameDecoder} reads both plain
   * and structures frames (the frame header says which), so the receiving side needs no agreement with the sender.
   */
  decoder(): FrameDecoder
  /** Forgets every structure sent so far; the next frame is decodable by a fresh decoder. */
  reset(): void
}

/** Creates a {@link Codec}; see there for the rules that `structures: true` brings. */
export function createCodec(options: CodecOptions = {}): Codec {
  const structures = options.structures === true
  const maxFrameSize =
    options.maxFrameSize === undefined ? DEFAULT_MAX_FRAME_SIZE : checkMaxFrameSize(options.maxFrameSize)
  let packr = structures ? newStructuresPackr() : plainPackr
  // Once encodeFrameView has pointed `packr` at the scratch buffer, encodeFrame's results would live there too and
  // be overwritten by the next view: from then on they are copied out.
  let scratch: Buffer | undefined
  const reset = (): void => {
    if (structures) packr = newStructuresPackr()
    else if (scratch) packr = newPlainPackr()
  }
  const encode = (env: Envelope, view = false): Uint8Array => {
    try {
      return packFrame(packr, env, structures, maxFrameSize, view)
    } catch (e) {
      // msgpackr records a new structure as "sent" before the payload is complete; if the frame is never produced
      // the decoder would not learn it. A fresh encoder redefines everything it uses, so it is always in step.
      reset()
      throw e
    }
  }
  return {
    structures,
    maxFrameSize,
    encodeFrame(env: Envelope): Uint8Array {
      const out = encode(env)
      return scratch === undefined ? ownView(out) : new Uint8Array(out)
    },
    encodeFrameView(env: Envelope): Uint8Array {
      if (scratch === undefined) {
        // The shared plain encoder must never write into this codec's scratch: give the codec one of its own.
        if (packr === plainPackr) packr = newPlainPackr()
        scratch = Buffer.allocUnsafeSlow(SCRATCH_BYTES)
      }
      packr.useBuffer(scratch)
      // Already a plain Uint8Array view (`slice()` on a Buffer would not copy).
      const out = encode(env, true)
      // msgpackr moved to a bigger buffer for a large frame: keep that one unless it is huge.
      if (out.buffer !== scratch.buffer && out.buffer.byteLength <= MAX_KEPT_SCRATCH) {
        scratch = Buffer.from(out.buffer, 0, out.buffer.byteLength)
      }
      return out
    },
    decoder: () => new FrameDecoder({ maxFrameSize }),
    reset,
  }
}
