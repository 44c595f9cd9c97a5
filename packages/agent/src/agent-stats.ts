import type { PoolStats } from '@quic-multistream/mesh'
import { LANES, type Lane } from '@quic-multistream/protocol'

/** Per-lane traffic of an agent. */
export interface LaneStats {
  /** Envelopes this agent originated on the lane. */
  sent: number
  /** Envelopes received on the lane. */
  received: number
  /** Frames waiting in the lane's queues now. */
  queued: number
  /** Sends refused with `ERR_QUEUE_FULL`. */
  rejectedFull: number
}

/** Snapshot returned by `agent.stats()`. */
export interface AgentStats {
  id: string
  lanes: Record<Lane, LaneStats>
  requests: { sent: number; succeeded: number; failed: number; timedOut: number; served: number; inflight: number }
  critical: { sent: number; acked: number; retries: number; handled: number }
  pubsub: { published: number; deliveries: number; received: number }
  notifications: { sent: number; received: number; dropped: number }
  streams: { opened: number; accepted: number }
  /** Redelivered critical messages recognised (their handler did not run again). */
  dedupHits: number
  /** Failures by code: our calls that failed, and bad input or refusals involving peers. */
  errors: Record<string, number>
  pool: PoolStats
}

/** The mutable counters behind {@link AgentStats}. */
export class AgentCounters {
  readonly sent = new Array<number>(LANES.length).fill(0)
  readonly received = new Array<number>(LANES.length).fill(0)
  readonly requests = { sent: 0, succeeded: 0, failed: 0, served: 0 }
  readonly critical = { sent: 0, acked: 0, retries: 0, handled: 0 }
  readonly pubsub = { published: 0, deliveries: 0, received: 0 }
  readonly notifications = { sent: 0, received: 0, dropped: 0 }
  readonly streams = { opened: 0, accepted: 0 }
  dedupHits = 0
  readonly errors = new Map<string, number>()

  error(code: string): void {
    this.errors.set(code, (this.errors.get(code) ?? 0) + 1)
  }
}
