/**
 * The telemetry the dashboard shows: two message types, each published on its own topic per agent. Any agent of the
 * mesh may publish them (`startTelemetryReporter` does it from `agent.stats()`); the page subscribes to
 * {@link TELEMETRY_PATTERN}. Counters are cumulative since the agent started: subscribers derive rates from two
 * consecutive reports, so a lost report costs resolution, not correctness.
 */
import { defineMessage } from '@quic-multistream/protocol'
import { z } from 'zod'

/** Every telemetry topic starts with this token. */
export const TELEMETRY_PREFIX = 'telemetry'
/** The pattern the dashboard's gateway subscribes to. */
export const TELEMETRY_PATTERN = `${TELEMETRY_PREFIX}.>`

/**
 * Pages subscribe to telemetry relayed by their gateway under this prefix (`dashboard.telemetry.agent.<id>`...).
 * A page can be reached only over the connection it opened to its gateway, so an agent elsewhere in the mesh could
 * not deliver to a page subscription on `telemetry.>`: it would try, fail to dial the page, and count an error.
 * Only the gateway publishes the relayed topics, and it reaches its pages directly.
 */
export const PAGE_PREFIX = 'dashboard'
/** The pattern dashboard pages subscribe to. */
export const PAGE_PATTERN = `${PAGE_PREFIX}.${TELEMETRY_PREFIX}.>`

/** The relayed topic of a telemetry topic. */
export function pageTopic(topic: string): string {
  return `${PAGE_PREFIX}.${topic}`
}

/** An agent id as one topic token (dots and wildcards replaced by `_`). */
export function topicToken(id: string): string {
  return id.replace(/[.*>\s]/g, '_')
}

/** Topic of an agent's {@link AgentTelemetry}: `telemetry.agent.<id>`. */
export function agentTopic(id: string): string {
  return `${TELEMETRY_PREFIX}.agent.${topicToken(id)}`
}

/** Topic of an agent's {@link ConnectionTelemetry}: `telemetry.connections.<id>`. */
export function connectionsTopic(id: string): string {
  return `${TELEMETRY_PREFIX}.connections.${topicToken(id)}`
}

const count = z.number().int().nonnegative()

/** Traffic of one priority lane (cumulative envelopes; `queued` is current). */
export const LaneTelemetrySchema = z.object({
  lane: z.enum(['critical', 'high', 'normal', 'low', 'background']),
  sent: count,
  received: count,
  queued: count,
})

/** One agent's report: its counters from `agent.stats()`. */
export const AgentTelemetry = defineMessage(
  'qms.telemetry.agent',
  z.object({
    id: z.string(),
    /** Free label shown by the dashboard (coordinator, worker, dashboard...). */
    role: z.string().optional(),
    /** Milliseconds since the epoch when the report was made. */
    at: z.number(),
    uptimeMs: z.number().nonnegative(),
    lanes: z.array(LaneTelemetrySchema),
    requests: z.object({ sent: count, succeeded: count, failed: count, inflight: count }),
    critical: z.object({ sent: count, acked: count }),
    pubsub: z.object({ published: count, received: count }),
    /** Open pooled connections (one per peer). */
    connections: count,
    /** Agents in this agent's registry view, itself included. */
    peers: count,
    /** Failures by stable error code. */
    errors: z.record(z.string(), count),
  }),
)

/** One QUIC connection as its owner sees it. */
export const ConnectionSampleSchema = z.object({
  id: z.string(),
  /** `host:port` of the peer. */
  remote: z.string(),
  alpn: z.string(),
  role: z.enum(['client', 'server']),
  rttMs: z.number().nonnegative(),
  bytesSent: count,
  bytesReceived: count,
  packetsLost: count,
  streamsOpened: count,
})

/** One agent's QUIC connections (RTT, bytes), from its endpoint. */
export const ConnectionTelemetry = defineMessage(
  'qms.telemetry.connections',
  z.object({
    id: z.string(),
    at: z.number(),
    connections: z.array(ConnectionSampleSchema),
  }),
)

/** Body of {@link AgentTelemetry}. */
export type AgentTelemetryBody = z.infer<typeof AgentTelemetry.schema>
/** Body of {@link ConnectionTelemetry}. */
export type ConnectionTelemetryBody = z.infer<typeof ConnectionTelemetry.schema>
/** One entry of {@link ConnectionTelemetryBody.connections}. */
export type ConnectionSample = z.infer<typeof ConnectionSampleSchema>
