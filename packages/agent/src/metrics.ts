import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { formatAddress } from '@quic-multistream/mesh'
import { createLogger, LANES, QmsError } from '@quic-multistream/protocol'
import type { ConnectionStats, EndpointStats, QuicEndpoint } from '@quic-multistream/transport'
import { Counter, Gauge, Registry } from 'prom-client'
import type { AgentStats } from './agent-stats.js'

const log = createLogger('qms:agent').extend('metrics')

/** Where an agent serves its Prometheus metrics (the `metrics` option of `Agent.start`). */
export interface MetricsOptions {
  /** Port to listen on; default 0 (any free port: read the URL from `agent.metricsUrl`). */
  port?: number
  /** Address to listen on; default `127.0.0.1`, so the metrics are not exposed beyond this host unless asked. */
  host?: string
  /** URL path of the exposition; default `/metrics`. */
  path?: string
}

/**
 * What {@link collectAgentMetrics} reads at every scrape. An `Agent` is one (without transport figures); the agent's
 * own metrics server also passes its endpoint.
 */
export interface AgentMetricsSource {
  /** The agent id, the `agent` label of every sample. */
  readonly id: string
  stats(): AgentStats
  /** The QUIC endpoint, for the `qms_transport_*` and `qms_connection_*` families. */
  readonly endpoint?: Pick<QuicEndpoint, 'stats' | 'connections'>
}

/** A running metrics HTTP server. */
export interface MetricsServer {
  /** Where to scrape, e.g. `http://127.0.0.1:9464/metrics`. */
  readonly url: string
  /** The registry it exposes. */
  readonly registry: Registry
  /** Stops listening and drops open scrape connections. */
  close(): Promise<void>
}

/** Everything one scrape reports, read once and shared by every family of that scrape. */
interface Snapshot {
  agent: AgentStats
  endpoint: EndpointStats | undefined
  connections: { id: string; role: string; remote: string; stats: ConnectionStats }[]
}

type Labels = Record<string, string>
type Sample = readonly [labels: Labels, value: number]

interface Family {
  name: string
  help: string
  type: 'counter' | 'gauge'
  /** Label names besides `agent`. */
  labels?: readonly string[]
  read(s: Snapshot): Iterable<Sample>
}

type LaneName = (typeof LANES)[number]
type Rows<K extends string> = Iterable<readonly [Labels, Record<K, number>]>

const snake = (key: string) => key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)

/**
 * One family per field of a stats object, named `<prefix>_<field in snake case>` (plus `_total` for counters), so
 * the metric names follow the `stats()` fields they come from.
 */
function fields<K extends string>(
  prefix: string,
  help: Record<K, string>,
  rows: (s: Snapshot) => Rows<NoInfer<K>>,
  options: { gauges?: readonly NoInfer<K>[]; labels?: readonly string[] } = {},
): Family[] {
  return (Object.keys(help) as K[]).map((key) => {
    const type = options.gauges?.includes(key) ? 'gauge' : 'counter'
    return {
      name: `${prefix}_${snake(key)}${type === 'counter' ? '_total' : ''}`,
      help: help[key],
      type,
      ...(options.labels ? { labels: options.labels } : {}),
      read: (s) => [...rows(s)].map(([labels, values]) => [labels, values[key]] as const),
    }
  })
}

const one = <T>(value: T): [Labels, T][] => [[{}, value]]
const perLane = <T>(value: (lane: LaneName) => T): [Labels, T][] => LANES.map((lane) => [{ lane }, value(lane)])
const perConnection = <T>(s: Snapshot, value: (c: ConnectionStats) => T): [Labels, T][] =>
  s.connections.map((c) => [{ connection: c.id, role: c.role, remote: c.remote }, value(c.stats)])
const connectionLabels = ['connection', 'role', 'remote']

