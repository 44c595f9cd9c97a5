import { QmsError } from '@quic-multistream/protocol'
import { TransportErrorCode } from './errors.js'
import type { QuicStream, StreamStats } from './types.js'
import { writableOf } from './web-streams.js'

/** What a stream needs from its connection. Keeps the stream free of engine details. */
export interface StreamHost {
  /** Hands bytes to QUIC; returns how many it took (0 when blocked). Throws a QmsError when the stream can't send. */
  streamSend(stream: QuicStreamImpl, data: Uint8Array, fin: boolean): number
  streamShutdown(stream: QuicStreamImpl, direction: 'read' | 'write', code: number): void
  streamPriority(stream: QuicStreamImpl, priority: number, incremental: boolean): void
  /** The consumer drained the read buffer: pull more from QUIC. */
  resumeRead(stream: QuicStreamImpl): void
  /** A writer is waiting for flow-control credit. */
  blockWriter(stream: QuicStreamImpl): void
  streamFinished(stream: QuicStreamImpl): void
}

interface PendingWrite {
  data: Uint8Array
  offset: number
  fin: boolean
  resolve: () => void
  reject: (e: unknown) => void
}

/** Bytes buffered on the receiving side before we stop pulling from QUIC (which then applies flow control). */
export const READ_HIGH_WATER = 1 << 20

const resolved = Promise.resolve()
const EMPTY = new Uint8Array(0)

export class QuicStreamImpl implements QuicStream {
  readonly direction: 'bidi' | 'uni'
  readonly canRead: boolean
  readonly canWrite: boolean
  priority: number
  incremental: boolean

  // Receiving side.
  private chunks: Uint8Array[] = []
  private chunkHead = 0
  bufferedRead = 0
  readPaused = false
  private readDone = false
  private readError: Error | undefined
  private reader: ((r: IteratorResult<Uint8Array>) => void) | null = null
  private readerFail: ((e: unknown) => void) | null = null

  // Sending side.
  private pending: PendingWrite[] = []
  private writeDone = false
  private writeError: Error | undefined
  private bufferedWrite = 0

  private bytesRead = 0
  private bytesWritten = 0
  private finished = false
  private resolveClosed!: () => void
  readonly closed: Promise<void>

  constructor(
    private readonly host: StreamHost,
    readonly id: number,
    readonly initiator: 'local' | 'remote',
    priority: number,
    incremental: boolean,
  ) {
    this.direction = (id & 0x2) === 0 ? 'bidi' : 'uni'
    this.canRead = this.direction === 'bidi' || initiator === 'remote'
    this.canWrite = this.direction === 'bidi' || initiator === 'local'
    this.priority = priority
    this.incremental = incremental
    if (!this.canRead) this.readDone = true
    if (!this.canWrite) this.writeDone = true
    this.closed = new Promise((r) => {
      this.resolveClosed = r
    })
  }

  // ---- receiving (driven by the connection) ----

  /** @internal */
  onData(chunk: Uint8Array): void {
    if (this.readDone) return
    this.bytesRead += chunk.length
    const r = this.reader
    if (r !== null) {
      this.reader = null
      this.readerFail = null
      r({ value: chunk, done: false })
      return
    }
    this.chunks.push(chunk)
    this.bufferedRead += chunk.length
  }

  /** @internal */
  onFin(): void {
    if (this.readDone) return
    this.readDone = true
    this.wakeReaderAtEnd()
    this.checkFinished()
  }

  /** @internal */
  onReset(code: number): void {
    if (this.readDone) return
    this.readDone = true
    this.readError = new QmsError(TransportErrorCode.STREAM_RESET, `stream ${this.id} was reset by the peer`, {
      details: { code, streamId: this.id },
    })
    this.chunks = []
    this.chunkHead = 0
    this.bufferedRead = 0
    this.wakeReaderAtEnd()
    this.checkFinished()
  }

  /** @internal The peer sent STOP_SENDING: our writes can no longer be delivered. */
  onStopped(code: number): void {
    this.failWrites(
      new QmsError(TransportErrorCode.STREAM_STOPPED, `peer stopped reading stream ${this.id}`, {
        details: { code, streamId: this.id },
      }),
    )
  }

  /** @internal The connection went away. */
  onConnectionClosed(error: Error): void {
    if (!this.readDone) {
      this.readDone = true
      this.readError = error
      this.wakeReaderAtEnd()
    }
    this.failWrites(error)
    this.checkFinished()
  }

  private wakeReaderAtEnd(): void {
    if (this.reader === null || this.chunkHead < this.chunks.length) return
    const r = this.reader
    const f = this.readerFail
    this.reader = null
    this.readerFail = null
    if (this.readError && f) f(this.readError)
    else r({ value: undefined, done: true })
  }

