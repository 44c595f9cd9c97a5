import { QmsError } from '@quic-multistream/protocol'
import { TransportErrorCode } from '../errors.js'
import type { QuicStream, StreamStats } from '../types.js'
import { writableOf } from '../web-streams.js'

/** What a stream needs from its connection. */
export interface StreamOwner {
  /** Counts bytes handed to the peer (connection stats). */
  countSent(bytes: number): void
  /** Called once when both directions of `stream` are finished. */
  streamFinished(stream: MemoryStream): void
}

interface Waiter {
  resolve(): void
  reject(err: Error): void
}

/** Shape of a stream end before it is linked to its peer. */
export interface MemoryStreamInit {
  id: number
  direction: 'bidi' | 'uni'
  initiator: 'local' | 'remote'
  priority: number
  incremental: boolean
  /** Unread bytes the peer may buffer here before our writer has to wait (the per-stream flow-control window). */
  window: number
  canSend: boolean
  canReceive: boolean
  owner: StreamOwner
}

/**
 * One end of an in-memory stream. Bytes written here land in the peer end's receive buffer at once; `write`
 * resolves only while that buffer holds at most `window` unread bytes, which is the same backpressure a QUIC
 * flow-control window gives.
 */
export class MemoryStream implements QuicStream {
  readonly id: number
  readonly direction: 'bidi' | 'uni'
  readonly initiator: 'local' | 'remote'
  readonly closed: Promise<void>
  #priority: number
  #incremental: boolean
  #peer: MemoryStream | undefined
  readonly #init: MemoryStreamInit

  // Receiving side.
  #chunks: Uint8Array[] = []
  #recvBuffered = 0
  #finReceived = false
  /** Thrown at once by the reader (reset received, or we stopped sending). */
  #recvAbort: QmsError | undefined
  /** Thrown after the buffered bytes are read (the connection went away). */
  #recvError: QmsError | undefined
  #recvDone: boolean
  #readWaiter: (() => void) | undefined
  #bytesRead = 0

  // Sending side.
  #sendDone: boolean
  #sendError: QmsError | undefined
  #drainWaiters: Waiter[] = []
  #bytesWritten = 0

  #resolveClosed!: () => void
  #finished = false

  constructor(init: MemoryStreamInit) {
    this.#init = init
    this.id = init.id
    this.direction = init.direction
    this.initiator = init.initiator
    this.#priority = init.priority
    this.#incremental = init.incremental
    this.#recvDone = !init.canReceive
    this.#sendDone = !init.canSend
    this.closed = new Promise((resolve) => {
      this.#resolveClosed = resolve
    })
  }

  /** Links two ends; called once by the connection that created them. */
  static link(a: MemoryStream, b: MemoryStream): void {
    a.#peer = b
    b.#peer = a
  }

  get priority(): number {
    return this.#priority
  }

  /** The RFC 9218 incremental flag last set. */
  get incremental(): boolean {
    return this.#incremental
  }

  setPriority(priority: number, incremental?: boolean): void {
    this.#priority = Math.max(0, Math.min(255, Math.trunc(priority)))
    if (incremental !== undefined) this.#incremental = incremental
  }

