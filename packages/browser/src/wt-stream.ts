import { QmsError } from '@quic-multistream/protocol'
import type { QuicStream, StreamStats } from '@quic-multistream/transport'
import { asWebTransportError, BrowserErrorCode, fromWebTransportError } from './errors.js'
import { readableFrom } from './inbox.js'

/** How a {@link WebTransportStream} is made: the W3C halves it wraps and what the connection wants to hear. */
export interface WebTransportStreamInit {
  id: number
  direction: 'bidi' | 'uni'
  initiator: 'local' | 'remote'
  priority: number
  /** The receiving half (absent on a local unidirectional stream). */
  readable?: ReadableStream<Uint8Array>
  /** The sending half (absent on a remote unidirectional stream). */
  writable?: WritableStream<Uint8Array>
  /** Called once when both directions are finished. */
  onClosed?: (stream: WebTransportStream) => void
  /** Byte counters of the connection, fed by every stream. */
  onBytes?: (written: number, read: number) => void
}

/** Clamps a priority to 0-255, the range of `StreamOptions.priority`. */
export function clampPriority(priority: number | undefined): number {
  if (priority === undefined || Number.isNaN(priority)) return 128
  return Math.max(0, Math.min(255, Math.round(priority)))
}

/**
 * A `QuicStream` over a W3C WebTransport stream. The browser does not expose QUIC stream ids, so `id` follows RFC 9000
 * numbering in the order streams were opened or accepted on the session. Priority becomes the send stream's
 * `sendOrder` (higher first), which is how the Agent's lanes keep their precedence in a page.
 */
export class WebTransportStream implements QuicStream {
  readonly id: number
  readonly direction: 'bidi' | 'uni'
  readonly initiator: 'local' | 'remote'
  readonly closed: Promise<void>
  #priority: number
  readonly #writable: WritableStream<Uint8Array> | undefined
  readonly #writer: WritableStreamDefaultWriter<Uint8Array> | undefined
  readonly #reader: ReadableStreamDefaultReader<Uint8Array> | undefined
  readonly #stats: StreamStats = { bytesWritten: 0, bytesRead: 0, bytesBuffered: 0 }
  readonly #init: WebTransportStreamInit
  #sendState: 'open' | 'ending' | 'done' = 'open'
  #sendError: QmsError | undefined
  #recvDone = false
  #iterated = false
  #settleSend: () => void = () => {}
  #settleRecv: () => void = () => {}
  /**
   * Rejects when we reset the stream. The browser aborts a send stream only after the write in progress finished,
   * which never happens while the peer is not reading; pending writes fail at once instead.
   */
  readonly #resetting: Promise<never>
  #rejectResetting: (e: QmsError) => void = () => {}

