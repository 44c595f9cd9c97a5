import { QmsError } from '@quic-multistream/protocol'
import { TransportErrorCode } from '../errors.js'
import type { QuicStream, StreamStats } from '../types.js'
import { writableOf } from '../web-streams.js'
import { H3Error, httpCodeToWt, wtCodeToHttp } from './errors.js'

/**
 * A WebTransport stream: the underlying QUIC stream minus its WebTransport header, with application error codes
 * translated to and from the HTTP/3 code space, and failed with the session's error once the session ends.
 */
export class WtStream implements QuicStream {
  private leftover: Uint8Array | undefined
  private readonly source: AsyncIterator<Uint8Array>
  private gone: Error | undefined
  private readEnded = false

  /**
   * @param inner the QUIC stream
   * @param headerLength bytes of WebTransport header already written to (local) or read from (remote) `inner`
   * @param source iterator the header was read through (remote streams), so no buffered byte is lost
   * @param leftover bytes read past the header
   */
  constructor(
    readonly inner: QuicStream,
    private readonly headerLength: number,
    source?: AsyncIterator<Uint8Array>,
    leftover?: Uint8Array,
  ) {
    this.source = source ?? inner[Symbol.asyncIterator]()
    this.leftover = leftover && leftover.length > 0 ? leftover : undefined
  }

  get id(): number {
    return this.inner.id
  }
  get direction(): 'bidi' | 'uni' {
    return this.inner.direction
  }
  get initiator(): 'local' | 'remote' {
    return this.inner.initiator
  }
  get priority(): number {
    return this.inner.priority
  }
  get closed(): Promise<void> {
    return this.inner.closed
  }

  /** The session ended: every later read and write fails with `error`, and the peer learns via WT_SESSION_GONE. */
  sessionGone(error: Error): void {
    if (this.gone) return
    this.gone = error
    const canWrite = this.direction === 'bidi' || this.initiator === 'local'
    const canRead = this.direction === 'bidi' || this.initiator === 'remote'
    if (canWrite) this.inner.reset(H3Error.WT_SESSION_GONE)
    if (canRead && !this.readEnded) this.inner.stopSending(H3Error.WT_SESSION_GONE)
  }

  private mapError(e: unknown): unknown {
    if (this.gone) return this.gone
    if (!(e instanceof QmsError)) return e
    const details = e.details as { code?: unknown } | undefined
    if (details?.code === H3Error.WT_SESSION_GONE) {
      // The peer reset the stream because the session ended; its close capsule may still be on the way.
      return new QmsError(TransportErrorCode.CONNECTION_CLOSED, 'WebTransport session is gone', { details, cause: e })
    }
    if (
      (e.code === TransportErrorCode.STREAM_RESET || e.code === TransportErrorCode.STREAM_STOPPED) &&
      typeof details?.code === 'number'
    ) {
      return new QmsError(e.code, e.message, { details: { ...details, code: httpCodeToWt(details.code) }, cause: e })
    }
    return e
  }

  private readonly next = (): Promise<IteratorResult<Uint8Array>> => {
    if (this.gone) return Promise.reject(this.gone)
    const first = this.leftover
    if (first) {
      this.leftover = undefined
      return Promise.resolve({ value: first, done: false })
    }
    return this.source.next().then(
      (r) => {
        if (r.done) {
          this.readEnded = true
          if (this.gone) throw this.gone
        }
        return r
      },
      (e: unknown) => {
        this.readEnded = true
        throw this.mapError(e)
      },
    )
  };

  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    return {
      next: this.next,
      return: async () => {
        // Leaving a read loop early means we don't want the rest (same contract as a native stream).
        if (!this.readEnded) this.stopSending(0)
        return { value: undefined, done: true }
      },
    }
  }

  write(data: Uint8Array): Promise<void> {
    if (this.gone) return Promise.reject(this.gone)
    return this.inner.write(data).catch((e: unknown) => {
      throw this.mapError(e)
    })
  }

  end(data?: Uint8Array): Promise<void> {
    if (this.gone) return Promise.reject(this.gone)
    return this.inner.end(data).catch((e: unknown) => {
      throw this.mapError(e)
    })
  }

  reset(code = 0): void {
    this.inner.reset(wtCodeToHttp(code))
  }

  stopSending(code = 0): void {
    this.readEnded = true
    this.leftover = undefined
    this.inner.stopSending(wtCodeToHttp(code))
  }

  setPriority(priority: number, incremental?: boolean): void {
    this.inner.setPriority(priority, incremental)
  }

  stats(): StreamStats {
    const s = this.inner.stats()
    // The WebTransport header is framing, not payload.
    if (this.initiator === 'local') return { ...s, bytesWritten: Math.max(0, s.bytesWritten - this.headerLength) }
    return { ...s, bytesRead: Math.max(0, s.bytesRead - this.headerLength) }
  }

  readable(): ReadableStream<Uint8Array> {
    const it = this[Symbol.asyncIterator]()
    return new ReadableStream<Uint8Array>(
      {
        pull: (c) => it.next().then((r) => (r.done ? c.close() : c.enqueue(r.value))),
        cancel: () => void it.return?.(),
      },
      { highWaterMark: 0 },
    )
  }

  writable(): WritableStream<Uint8Array> {
    return writableOf(this)
  }
}