/** Every family an agent exposes; the README lists the same names. */
const FAMILIES: readonly Family[] = [
  ...fields(
    'qms_agent_lane',
    {
      sent: 'Envelopes this agent originated, per lane.',
      received: 'Envelopes received, per lane.',
      queued: 'Frames waiting in the lane queues now.',
      rejectedFull: 'Sends refused with ERR_QUEUE_FULL, per lane.',
    },
    (s) => perLane((l) => s.agent.lanes[l]),
    { gauges: ['queued'], labels: ['lane'] },
  ),
  ...fields(
    'qms_agent_requests',
    {
      sent: 'Requests sent.',
      succeeded: 'Requests answered with a reply.',
      failed: 'Requests that failed (any code).',
      timedOut: 'Requests that timed out.',
      served: 'Requests this agent answered.',
      inflight: 'Own requests and critical sends awaiting an answer.',
    },
    (s) => one(s.agent.requests),
    { gauges: ['inflight'] },
  ),
  ...fields(
    'qms_agent_critical',
    {
      sent: 'Critical messages sent.',
      acked: 'Critical messages acknowledged.',
      retries: 'Critical redeliveries.',
      handled: 'Critical messages handled here.',
    },
    (s) => one(s.agent.critical),
  ),
  ...fields(
    'qms_agent_pubsub',
    {
      published: 'publish() calls.',
      deliveries: 'Subscribers that published messages were handed to.',
      received: 'Published messages received.',
    },
    (s) => one(s.agent.pubsub),
  ),
  ...fields(
    'qms_agent_notifications',
    { sent: 'Datagrams sent.', received: 'Datagrams received.', dropped: 'Datagrams dropped before QUIC.' },
    (s) => one(s.agent.notifications),
  ),
  ...fields('qms_agent_streams', { opened: 'Named streams opened.', accepted: 'Named streams accepted.' }, (s) =>
    one(s.agent.streams),
  ),
  ...fields('qms_agent', { dedupHits: 'Redelivered critical messages recognised.' }, (s) => one(s.agent)),
  {
    name: 'qms_agent_errors_total',
    help: 'Failures by error code.',
    type: 'counter',
    labels: ['code'],
    read: (s) => Object.entries(s.agent.errors).map(([code, n]) => [{ code }, n]),
  },
  ...fields(
    'qms_pool',
    {
      connections: 'Peer links in use.',
      retired: 'Links kept only until their traffic ends.',
      dials: 'Dials to peers.',
      dialFailures: 'Dials that failed.',
      accepted: 'Peer connections accepted.',
      reconnects: 'Dials to a peer connected to before.',
      authRejected: 'Peers that failed our authentication.',
      authFailed: 'Dials that failed authentication.',
      evictedIdle: 'Links closed for being idle.',
      evictedLimit: 'Links closed for the connection limit.',
      duplicates: 'Simultaneous dials resolved.',
      replaced: 'Links replaced by a restarted peer.',
    },
    (s) => one(s.agent.pool),
    { gauges: ['connections', 'retired'] },
  ),
  ...fields(
    'qms_pool_lane',
    { written: 'Frames written to lane streams.' },
    (s) => perLane((l) => s.agent.pool.lanes[l]),
    { labels: ['lane'] },
  ),
  ...fields(
    'qms_transport',
    {
      connectionsAccepted: 'QUIC connections accepted.',
      connectionsDialed: 'QUIC connections dialed.',
      connectionsActive: 'QUIC connections open.',
      connectionsRejected: 'QUIC connections refused.',
      handshakesFailed: 'Accepted handshakes that failed.',
      badPacketsDropped: 'UDP datagrams dropped as unusable.',
      packetsReceived: 'UDP packets received.',
      packetsSent: 'UDP packets sent.',
      retriesSent: 'Retry packets sent.',
      versionNegotiationsSent: 'Version negotiation packets sent.',
    },
    (s) => (s.endpoint ? one(s.endpoint) : []),
    { gauges: ['connectionsActive'] },
  ),
  ...fields(
    'qms_connection',
    {
      rttSeconds: 'Smoothed RTT of the connection.',
      cwndBytes: 'Congestion window of the connection.',
      packetsSent: 'Packets sent on the connection.',
      packetsReceived: 'Packets received on the connection.',
      packetsLost: 'Packets declared lost.',
      retransmits: 'Retransmitted packets.',
      bytesSent: 'Bytes sent on the connection.',
      bytesReceived: 'Bytes received on the connection.',
      bytesLost: 'Bytes declared lost.',
      streamsOpened: 'Streams opened on the connection.',
      streamsClosed: 'Streams closed on the connection.',
      datagramsSent: 'Datagrams sent.',
      datagramsReceived: 'Datagrams received.',
      datagramsDropped: 'Datagrams dropped.',
    },
    (s) => perConnection(s, (c) => ({ ...c, rttSeconds: c.rttMs / 1000, cwndBytes: c.cwnd })),
    { gauges: ['rttSeconds', 'cwndBytes'], labels: connectionLabels },
  ),
]