  private nextChunk(): Promise<IteratorResult<Uint8Array>> {
    if (this.chunkHead < this.chunks.length) {
      const value = this.chunks[this.chunkHead] as Uint8Array
      this.chunks[this.chunkHead] = EMPTY
      this.chunkHead++
      if (this.chunkHead === this.chunks.length) {
        this.chunks = []
        this.chunkHead = 0
      }
      this.bufferedRead -= value.length
      if (this.readPaused && this.bufferedRead < READ_HIGH_WATER / 2) this.host.resumeRead(this)
      return Promise.resolve({ value, done: false })
    }
    if (this.readDone) {
      if (this.readError) return Promise.reject(this.readError)
      return Promise.resolve({ value: undefined, done: true })
    }
    if (this.readPaused) this.host.resumeRead(this)
    return new Promise((resolve, reject) => {
      this.reader = resolve
      this.readerFail = reject
    })
  }

  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    return {
      next: () => this.nextChunk(),
      return: async () => {
        // Leaving a read loop early means we don't want the rest: tell the peer to stop.
        if (!this.readDone) this.stopSending(0)
        return { value: undefined, done: true }
      },
    }
  }

  // ---- sending ----

  write(data: Uint8Array): Promise<void> {
    return this.enqueue(data, false)
  }

  end(data?: Uint8Array): Promise<void> {
    return this.enqueue(data ?? EMPTY, true)
  }

  private enqueue(data: Uint8Array, fin: boolean): Promise<void> {
    if (this.writeError) return Promise.reject(this.writeError)
    if (this.writeDone || !this.canWrite) {
      return Promise.reject(
        new QmsError(TransportErrorCode.STREAM_CLOSED, `stream ${this.id} is not writable`, {
          details: { streamId: this.id },
        }),
      )
    }
    if (fin) this.writeDone = true
    if (this.pending.length === 0) {
      let n: number
      try {
        n = this.host.streamSend(this, data, fin)
      } catch (e) {
        this.failWrites(e as Error)
        return Promise.reject(e)
      }
      this.bytesWritten += n
      if (n === data.length) {
        if (fin) this.checkFinished()
        return resolved
      }
      return new Promise<void>((resolve, reject) => {
        this.pending.push({ data, offset: n, fin, resolve, reject })
        this.bufferedWrite += data.length - n
        this.host.blockWriter(this)
      })
    }
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ data, offset: 0, fin, resolve, reject })
      this.bufferedWrite += data.length
    })
  }

  /** @internal Retry blocked writes; returns true when nothing is left pending. */
  drainWrites(): boolean {
    while (this.pending.length > 0) {
      const p = this.pending[0] as PendingWrite
      const rest = p.offset === 0 ? p.data : p.data.subarray(p.offset)
      let n: number
      try {
        n = this.host.streamSend(this, rest, p.fin)
      } catch (e) {
        this.failWrites(e as Error)
        return true
      }
      p.offset += n
      this.bytesWritten += n
      this.bufferedWrite -= n
      if (p.offset < p.data.length) return false
      this.pending.shift()
      p.resolve()
      if (p.fin) this.checkFinished()
    }
    return true
  }

  get hasPendingWrites(): boolean {
    return this.pending.length > 0
  }

  private failWrites(error: Error): void {
    if (!this.writeError && this.canWrite && !(this.writeDone && this.pending.length === 0)) this.writeError = error
    this.writeDone = true
    const pending = this.pending
    this.pending = []
    this.bufferedWrite = 0
    for (const p of pending) p.reject(error)
    this.checkFinished()
  }

  reset(code = 0): void {
    try {
      this.host.streamShutdown(this, 'write', code)
    } catch {
      // Engine says the stream is already gone; nothing to reset.
    }
    this.failWrites(
      new QmsError(TransportErrorCode.STREAM_RESET, `stream ${this.id} was reset locally`, {
        details: { code, streamId: this.id, local: true },
      }),
    )
  }

  stopSending(code = 0): void {
    if (this.readDone) return
    try {
      this.host.streamShutdown(this, 'read', code)
    } catch {
      // Already gone.
    }
    this.readDone = true
    this.chunks = []
    this.chunkHead = 0
    this.bufferedRead = 0
    this.wakeReaderAtEnd()
    this.checkFinished()
  }

  setPriority(priority: number, incremental = this.incremental): void {
    this.priority = priority
    this.incremental = incremental
    if (!this.finished) this.host.streamPriority(this, priority, incremental)
  }

  stats(): StreamStats {
    return { bytesWritten: this.bytesWritten, bytesRead: this.bytesRead, bytesBuffered: this.bufferedWrite }
  }

  private checkFinished(): void {
    if (this.finished || !this.readDone || !this.writeDone || this.pending.length > 0) return
    this.finished = true
    this.host.streamFinished(this)
    this.resolveClosed()
  }

  get isFinished(): boolean {
    return this.finished
  }

  get isReadDone(): boolean {
    return this.readDone
  }

  readable(): ReadableStream<Uint8Array> {
    const it = this[Symbol.asyncIterator]()
    return new ReadableStream<Uint8Array>(
      {
        pull: async (controller) => {
          const r = await it.next()
          if (r.done) controller.close()
          else controller.enqueue(r.value)
        },
        cancel: (reason) => {
          this.stopSending(typeof reason === 'number' ? reason : 0)
        },
      },
      { highWaterMark: 0 },
    )
  }

  writable(): WritableStream<Uint8Array> {
    return writableOf(this)
  }
}
