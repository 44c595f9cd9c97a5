import { createLogger, QmsError } from '@quic-multistream/protocol'
import type {
  CloseInfo,
  ConnectionStats,
  QuicConnection,
  QuicStream,
  SocketAddress,
  StreamOptions,
} from '@quic-multistream/transport'
import { type CertificateHash, certificateHashBytes } from './certificate-hash.js'
import { BrowserErrorCode, fromWebTransportError } from './errors.js'
import { Inbox } from './inbox.js'
import { clampPriority, WebTransportStream } from './wt-stream.js'

const log = createLogger('qms:browser:transport')

/** ALPN of every WebTransport session (it runs over HTTP/3). */
export const WEBTRANSPORT_ALPN = 'h3'

/** Options of {@link WebTransportConnection.open}. */
export interface WebTransportOpenOptions {
  /** Pins of the server's certificate (an ECDSA P-256 certificate valid at most 14 days, as browsers require). */
  serverCertificateHashes?: readonly CertificateHash[]
  /** Deadline for the session to be ready. Default 5,000 ms. */
  timeoutMs?: number
  signal?: AbortSignal
}

/** Chromium's `getStats()` result (not yet in TypeScript's DOM types); only the fields we read. */
interface WebTransportStatsLike {
  bytesSent?: number
  bytesReceived?: number
  packetsSent?: number
  packetsReceived?: number
  packetsLost?: number
  smoothedRtt?: number
  datagrams?: { droppedIncoming?: number; expiredOutgoing?: number; lostOutgoing?: number }
}

const STATS_REFRESH_MS = 250

/**
 * A `QuicConnection` over the browser's W3C `WebTransport`: a client-side session to an HTTP/3 server (ours:
 * `withWebTransport` in `@quic-multistream/transport`). Streams both ways, datagrams, close codes. `stats()` counts
 * streams, datagrams and stream bytes itself; packets and RTT come from the browser's `getStats()` where it has one
 * (refreshed in the background; Chromium 156 has none, so there `rttMs` stays 0: read RTT on the server's side).
 */