/** The names of every metric family {@link collectAgentMetrics} registers. */
export const AGENT_METRIC_NAMES: readonly string[] = FAMILIES.map((f) => f.name)

function takeSnapshot(source: AgentMetricsSource): Snapshot {
  const endpoint = source.endpoint
  return {
    agent: source.stats(),
    endpoint: endpoint?.stats(),
    connections: [...(endpoint?.connections ?? [])].map((c) => ({
      id: c.id,
      role: c.role,
      remote: formatAddress(c.remoteAddress),
      stats: c.stats(),
    })),
  }
}

/**
 * Registers the agent, lane, pool and transport metric families in `registry`, each computed from `source` when the
 * registry is scraped (no timers). Every sample carries the label `agent` = `source.id`. One source per registry:
 * the family names are fixed, so a second call on the same registry throws; give each agent its own `Registry`.
 */
export function collectAgentMetrics(registry: Registry, source: AgentMetricsSource): void {
  // A scrape calls every family's collect in the same tick; one snapshot serves them all, then is dropped.
  let current: Snapshot | undefined
  const snapshot = (): Snapshot => {
    if (current === undefined) {
      current = takeSnapshot(source)
      queueMicrotask(() => {
        current = undefined
      })
    }
    return current
  }
  const agent = source.id
  for (const f of FAMILIES) {
    const config = { name: f.name, help: f.help, labelNames: ['agent', ...(f.labels ?? [])], registers: [registry] }
    const samples = () => [...f.read(snapshot())].map(([labels, value]) => [{ ...labels, agent }, value] as const)
    if (f.type === 'counter') {
      new Counter({
        ...config,
        collect() {
          this.reset()
          for (const [labels, value] of samples()) this.inc(labels, value)
        },
      })
    } else {
      new Gauge({
        ...config,
        collect() {
          this.reset()
          for (const [labels, value] of samples()) this.set(labels, value)
        },
      })
    }
  }
}

/**
 * Serves `registry` in the Prometheus text format over HTTP (`GET <path>`; anything else is a 404).
 * @throws QmsError `ERR_METRICS_LISTEN` when the address cannot be bound.
 */
export async function createMetricsServer(registry: Registry, options: MetricsOptions = {}): Promise<MetricsServer> {
  const host = options.host ?? '127.0.0.1'
  const path = options.path ?? '/metrics'
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://metrics')
    if (req.method !== 'GET' || url.pathname !== path) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n')
      return
    }
    registry.metrics().then(
      (body) => res.writeHead(200, { 'content-type': registry.contentType }).end(body),
      (e: unknown) => {
        log('scrape failed: %s', String(e))
        res.writeHead(500, { 'content-type': 'text/plain' }).end('scrape failed\n')
      },
    )
  })
  await listen(server, options.port ?? 0, host)
  const { port } = server.address() as AddressInfo
  const url = `http://${formatAddress({ host, port })}${path}`
  log('serving metrics at %s', url)
  return {
    url,
    registry,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        // Scrapers keep connections alive between scrapes; without this, close would wait for them to time out.
        server.closeAllConnections()
      }),
  }
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', (e) =>
      reject(
        new QmsError('ERR_METRICS_LISTEN', `cannot serve metrics on ${formatAddress({ host, port })}`, {
          cause: e,
          details: { host, port },
        }),
      ),
    )
    server.listen(port, host, () => resolve())
  })
}

/**
 * Serves one agent's metrics on a registry of its own (never prom-client's global one, so agents sharing a process
 * do not clash): what `Agent.start` does with the `metrics` option.
 * @throws QmsError `ERR_METRICS_LISTEN` when the address cannot be bound.
 */
export function serveAgentMetrics(source: AgentMetricsSource, options: MetricsOptions = {}): Promise<MetricsServer> {
  const registry = new Registry()
  collectAgentMetrics(registry, source)
  return createMetricsServer(registry, options)
}
