// Byte-level helpers of the raw systems (TCP, QUIC streams, UDP, ws, ZeroMQ...): 1 KiB payloads numbered in their
// first four bytes, 4-byte little-endian length frames, the mode byte that opens a raw connection or stream, and the
// matching of replies to requests by number.
import { randomBytes } from 'node:crypto'
import type { Requester, ServerContext } from './system.js'
import { BULK_CHUNK, PAYLOAD } from './wire.js'

/** First byte of a raw connection or stream: what the server does with what follows. */
export const MODE = {
  /** Echo every complete frame. */
  echo: 1,
  /** Count frames as one-way messages. */
  sink: 2,
  /** Count raw bytes (bulk). */
  bytes: 3,
  /** Count frames as fan-out deliveries. */
  sub: 4,
} as const

const template = randomBytes(PAYLOAD)
/** A bulk chunk; its content does not matter. */
export const bulkChunk = randomBytes(BULK_CHUNK)

/** A fresh 1 KiB payload numbered `seq` (fresh because client libraries may keep a reference until sent). */
export function payload(seq: number): Buffer {
  const p = Buffer.allocUnsafe(PAYLOAD)
  template.copy(p)
  p.writeUInt32LE(seq >>> 0, 0)
  return p
}

/** The same payload behind its 4-byte length. */
export function framedPayload(seq: number): Buffer {
  const f = Buffer.allocUnsafe(4 + PAYLOAD)
  f.writeUInt32LE(PAYLOAD, 0)
  template.copy(f, 4)
  f.writeUInt32LE(seq >>> 0, 4)
  return f
}

/**
 * Cuts a byte stream into frames. `push` returns the complete frames now available as one contiguous run of bytes
 * (so an echo can send them back in one write) and calls `onFrame` for each payload.
 */
export class FrameSplitter {
  #partial: Buffer | undefined

  push(chunk: Buffer, onFrame?: (payload: Buffer) => void): Buffer | undefined {
    const data = this.#partial ? Buffer.concat([this.#partial, chunk]) : chunk
    let end = 0
    while (end + 4 <= data.length) {
      const next = end + 4 + data.readUInt32LE(end)
      if (next > data.length) break
      onFrame?.(data.subarray(end + 4, next))
      end = next
    }
    this.#partial = end < data.length ? Buffer.from(data.subarray(end)) : undefined
    return end > 0 ? data.subarray(0, end) : undefined
  }
}

/**
 * The server side of a raw connection or stream: reads the mode byte, then echoes or counts. Returns the function to
 * call with each chunk that arrives; `reply` sends bytes back.
 */
export function rawServerSide(ctx: ServerContext, reply: (bytes: Buffer) => void): (chunk: Buffer) => void {
  let mode = 0
  const splitter = new FrameSplitter()
  const countMsg = () => ctx.count('msgs')
  const countDelivery = () => ctx.count('deliveries')
  return (chunk) => {
    let data = chunk
    if (mode === 0) {
      mode = data[0] ?? 0
      data = data.subarray(1)
      if (data.length === 0) return
    }
    if (mode === MODE.echo) {
      const frames = splitter.push(data)
      if (frames) reply(frames)
    } else if (mode === MODE.bytes) ctx.count('bytes', data.length)
    else splitter.push(data, mode === MODE.sink ? countMsg : countDelivery)
  }
}

/** Checks that `reply` is the 1 KiB answer to request `seq`. */
export function checkReply(reply: Uint8Array, seq: number): void {
  const got = Buffer.from(reply.buffer, reply.byteOffset, reply.length)
  if (got.length !== PAYLOAD || got.readUInt32LE(0) !== seq >>> 0) {
    throw new Error(`bad reply: expected #${seq >>> 0} of ${PAYLOAD} B, got #${got.readUInt32LE(0)} of ${got.length} B`)
  }
}

/** A requester whose replies come back through `matcher.deliver` (in any order); `write` sends request `seq`. */
export function matchingRequester(matcher: ReplyMatcher, write: (seq: number) => void, close: () => void): Requester {
  return {
    request(seq) {
      const reply = matcher.wait(seq)
      write(seq)
      return reply
    },
    async close() {
      close()
    },
  }
}

/** Matches replies to requests by the number in their first four bytes (replies may come in any order). */
export class ReplyMatcher {
  readonly #pending = new Map<number, { resolve: () => void; reject: (e: Error) => void }>()

  /** Resolves when the reply to `seq` arrived. */
  wait(seq: number): Promise<void> {
    return new Promise((resolve, reject) => this.#pending.set(seq >>> 0, { resolve, reject }))
  }

  deliver(reply: Uint8Array): void {
    const id = Buffer.from(reply.buffer, reply.byteOffset, reply.length).readUInt32LE(0)
    const p = this.#pending.get(id)
    if (!p) throw new Error(`reply #${id} matches no request`)
    this.#pending.delete(id)
    if (reply.length === PAYLOAD) p.resolve()
    else p.reject(new Error(`reply #${id} has ${reply.length} bytes instead of ${PAYLOAD}`))
  }

  failAll(e: Error): void {
    for (const p of this.#pending.values()) p.reject(e)
    this.#pending.clear()
  }
}
