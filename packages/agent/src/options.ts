import type { ConnectionPoolOptions, Registry } from '@quic-multistream/mesh'
import type { AnyMessageDef } from '@quic-multistream/protocol'
import type { EndpointOptions, QuicEndpoint, TlsOptions } from '@quic-multistream/transport'
import type { DedupOptions } from './dedup-store.js'
import type { RequestDef } from './messages.js'
import type { MetricsOptions } from './metrics.js'

/**
 * Makes the agent's endpoint. Default: the QUIC `createEndpoint`; tests pass `createMemoryEndpoint` (bound to a
 * `MemoryNetwork`), so swapping transports is one option.
 */
export type TransportFactory = (options: EndpointOptions) => Promise<QuicEndpoint>

/** Pool settings an agent passes through to its `ConnectionPool` (from `@quic-multistream/mesh`). */
export type AgentPoolOptions = Pick<
  ConnectionPoolOptions,
  | 'maxConnections'
  | 'idleTimeoutMs'
  | 'retireAfterMs'
  | 'dialTimeoutMs'
  | 'handshakeTimeoutMs'
  | 'dialAttempts'
  | 'backoff'
  | 'laneCapacity'
  | 'structures'
  | 'serverName'
>

/** Options of `Agent.start`. */
export interface AgentOptions {
  /** Unique agent id (letters, digits, `.`, `_`, `-`, `:`; at most 128). */
  id: string
  /** Where to listen, `host:port`. Default `127.0.0.1:0` (any free port). */
  listen?: string
  /** Address to publish in the registry when it differs from the bound one (NAT, 0.0.0.0). */
  advertise?: string
  /** Where agents find each other. */
  registry: Registry
  /** TLS material: a certificate to accept connections, a CA to verify peers, `requireClientCert` for mTLS. */
  tls?: TlsOptions
  /** Shared secret every peer must present in the hello (and that we present); a wrong one gets `ERR_AUTH`. */
  token?: string
  /** Message types this agent understands beyond those it registers handlers for. */
  messages?: ReadonlyArray<AnyMessageDef | RequestDef>
  /** Endpoint factory; default the QUIC one. */
  transport?: TransportFactory
  /** Further endpoint options (limits, timeouts, congestion control...). */
  endpoint?: Omit<EndpointOptions, 'host' | 'port' | 'tls'>
  /** Connection pool settings. */
  pool?: AgentPoolOptions
  /** Default `request` timeout. Default 10,000 ms. */
  requestTimeoutMs?: number
  /** Default time `sendCritical` keeps retrying for an acknowledgement. Default 30,000 ms. */
  criticalTimeoutMs?: number
  /**
   * Window in which redelivered critical messages are recognised (defaults: 120,000 ms, 100,000 ids), and an
   * optional durable `store` (e.g. a `FileDedupStore`) so that the window survives a crash and restart.
   */
  dedup?: DedupOptions
  /**
   * Handlers running at once before this agent stops reading more work from the busiest stream (critical
   * messages are exempt). Default 1,024.
   */
  maxConcurrentHandlers?: number
  /** How long `stop` waits for in-flight work. Default 5,000 ms. */
  drainTimeoutMs?: number
  /** Check outgoing bodies against their schema. Default: on unless `NODE_ENV` is `production`. */
  validateOutgoing?: boolean
  /** Labels published in the registry entry. */
  meta?: Record<string, string>
  /** Largest frame accepted or sent. Default 16 MiB. */
  maxFrameSize?: number
  /**
   * Serve Prometheus metrics (agent, lane, pool and transport stats) over HTTP, by default on `127.0.0.1`, any free
   * port, path `/metrics`; `agent.metricsUrl` says where. Off when absent.
   */
  metrics?: MetricsOptions
}