  async write(data: Uint8Array): Promise<void> {
    this.#assertCanSend()
    if (data.byteLength === 0) return
    const peer = this.#peer!
    this.#bytesWritten += data.byteLength
    this.#init.owner.countSent(data.byteLength)
    // Copy: the caller may reuse its buffer as soon as the promise settles, as with a real socket.
    peer.#deliver(data.slice())
    if (peer.#recvBuffered <= this.#init.window) return
    await new Promise<void>((resolve, reject) => {
      this.#drainWaiters.push({ resolve, reject })
    })
  }

  async end(data?: Uint8Array): Promise<void> {
    if (data && data.byteLength > 0) await this.write(data)
    this.#assertCanSend()
    this.#sendDone = true
    this.#peer!.#receiveFin()
    this.#maybeFinished()
  }

  reset(code = 0): void {
    if (this.#sendDone) return
    this.#sendDone = true
    this.#failSend(
      new QmsError(TransportErrorCode.STREAM_RESET, `stream ${this.id} was reset locally`, { details: { code } }),
    )
    this.#peer!.#receiveReset(code)
    this.#maybeFinished()
  }

  stopSending(code = 0): void {
    if (this.#recvDone) return
    // The peer's writer learns first, so its waiting writes reject instead of resolving on the dropped buffer.
    this.#peer!.#stoppedByPeer(code)
    this.#abortReceive(
      new QmsError(TransportErrorCode.STREAM_RESET, `stream ${this.id}: we asked the peer to stop sending`, {
        details: { code, local: true },
      }),
    )
    this.#maybeFinished()
  }

  stats(): StreamStats {
    const peerBuffered = this.#peer && this.#init.canSend ? this.#peer.#recvBuffered : 0
    return {
      bytesWritten: this.#bytesWritten,
      bytesRead: this.#bytesRead,
      bytesBuffered: Math.max(0, peerBuffered - this.#init.window),
    }
  }

  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    return {
      next: () => this.#read(),
      return: () => {
        // Leaving a read loop early means we no longer want the data: tell the peer, as a QUIC library would.
        this.stopSending(0)
        return Promise.resolve({ value: undefined, done: true })
      },
    }
  }

  readable(): ReadableStream<Uint8Array> {
    const it = this[Symbol.asyncIterator]()
    return new ReadableStream<Uint8Array>({
      pull: async (controller) => {
        const r = await it.next()
        if (r.done) controller.close()
        else controller.enqueue(r.value)
      },
      cancel: () => {
        this.stopSending(0)
      },
    })
  }

  writable(): WritableStream<Uint8Array> {
    return writableOf(this)
  }

  /** The connection ended: fail whatever is still open in either direction. */
  terminate(error: QmsError): void {
    if (!this.#sendDone) {
      this.#sendDone = true
      this.#failSend(error)
    }
    if (!this.#recvDone) {
      this.#recvDone = true
      this.#recvError = error
      this.#wakeReader()
    }
    this.#maybeFinished()
  }

  async #read(): Promise<IteratorResult<Uint8Array>> {
    for (;;) {
      if (this.#recvAbort) throw this.#recvAbort
      const chunk = this.#chunks.shift()
      if (chunk) {
        this.#recvBuffered -= chunk.byteLength
        this.#bytesRead += chunk.byteLength
        if (this.#peer) this.#peer.#onPeerDrained()
        return { value: chunk, done: false }
      }
      if (this.#finReceived) {
        if (!this.#recvDone) {
          this.#recvDone = true
          this.#maybeFinished()
        }
        return { value: undefined, done: true }
      }
      if (this.#recvError) throw this.#recvError
      if (!this.#init.canReceive) return { value: undefined, done: true }
      await new Promise<void>((resolve) => {
        this.#readWaiter = resolve
      })
    }
  }

  #assertCanSend(): void {
    if (this.#sendError) throw this.#sendError
    if (!this.#init.canSend) {
      throw new QmsError(TransportErrorCode.STREAM_STATE, `stream ${this.id} is receive-only`)
    }
    if (this.#sendDone) throw new QmsError(TransportErrorCode.STREAM_STATE, `stream ${this.id} already sent its FIN`)
  }

  #deliver(chunk: Uint8Array): void {
    if (this.#recvDone || this.#finReceived) return
    this.#chunks.push(chunk)
    this.#recvBuffered += chunk.byteLength
    this.#wakeReader()
  }

  #receiveFin(): void {
    this.#finReceived = true
    this.#wakeReader()
  }

  #receiveReset(code: number): void {
    if (this.#recvDone) return
    this.#abortReceive(
      new QmsError(TransportErrorCode.STREAM_RESET, `stream ${this.id} was reset by the peer`, {
        details: { code, local: false },
      }),
    )
    this.#maybeFinished()
  }

  #stoppedByPeer(code: number): void {
    if (this.#sendDone) return
    this.#sendDone = true
    this.#failSend(
      new QmsError(TransportErrorCode.STREAM_STOPPED, `the peer asked stream ${this.id} to stop sending`, {
        details: { code },
      }),
    )
    this.#maybeFinished()
  }

  #abortReceive(error: QmsError): void {
    this.#recvDone = true
    this.#recvAbort = error
    this.#chunks = []
    this.#recvBuffered = 0
    if (this.#peer) this.#peer.#onPeerDrained()
    this.#wakeReader()
  }

  #onPeerDrained(): void {
    if (this.#drainWaiters.length === 0) return
    if (this.#peer && this.#peer.#recvBuffered > this.#init.window) return
    const waiters = this.#drainWaiters
    this.#drainWaiters = []
    for (const w of waiters) w.resolve()
  }

  #failSend(error: QmsError): void {
    this.#sendError = error
    const waiters = this.#drainWaiters
    this.#drainWaiters = []
    for (const w of waiters) w.reject(error)
  }

  #wakeReader(): void {
    const wake = this.#readWaiter
    this.#readWaiter = undefined
    wake?.()
  }

  #maybeFinished(): void {
    if (this.#finished || !this.#sendDone || !this.#recvDone) return
    this.#finished = true
    this.#resolveClosed()
    this.#init.owner.streamFinished(this)
  }
}
