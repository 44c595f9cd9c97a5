import { createLogger } from '@quic-multistream/protocol'
import { AsyncQueue } from '../async-queue.js'
import type { ConnectOptions, EndpointStats, QuicEndpoint } from '../options.js'
import type { QuicConnection, SocketAddress } from '../types.js'
import { H3Error } from './errors.js'
import { emptyWebTransportStats, H3Connection, type IncomingRequest, type WebTransportStats } from './h3-connection.js'
import { encodeFrame, FrameType } from './h3-frames.js'
import { localSettings } from './h3-settings.js'
import { encodeFieldSection, type HeaderList } from './qpack.js'
import { judgeConnect, pathname } from './request.js'
import type { WtSession } from './session.js'

const log = createLogger('qms:webtransport:server')

/** The ALPN of HTTP/3; the endpoint must offer it (beside `qms/1`) for browsers to connect. */
export const H3_ALPN = 'h3'

/** Options of {@link withWebTransport}. */
export interface WebTransportServerOptions {
  /** Paths (without query) that accept sessions, or a predicate; others get 404. Default: every path. */
  paths?: string[] | ((path: string) => boolean)
  /** Origins allowed to open sessions (the `origin` request header), or a predicate; others get 403. Default: all. */
  origins?: string[] | ((origin: string | undefined) => boolean)
  /** Concurrent sessions one HTTP/3 connection may carry; more get 429. Default 16. */
  maxSessionsPerConnection?: number
}

/** An endpoint view that also accepts WebTransport sessions. */
export interface WebTransportEndpoint extends QuicEndpoint {
  /** The underlying endpoint. */
  readonly endpoint: QuicEndpoint
  /** Counters of the HTTP/3 and WebTransport layer. */
  webTransportStats(): WebTransportStats
}

/**
 * Serves WebTransport (HTTP/3 extended CONNECT) on an endpoint that offers ALPN `h3`. The returned view's
 * `incomingConnections` yields native connections unchanged and each accepted WebTransport session as a
 * `QuicConnection` (alpn `webtransport`), so code above the transport needs no special case. Take connections from
 * the view only: it consumes the endpoint's own `incomingConnections`.
 *
 * @example
 * ```ts
 * const cert = await generateDevCertificate()
 * const endpoint = await createEndpoint({ alpn: ['qms/1', 'h3'], tls: { cert: cert.cert, key: cert.key } })
 * const server = withWebTransport(endpoint, { paths: ['/mesh'] })
 * for await (const conn of server.incomingConnections) serve(conn)
 * // In a browser: new WebTransport(`https://127.0.0.1:${port}/mesh`, { serverCertificateHashes: [...] })
 * ```
 */
export function withWebTransport(
  endpoint: QuicEndpoint,
  options: WebTransportServerOptions = {},
): WebTransportEndpoint {
  return new WebTransportServer(endpoint, options)
}

function matcher<T>(rule: T[] | ((v: T) => boolean) | undefined): (v: T) => boolean {
  if (rule === undefined) return () => true
  if (typeof rule === 'function') return rule
  const set = new Set(rule)
  return (v) => set.has(v)
}

class WebTransportServer implements WebTransportEndpoint {
  readonly incomingConnections = new AsyncQueue<QuicConnection>()
  private readonly sessions = new Set<WtSession>()
  private readonly counters = emptyWebTransportStats()
  private readonly settings: ReadonlyMap<number, number>
  private readonly pathAllowed: (path: string) => boolean
  private readonly originAllowed: (origin: string | undefined) => boolean
  private readonly maxSessions: number

  constructor(
    readonly endpoint: QuicEndpoint,
    options: WebTransportServerOptions,
  ) {
    this.maxSessions = options.maxSessionsPerConnection ?? 16
    this.settings = localSettings(this.maxSessions)
    this.pathAllowed = matcher(options.paths)
    this.originAllowed = matcher<string | undefined>(options.origins)
    void this.pump()
  }

  get address(): SocketAddress {
    return this.endpoint.address
  }

  get connections(): ReadonlySet<QuicConnection> {
    const out = new Set<QuicConnection>()
    for (const c of this.endpoint.connections) if (c.alpn !== H3_ALPN) out.add(c)
    for (const s of this.sessions) out.add(s)
    return out
  }

  connect(options: ConnectOptions): Promise<QuicConnection> {
    return this.endpoint.connect(options)
  }

  stats(): EndpointStats {
    return this.endpoint.stats()
  }

  webTransportStats(): WebTransportStats {
    return { ...this.counters }
  }

  async close(options?: { code?: number; reason?: string; timeoutMs?: number }): Promise<void> {
    this.incomingConnections.end()
    await this.endpoint.close(options)
  }

  private async pump(): Promise<void> {
    try {
      for await (const conn of this.endpoint.incomingConnections) {
        if (conn.alpn === H3_ALPN) this.serveH3(conn)
        else if (!this.incomingConnections.push(conn)) void conn.close(0, 'endpoint is not accepting')
      }
    } catch (e) {
      if (log.enabled) log(`accept loop ended: ${(e as Error).message}`)
    }
    this.incomingConnections.end()
  }

  private serveH3(conn: QuicConnection): void {
    const h3: H3Connection = new H3Connection(conn, this.settings, this.counters, (req) => this.onRequest(h3, req))
    h3.start()
  }

  private onRequest(h3: H3Connection, req: IncomingRequest): void {
    const { stream, headers } = req
    const verdict = judgeConnect(headers)
    if (verdict.kind === 'malformed') {
      if (log.enabled) log(`${h3.quic.id} malformed request on stream ${stream.id}: ${verdict.reason}`)
      this.counters.malformedRequests++
      stream.stopSending(H3Error.MESSAGE_ERROR)
      stream.reset(H3Error.MESSAGE_ERROR)
      h3.sessionRefused(stream.id)
      return
    }
    let status = 200
    if (verdict.kind === 'status') status = verdict.status
    else if (!this.pathAllowed(pathname(verdict.path))) status = 404
    else if (!this.originAllowed(verdict.origin)) status = 403
    else if (h3.sessions.size >= this.maxSessions || h3.goingAway) status = 429
    else if (this.incomingConnections.isEnded) status = 503
    if (status !== 200) {
      this.counters.requestsRejected++
      h3.sessionRefused(stream.id)
      stream.end(responseFrame([[':status', String(status)]])).catch(() => {})
      stream.stopSending(H3Error.NO_ERROR)
      return
    }
    stream
      .write(
        responseFrame([
          [':status', '200'],
          ['sec-webtransport-http3-draft', 'draft02'],
        ]),
      )
      .catch(() => {})
    const path = verdict.kind === 'webtransport' ? verdict.path : '/'
    const session = h3.addSession(stream.id, stream, req.reader, path, headers)
    this.sessions.add(session)
    void session.closed.then(() => this.sessions.delete(session))
    if (!this.incomingConnections.push(session)) void session.close(0, 'endpoint is not accepting')
  }
}

/** A HEADERS frame carrying a response. */
function responseFrame(headers: HeaderList): Uint8Array {
  return encodeFrame(FrameType.HEADERS, encodeFieldSection(headers))
}
