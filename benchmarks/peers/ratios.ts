// Ratios of the quic-multistream Agent against each peer and floor, and the goals of issue #7, which are stated as
// such ratios (they hold up on a shared machine better than absolute rates, since load hits every system alike).
import type { Aggregate } from './suite.js'
import type { PatternId } from './wire.js'

/** The system every ratio is about. */
export const SUBJECT = 'quic'

/** How each pattern reads: its label and unit, and whether a bigger figure is better. */
export const PATTERN_INFO: Record<PatternId, { label: string; unit: string; higherIsBetter: boolean }> = {
  seq: { label: 'req/reply 1 KiB sequential', unit: 'rtt/s', higherIsBetter: true },
  inflight: { label: 'req/reply 100 in flight', unit: 'rtt/s', higherIsBetter: true },
  oneway: { label: 'one-way 1 KiB', unit: 'msg/s', higherIsBetter: true },
  bulk: { label: 'bulk, one stream (large packets)', unit: 'MB/s', higherIsBetter: true },
  bulk1350: { label: 'bulk, one stream (1350 B packets)', unit: 'MB/s', higherIsBetter: true },
  fanout: { label: 'fan-out to 10 subscribers', unit: 'deliveries/s', higherIsBetter: true },
  setup: { label: 'connection setup to 1st reply, p50', unit: 'ms', higherIsBetter: false },
  rss: { label: 'server RSS per idle connection', unit: 'KiB', higherIsBetter: false },
}

/** Per pattern, per other system: how many times better the subject is (above 1: the subject is better). */
export type Ratios = Partial<Record<PatternId, Record<string, number>>>

/** Ratios of the subject against every other system that has the same figure. */
export function computeRatios(
  systems: ReadonlyArray<{ id: string; figures: Partial<Record<PatternId, Aggregate>> }>,
): Ratios {
  const subject = systems.find((s) => s.id === SUBJECT)
  const ratios: Ratios = {}
  if (!subject) return ratios
  for (const [pattern, mine] of Object.entries(subject.figures) as [PatternId, Aggregate][]) {
    const row: Record<string, number> = {}
    for (const other of systems) {
      const theirs = other.figures[pattern]
      if (other.id === SUBJECT || !theirs || theirs.median <= 0 || mine.median <= 0) continue
      row[other.id] = PATTERN_INFO[pattern].higherIsBetter ? mine.median / theirs.median : theirs.median / mine.median
    }
    ratios[pattern] = row
  }
  return ratios
}

/** A goal of issue #7: the subject's ratio against `peer` on `pattern` should be at least `target`. */
export interface Goal {
  pattern: PatternId
  peer: string
  target: number
  text: string
}

/** The goals of issue #7, as ratios of the Agent's figure to a peer's. */
export const GOALS: readonly Goal[] = [
  { pattern: 'inflight', peer: 'nats', target: 2.0, text: 'request/reply, 100 in flight >= 2.0x NATS' },
  { pattern: 'inflight', peer: 'zmq', target: 1.0, text: 'request/reply, 100 in flight >= 1.0x ZeroMQ' },
  { pattern: 'seq', peer: 'udp', target: 0.5, text: 'sequential request/reply >= 0.5x UDP ping-pong floor' },
  { pattern: 'oneway', peer: 'nats', target: 1.0, text: 'one-way 1 KiB >= 1.0x NATS pub/sub' },
  { pattern: 'bulk', peer: 'udp', target: 0.8, text: "bulk >= 0.8x UDP floor, 16,383 B packets (quiche's largest)" },
  { pattern: 'bulk1350', peer: 'udp', target: 0.8, text: 'bulk >= 0.8x UDP floor, 1,350 B packets' },
]

/** A goal with the measured ratio (absent when either figure is missing). */
export interface GoalResult extends Goal {
  ratio?: number
  met?: boolean
}

/** Each goal with its measured ratio and whether it is met. */
export function computeGoals(ratios: Ratios): GoalResult[] {
  return GOALS.map((g) => {
    const ratio = ratios[g.pattern]?.[g.peer]
    return ratio === undefined ? { ...g } : { ...g, ratio, met: ratio >= g.target }
  })
}
