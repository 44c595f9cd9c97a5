import type { Agent } from '@quic-multistream/agent'
import { formatAddress } from '@quic-multistream/mesh'
import { LANES, type Lane } from '@quic-multistream/protocol'
import type { QuicConnection } from '@quic-multistream/transport'
import {
  AgentTelemetry,
  type AgentTelemetryBody,
  agentTopic,
  ConnectionTelemetry,
  type ConnectionTelemetryBody,
  connectionsTopic,
} from './telemetry.js'

/** Options of {@link startTelemetryReporter}. */
export interface TelemetryReporterOptions {
  /** Time between reports. Default 1,000 ms. */
  intervalMs?: number
  /** Label shown by the dashboard. */
  role?: string
  /** The agent's QUIC connections (e.g. `gatewayTransport().endpoint.connections`), for RTT and bytes. */
  connections?: () => Iterable<QuicConnection>
  /** Lane of the reports. Default `background`: telemetry must never delay the agent's own traffic. */
  priority?: Lane
}

/** The telemetry of `agent` now, as published. */
export function agentReport(agent: Agent, startedAt: number, role?: string): AgentTelemetryBody {
  const s = agent.stats()
  return {
    id: agent.id,
    ...(role === undefined ? {} : { role }),
    at: Date.now(),
    uptimeMs: Date.now() - startedAt,
    lanes: LANES.map((lane) => ({
      lane,
      sent: s.lanes[lane].sent,
      received: s.lanes[lane].received,
      queued: s.lanes[lane].queued,
    })),
    requests: {
      sent: s.requests.sent,
      succeeded: s.requests.succeeded,
      failed: s.requests.failed,
      inflight: s.requests.inflight,
    },
    critical: { sent: s.critical.sent, acked: s.critical.acked },
    pubsub: { published: s.pubsub.published, received: s.pubsub.received },
    connections: s.pool.connections,
    peers: agent.peers().length,
    errors: { ...s.errors },
  }
}

/** The connection telemetry of `agent`'s endpoint now. */
export function connectionReport(id: string, connections: Iterable<QuicConnection>): ConnectionTelemetryBody {
  return {
    id,
    at: Date.now(),
    connections: [...connections]
      .filter((c) => c.isOpen)
      .map((c) => {
        const s = c.stats()
        return {
          id: c.id,
          remote: formatAddress(c.remoteAddress),
          alpn: c.alpn,
          role: c.role,
          rttMs: s.rttMs,
          bytesSent: s.bytesSent,
          bytesReceived: s.bytesReceived,
          packetsLost: s.packetsLost,
          streamsOpened: s.streamsOpened,
        }
      }),
  }
}

/**
 * Publishes `agent`'s telemetry every `intervalMs` on `telemetry.agent.<id>` (and, given `connections`,
 * `telemetry.connections.<id>`). Returns the function that stops it. Publishing failures are counted by the agent
 * (`stats().errors`) and otherwise ignored: telemetry must never take an agent down.
 */
export function startTelemetryReporter(agent: Agent, options: TelemetryReporterOptions = {}): () => void {
  const startedAt = Date.now()
  const send = { priority: options.priority ?? 'background' } as const
  const publish = () => {
    const report = agentReport(agent, startedAt, options.role)
    agent.publish(agentTopic(agent.id), AgentTelemetry, report, send).catch(() => {})
    if (options.connections) {
      const body = connectionReport(agent.id, options.connections())
      agent.publish(connectionsTopic(agent.id), ConnectionTelemetry, body, send).catch(() => {})
    }
  }
  const timer = setInterval(publish, options.intervalMs ?? 1_000)
  timer.unref()
  publish()
  return () => clearInterval(timer)
}