export class WebTransportConnection implements QuicConnection {
  readonly id: string
  readonly role = 'client' as const
  readonly remoteAddress: SocketAddress
  readonly alpn = WEBTRANSPORT_ALPN
  readonly peerCertificate = undefined
  readonly resumed = false
  readonly earlyData = false
  readonly closed: Promise<CloseInfo>
  readonly #wt: WebTransport
  readonly #streams = new Inbox<QuicStream>()
  readonly #datagrams = new Inbox<Uint8Array>()
  readonly #datagramWriter: WritableStreamDefaultWriter<Uint8Array>
  readonly #counters: ConnectionStats = {
    packetsSent: 0,
    packetsReceived: 0,
    packetsLost: 0,
    retransmits: 0,
    bytesSent: 0,
    bytesReceived: 0,
    bytesLost: 0,
    rttMs: 0,
    cwnd: 0,
    streamsOpened: 0,
    streamsClosed: 0,
    datagramsSent: 0,
    datagramsReceived: 0,
    datagramsDropped: 0,
  }
  /** Stream bytes, counted by us: used until the browser's own byte counters arrive. */
  readonly #streamBytes = { written: 0, read: 0 }
  #browserStats: WebTransportStatsLike | undefined
  #statsAt = 0
  #nextLocal = { bidi: 0, uni: 0 }
  #nextRemote = { bidi: 0, uni: 0 }
  #open = true
  #closing = false

  private constructor(wt: WebTransport, remote: SocketAddress, id: string) {
    this.#wt = wt
    this.id = id
    this.remoteAddress = remote
    const datagrams = wt.datagrams as WebTransportDatagramDuplexStream & {
      createWritable?: () => WritableStream<Uint8Array>
    }
    // Newer drafts replace the single `writable` with `createWritable()`; Chromium has had both.
    this.#datagramWriter = (datagrams.createWritable?.() ?? datagrams.writable).getWriter()
    this.#datagramWriter.closed.catch(() => {})
    this.closed = wt.closed.then(
      (info) =>
        this.#ended({ code: info.closeCode ?? 0, reason: info.reason ?? '', remote: !this.#closing, app: true }),
      (e: unknown) =>
        this.#ended({
          code: 0,
          reason: e instanceof Error ? e.message : String(e),
          remote: !this.#closing,
          app: false,
          error: fromWebTransportError(e, BrowserErrorCode.CONNECTION_CLOSED, 'session failed'),
        }),
    )
    void this.#acceptStreams(wt.incomingBidirectionalStreams, 'bidi')
    void this.#acceptStreams(wt.incomingUnidirectionalStreams, 'uni')
    void this.#acceptDatagrams(datagrams.readable)
  }

  /**
   * Opens a WebTransport session to `url` (`https://host:port/path`) and waits until it is ready.
   * @throws QmsError `ERR_UNSUPPORTED` (no WebTransport here), `ERR_CONNECT_TIMEOUT`, `ERR_ABORTED`,
   * `ERR_CONNECTION_CLOSED` (refused: wrong pin, no server, a path the server does not serve).
   */
  static async open(url: string, options: WebTransportOpenOptions = {}): Promise<WebTransportConnection> {
    const Ctor = (globalThis as { WebTransport?: typeof WebTransport }).WebTransport
    if (!Ctor)
      throw new QmsError(BrowserErrorCode.UNSUPPORTED, 'this page has no WebTransport (needs a secure context)')
    const target = new URL(url)
    const hashes = (options.serverCertificateHashes ?? []).map((h) => ({
      algorithm: 'sha-256',
      value: new Uint8Array(certificateHashBytes(h)),
    }))
    const wt = new Ctor(url, hashes.length > 0 ? { serverCertificateHashes: hashes } : {})
    const timeoutMs = options.timeoutMs ?? 5_000
    let timer: ReturnType<typeof setTimeout> | undefined
    let onAbort: (() => void) | undefined
    try {
      await Promise.race([
        wt.ready,
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () =>
              reject(
                new QmsError(
                  BrowserErrorCode.CONNECT_TIMEOUT,
                  `no WebTransport session to ${url} within ${timeoutMs} ms`,
                ),
              ),
            timeoutMs,
          )
          const signal = options.signal
          if (signal) {
            onAbort = () =>
              reject(new QmsError(BrowserErrorCode.ABORTED, `connecting to ${url} aborted`, { cause: signal.reason }))
            if (signal.aborted) onAbort()
            else signal.addEventListener('abort', onAbort, { once: true })
          }
        }),
      ])
    } catch (e) {
      wt.closed.catch(() => {})
      try {
        wt.close()
      } catch {
        // Closing a session that never became ready may throw; it is gone either way.
      }
      throw fromWebTransportError(e, BrowserErrorCode.CONNECTION_CLOSED, `WebTransport to ${url} failed`)
    } finally {
      clearTimeout(timer)
      if (onAbort) options.signal?.removeEventListener('abort', onAbort)
    }
    const remote = { host: target.hostname.replace(/^\[|\]$/g, ''), port: Number(target.port || 443) }
    const conn = new WebTransportConnection(wt, remote, `wt-${++connectionCount}`)
    log('session %s ready: %s', conn.id, url)
    return conn
  }

  get isOpen(): boolean {
    return this.#open
  }

  get maxDatagramSize(): number {
    return this.#open ? (this.#wt.datagrams.maxDatagramSize ?? 0) : 0
  }

  get incomingStreams(): AsyncIterable<QuicStream> {
    return this.#streams
  }

  get incomingDatagrams(): AsyncIterable<Uint8Array> {
    return this.#datagrams
  }

  async openBidi(options: StreamOptions = {}): Promise<QuicStream> {
    const priority = clampPriority(options.priority)
    const bidi = await this.#create(() => this.#wt.createBidirectionalStream({ sendOrder: priority }), options)
    return this.#track(
      new WebTransportStream({
        ...this.#hooks(),
        id: this.#nextLocal.bidi++ * 4,
        direction: 'bidi',
        initiator: 'local',
        priority,
        readable: bidi.readable,
        writable: bidi.writable,
      }),
    )
  }

  async openUni(options: StreamOptions = {}): Promise<QuicStream> {
    const priority = clampPriority(options.priority)
    const send = await this.#create(() => this.#wt.createUnidirectionalStream({ sendOrder: priority }), options)
    return this.#track(
      new WebTransportStream({
        ...this.#hooks(),
        id: this.#nextLocal.uni++ * 4 + 2,
        direction: 'uni',
        initiator: 'local',
        priority,
        writable: send,
      }),
    )
  }

  sendDatagram(data: Uint8Array): void {
    if (!this.#open) throw new QmsError(BrowserErrorCode.CONNECTION_CLOSED, `connection ${this.id} is closed`)
    const max = this.maxDatagramSize
    if (data.byteLength > max) {
      throw new QmsError(BrowserErrorCode.DATAGRAM_TOO_LARGE, `datagram of ${data.byteLength} bytes exceeds ${max}`, {
        details: { size: data.byteLength, max },
      })
    }
    this.#counters.datagramsSent++
    // The browser may drop a datagram it cannot send in time; that is the contract of a datagram.
    this.#datagramWriter.write(data.slice()).catch(() => {
      this.#counters.datagramsDropped++
    })
  }

  async close(code = 0, reason = ''): Promise<void> {
    if (this.#open && !this.#closing) {
      this.#closing = true
      try {
        this.#wt.close({ closeCode: code, reason })
      } catch (e) {
        log('close of %s failed: %s', this.id, String(e))
      }
    }
    await this.closed
  }

  stats(): ConnectionStats {
    this.#refreshStats()
    const s = this.#browserStats
    const c = this.#counters
    return {
      ...c,
      packetsSent: s?.packetsSent ?? c.packetsSent,
      packetsReceived: s?.packetsReceived ?? c.packetsReceived,
      packetsLost: s?.packetsLost ?? c.packetsLost,
      bytesSent: s?.bytesSent ?? this.#streamBytes.written,
      bytesReceived: s?.bytesReceived ?? this.#streamBytes.read,
      rttMs: s?.smoothedRtt ?? c.rttMs,
    }
  }

  #refreshStats(): void {
    const now = Date.now()
    const getStats = (this.#wt as { getStats?: () => Promise<WebTransportStatsLike> }).getStats
    if (!this.#open || !getStats || now - this.#statsAt < STATS_REFRESH_MS) return
    this.#statsAt = now
    getStats.call(this.#wt).then(
      (s) => {
        this.#browserStats = s
      },
      () => {},
    )
  }

  async #create<T>(make: () => Promise<T>, options: StreamOptions): Promise<T> {
    if (!this.#open) throw new QmsError(BrowserErrorCode.CONNECTION_CLOSED, `connection ${this.id} is closed`)
    const signal = options.signal
    signal?.throwIfAborted()
    try {
      if (!signal) return await make()
      return await Promise.race([
        make(),
        new Promise<never>((_, reject) =>
          signal.addEventListener(
            'abort',
            () =>
              reject(
                new QmsError(BrowserErrorCode.ABORTED, 'waiting for stream credit aborted', { cause: signal.reason }),
              ),
            { once: true },
          ),
        ),
      ])
    } catch (e) {
      throw fromWebTransportError(e, BrowserErrorCode.CONNECTION_CLOSED, 'cannot open a stream')
    }
  }

  #hooks(): Pick<ConstructorParameters<typeof WebTransportStream>[0], 'onClosed' | 'onBytes'> {
    return {
      onClosed: () => {
        this.#counters.streamsClosed++
      },
      onBytes: (written, read) => {
        this.#streamBytes.written += written
        this.#streamBytes.read += read
      },
    }
  }

  #track(stream: WebTransportStream): WebTransportStream {
    this.#counters.streamsOpened++
    return stream
  }

  async #acceptStreams(source: ReadableStream, direction: 'bidi' | 'uni'): Promise<void> {
    const reader = source.getReader()
    try {
      for (;;) {
        const { value, done } = await reader.read()
        if (done) break
        const n = direction === 'bidi' ? this.#nextRemote.bidi++ * 4 + 1 : this.#nextRemote.uni++ * 4 + 3
        const halves =
          direction === 'bidi'
            ? (value as WebTransportBidirectionalStream)
            : { readable: value as ReadableStream<Uint8Array>, writable: undefined }
        this.#streams.put(
          this.#track(
            new WebTransportStream({
              ...this.#hooks(),
              id: n,
              direction,
              initiator: 'remote',
              priority: 128,
              readable: halves.readable as ReadableStream<Uint8Array>,
              ...(halves.writable ? { writable: halves.writable as WritableStream<Uint8Array> } : {}),
            }),
          ),
        )
      }
    } catch (e) {
      log('incoming %s streams of %s ended: %s', direction, this.id, String(e))
    }
  }

  async #acceptDatagrams(source: ReadableStream<Uint8Array>): Promise<void> {
    const reader = source.getReader()
    try {
      for (;;) {
        const { value, done } = await reader.read()
        if (done) break
        this.#counters.datagramsReceived++
        this.#datagrams.put(value)
      }
    } catch (e) {
      log('datagrams of %s ended: %s', this.id, String(e))
    }
  }

  #ended(info: CloseInfo): CloseInfo {
    this.#open = false
    this.#streams.close()
    this.#datagrams.close()
    log('session %s closed: %o', this.id, info)
    return info
  }
}

let connectionCount = 0
