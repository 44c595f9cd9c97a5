// What the two processes of quic.bench.ts agree on: the first byte of each stream (what the server does with it),
// 4-byte big-endian length framing, and the IPC messages between the bench and its server process.

/** First byte of a stream: the server echoes every complete frame, and ends its side when the client ends its own. */
export const MODE_ECHO = 1
/** The server counts bytes until FIN, then answers with the count (float64) and ends. */
export const MODE_SINK = 2
/**
 * Followed by a `process.hrtime` timestamp (uint64 ns, CLOCK_MONOTONIC, so comparable across processes on one host):
 * the server answers with the delay (float64 ns) between that timestamp and the arrival of the stream's first chunk.
 */
export const MODE_FIRST_BYTE = 3

/** Ports of the server process's endpoints, and the pin of its certificate. */
export interface ServerReady {
  type: 'ready'
  sha256: string
  /** Default options: `maxUdpPayload: 'auto'` (65,527 on loopback). */
  autoPort: number
  /** `maxUdpPayload: 1350`. */
  smallPort: number
  /** For the idle-connection memory figure: connection limits raised above 1,000 per IP. */
  idlePort: number
  /** A plain UDP socket that echoes each datagram (the baseline). */
  udpEchoPort: number
}

/** The server's resident set size after a full GC. */
export interface ServerMemory {
  type: 'memory'
  rss: number
  heapUsed: number
  /** Connections whose handshake completed, since the start. */
  accepted: number
  /** Connections open now. */
  connections: number
  /** Connections closed so far, by who closed them, code and reason. */
  closeReasons: Record<string, number>
}

export type ServerMessage = ServerReady | ServerMemory
export type ServerCommand = { type: 'memory' } | { type: 'exit' }

function readU32(b: Uint8Array, at: number): number {
  return ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0
}

/** A frame: 4-byte big-endian payload length, then `payload.length` bytes, optionally behind a mode byte. */
export function encodeFrame(payload: Uint8Array, mode?: number): Buffer {
  const head = mode === undefined ? 0 : 1
  const out = Buffer.allocUnsafe(head + 4 + payload.length)
  if (mode !== undefined) out[0] = mode
  out.writeUInt32BE(payload.length, head)
  out.set(payload, head + 4)
  return out
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length)
  out.set(a)
  out.set(b, a.length)
  return out
}

/** Server side: cuts a byte stream at frame boundaries so complete frames can be echoed as they arrive. */
export class FrameSplitter {
  private partial: Uint8Array | null = null

  /** Returns the complete frames now available (as one contiguous run of bytes), or null if none is complete. */
  push(chunk: Uint8Array): Uint8Array | null {
    const data = this.partial ? concat(this.partial, chunk) : chunk
    let end = 0
    while (end + 4 <= data.length) {
      const next = end + 4 + readU32(data, end)
      if (next > data.length) break
      end = next
    }
    this.partial = end < data.length ? data.slice(end) : null
    return end > 0 ? data.subarray(0, end) : null
  }
}

/** Client side: reads one frame payload at a time from a stream's iterator. */
export class FrameReader {
  private chunks: Uint8Array[] = []
  private buffered = 0

  constructor(private readonly source: AsyncIterator<Uint8Array>) {}

  /** The next frame's payload, or null when the stream ends cleanly between frames. */
  async read(): Promise<Uint8Array | null> {
    for (;;) {
      const frame = this.take()
      if (frame) return frame
      const r = await this.source.next()
      if (r.done) {
        if (this.buffered > 0) throw new Error(`stream ended inside a frame (${this.buffered} bytes left)`)
        return null
      }
      this.chunks.push(r.value)
      this.buffered += r.value.length
    }
  }

  /** Reads raw bytes to the end of the stream (for replies that are not framed). */
  async readToEnd(): Promise<Uint8Array> {
    for (;;) {
      const r = await this.source.next()
      if (r.done) break
      this.chunks.push(r.value)
      this.buffered += r.value.length
    }
    const all = Buffer.concat(this.chunks, this.buffered)
    this.chunks = []
    this.buffered = 0
    return all
  }

  private take(): Uint8Array | null {
    if (this.buffered < 4) return null
    let head = this.chunks[0]!
    if (head.length < 4) head = this.flatten()
    const size = 4 + readU32(head, 0)
    if (this.buffered < size) return null
    if (head.length < size) head = this.flatten()
    const payload = head.subarray(4, size)
    if (head.length > size) this.chunks[0] = head.subarray(size)
    else this.chunks.shift()
    this.buffered -= size
    return payload
  }

  private flatten(): Uint8Array {
    const all = Buffer.concat(this.chunks, this.buffered)
    this.chunks = [all]
    return all
  }
}