  constructor(init: WebTransportStreamInit) {
    this.#init = init
    this.id = init.id
    this.direction = init.direction
    this.initiator = init.initiator
    this.#priority = clampPriority(init.priority)
    this.#writable = init.writable
    this.#writer = init.writable?.getWriter()
    this.#reader = init.readable?.getReader()
    const sent = init.writable ? new Promise<void>((r) => (this.#settleSend = r)) : Promise.resolve()
    const received = init.readable ? new Promise<void>((r) => (this.#settleRecv = r)) : Promise.resolve()
    if (!init.writable) this.#sendState = 'done'
    if (!init.readable) this.#recvDone = true
    this.#writer?.closed.then(
      () => this.#finishSend(),
      (e: unknown) => this.#finishSend(fromWebTransportError(e, BrowserErrorCode.STREAM_STOPPED, 'stream stopped')),
    )
    this.#resetting = new Promise<never>((_, reject) => (this.#rejectResetting = reject))
    this.#resetting.catch(() => {})
    this.closed = Promise.all([sent, received]).then(() => init.onClosed?.(this))
  }

  get priority(): number {
    return this.#priority
  }

  write(data: Uint8Array): Promise<void> {
    return this.#write(data, false)
  }

  end(data?: Uint8Array): Promise<void> {
    return this.#write(data, true)
  }

  async #write(data: Uint8Array | undefined, fin: boolean): Promise<void> {
    const writer = this.#writer
    if (!writer)
      throw new QmsError(BrowserErrorCode.STREAM_STATE, `stream ${this.id} cannot send (a remote uni stream)`)
    if (this.#sendError) throw this.#sendError
    if (this.#sendState !== 'open') throw new QmsError(BrowserErrorCode.STREAM_CLOSED, `stream ${this.id} was ended`)
    if (fin) this.#sendState = 'ending'
    const n = data?.byteLength ?? 0
    this.#stats.bytesBuffered += n
    try {
      // The writer is called before any await, so concurrent writes keep their order on the wire.
      if (n > 0) await Promise.race([writer.write(data), this.#resetting])
      this.#stats.bytesWritten += n
      this.#init.onBytes?.(n, 0)
      if (fin) await Promise.race([writer.close(), this.#resetting])
    } catch (e) {
      throw this.#sendError ?? fromWebTransportError(e, BrowserErrorCode.STREAM_STOPPED, `write on stream ${this.id}`)
    } finally {
      this.#stats.bytesBuffered -= n
    }
  }

  reset(code = 0): void {
    if (!this.#writer || this.#sendState === 'done') return
    const reason = webTransportError(`stream ${this.id} reset`, code)
    const error = new QmsError(BrowserErrorCode.STREAM_CLOSED, `stream ${this.id} was reset`, { details: { code } })
    this.#finishSend(error)
    this.#rejectResetting(error)
    this.#writer.abort(reason).catch(() => {})
  }

  stopSending(code = 0): void {
    if (!this.#reader || this.#recvDone) return
    this.#finishRecv()
    this.#reader.cancel(webTransportError(`stream ${this.id} stopped`, code)).catch(() => {})
  }

  setPriority(priority: number, _incremental?: boolean): void {
    this.#priority = clampPriority(priority)
    // `sendOrder` is settable on Chromium's send streams; elsewhere the order given at creation stays.
    const w = this.#writable as (WritableStream<Uint8Array> & { sendOrder?: number }) | undefined
    if (w && 'sendOrder' in w) w.sendOrder = this.#priority
  }

  stats(): StreamStats {
    return { ...this.#stats }
  }

  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    const reader = this.#reader
    if (!reader)
      throw new QmsError(BrowserErrorCode.STREAM_STATE, `stream ${this.id} cannot receive (a local uni stream)`)
    if (this.#iterated) throw new QmsError(BrowserErrorCode.STREAM_STATE, `stream ${this.id} is iterated once`)
    this.#iterated = true
    return {
      next: async (): Promise<IteratorResult<Uint8Array>> => {
        if (this.#recvDone) return { value: undefined, done: true }
        let r: ReadableStreamReadResult<Uint8Array>
        try {
          r = await reader.read()
        } catch (e) {
          if (this.#recvDone) return { value: undefined, done: true }
          this.#finishRecv()
          const wt = asWebTransportError(e)
          if (wt?.source === 'stream') {
            throw new QmsError(BrowserErrorCode.STREAM_RESET, `stream ${this.id} was reset by the peer`, {
              cause: e,
              details: { code: wt.streamErrorCode ?? 0 },
            })
          }
          throw fromWebTransportError(e, BrowserErrorCode.CONNECTION_CLOSED, `read on stream ${this.id}`)
        }
        if (r.done) {
          this.#finishRecv()
          return { value: undefined, done: true }
        }
        this.#stats.bytesRead += r.value.byteLength
        this.#init.onBytes?.(0, r.value.byteLength)
        return { value: r.value, done: false }
      },
      return: async (): Promise<IteratorResult<Uint8Array>> => {
        // Leaving a read loop early means the rest is not wanted, as on a native stream.
        this.stopSending(0)
        return { value: undefined, done: true }
      },
    }
  }

  readable(): ReadableStream<Uint8Array> {
    return readableFrom(this[Symbol.asyncIterator](), () => this.stopSending(0))
  }

  writable(): WritableStream<Uint8Array> {
    return new WritableStream<Uint8Array>({
      write: (chunk) => this.write(chunk),
      close: () => this.end(),
      // The transport contract: a numeric abort reason is the reset code.
      abort: (reason) => this.reset(typeof reason === 'number' ? reason : 0),
    })
  }

  #finishSend(error?: QmsError): void {
    if (this.#sendState === 'done') return
    this.#sendState = 'done'
    if (error && !this.#sendError) this.#sendError = error
    this.#settleSend()
  }

  #finishRecv(): void {
    if (this.#recvDone) return
    this.#recvDone = true
    this.#settleRecv()
  }
}

/**
 * A `WebTransportError` carrying an application stream code. Chromium still implements the first draft's
 * constructor (`new WebTransportError({ message, streamErrorCode })`); the current spec takes
 * `(message, { streamErrorCode })`. Whichever this browser accepts is used; without the class, a plain Error.
 */
function webTransportError(message: string, code: number): Error {
  const Ctor = (globalThis as { WebTransportError?: new (...args: unknown[]) => Error & { streamErrorCode?: number } })
    .WebTransportError
  if (!Ctor) return new Error(message)
  for (const args of [[{ message, streamErrorCode: code }], [message, { streamErrorCode: code }]]) {
    try {
      const e = new Ctor(...args)
      if (e.streamErrorCode === code) return e
    } catch {
      // The other constructor shape.
    }
  }
  return new Error(message)
}
