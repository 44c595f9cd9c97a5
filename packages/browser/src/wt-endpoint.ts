import { QmsError } from '@quic-multistream/protocol'
import type {
  ConnectOptions,
  EndpointStats,
  QuicConnection,
  QuicEndpoint,
  SocketAddress,
} from '@quic-multistream/transport'
import type { CertificateHash } from './certificate-hash.js'
import { WebTransportConnection } from './wt-connection.js'

/** Options of {@link createWebTransportEndpoint}. */
export interface WebTransportEndpointOptions {
  /** Path of the WebTransport endpoint on every server this endpoint dials (e.g. `/mesh`). Default `/`. */
  path?: string
  /** Pins of the servers' certificates (see `WebTransportOpenOptions`). */
  serverCertificateHashes?: readonly CertificateHash[]
  /** Default deadline for a session to be ready. Default 5,000 ms. */
  connectTimeoutMs?: number
}

/**
 * The address a browser endpoint reports: a page listens nowhere, and `.invalid` (RFC 2606) cannot resolve, so a
 * peer that tries to dial it back fails at once instead of reaching something else.
 */
export const BROWSER_ADDRESS: SocketAddress = { host: 'browser.invalid', port: 0 }

/**
 * A client-only `QuicEndpoint` for a page: `connect({ host, port })` opens a WebTransport session to
 * `https://host:port<path>`; nothing is ever accepted (`incomingConnections` ends when the endpoint closes). It is
 * what `Agent.start({ transport })` needs to run the Agent in a browser.
 */
export function createWebTransportEndpoint(options: WebTransportEndpointOptions = {}): QuicEndpoint {
  const path = options.path === undefined ? '/' : options.path.startsWith('/') ? options.path : `/${options.path}`
  const connections = new Set<QuicConnection>()
  const counters = { dialed: 0, failed: 0 }
  let closed = false
  let wakeIncoming: () => void = () => {}
  const incomingDone = new Promise<void>((resolve) => {
    wakeIncoming = resolve
  })
  return {
    address: BROWSER_ADDRESS,
    connections,
    incomingConnections: {
      [Symbol.asyncIterator]: (): AsyncIterator<QuicConnection> => ({
        next: async () => {
          await incomingDone
          return { done: true, value: undefined }
        },
      }),
    },
    async connect(o: ConnectOptions): Promise<QuicConnection> {
      if (closed) throw new QmsError('ERR_ENDPOINT_CLOSED', 'the WebTransport endpoint is closed')
      const host = o.host.includes(':') ? `[${o.host}]` : o.host
      const url = `https://${host}:${o.port}${path}`
      try {
        const conn = await WebTransportConnection.open(url, {
          timeoutMs: o.timeoutMs ?? options.connectTimeoutMs ?? 5_000,
          ...(options.serverCertificateHashes ? { serverCertificateHashes: options.serverCertificateHashes } : {}),
          ...(o.signal ? { signal: o.signal } : {}),
        })
        counters.dialed++
        connections.add(conn)
        void conn.closed.then(() => connections.delete(conn))
        return conn
      } catch (e) {
        counters.failed++
        throw e
      }
    },
    stats(): EndpointStats {
      return {
        connectionsAccepted: 0,
        connectionsDialed: counters.dialed,
        connectionsActive: connections.size,
        connectionsRejected: 0,
        handshakesFailed: counters.failed,
        badPacketsDropped: 0,
        packetsReceived: 0,
        packetsSent: 0,
        retriesSent: 0,
        versionNegotiationsSent: 0,
      }
    },
    async close(o: { code?: number; reason?: string; timeoutMs?: number } = {}): Promise<void> {
      closed = true
      wakeIncoming()
      const all = Promise.all([...connections].map((c) => c.close(o.code ?? 0, o.reason ?? 'endpoint closed')))
      await Promise.race([all, new Promise((r) => setTimeout(r, o.timeoutMs ?? 1_000))])
    },
  }
}
