import type { Lane } from '@quic-multistream/protocol'
import type { JobOutcome } from './job-board.js'
import type { LatencySummary } from './latency.js'
import type { WorkerReportBody } from './messages.js'
import type { TrafficTotals } from './traffic-meter.js'

/** One worker at the end of a run. */
export interface WorkerSummary {
  readonly id: string
  readonly pid: number
  /** Results credited to it. */
  readonly jobsDone: number
  /** Assignments sent to it (`sendCritical` calls), and those it acknowledged (the call resolved). */
  readonly assignmentsSent: number
  readonly assignmentsAcked: number
  /** Its own account, when it was alive to give one. */
  readonly report: WorkerReportBody | undefined
  /** Why it was dropped, when it was (killed, silent). */
  readonly lost: string | undefined
  /** How its process ended. */
  readonly exit: { code: number | null; signal: string | null } | undefined
}

/** The worker killed half-way, and what became of its work. */
export interface KillRecord {
  readonly worker: string
  readonly pid: number
  /** Time since the run started, ms (as in the events). */
  readonly atMs: number
  /** Jobs it was running when killed. */
  readonly inFlight: readonly number[]
  /** For each of those jobs, the worker credited with it in the end (absent: never finished). */
  readonly finishedBy: Readonly<Record<number, string>>
}

/** The live dashboard at the end of a run. */
export interface DashboardSummary {
  /** Its page, when it was served. */
  readonly url: string | undefined
  /** Why there was none: `turned off`, or why it failed to start. */
  readonly off: string | undefined
  /** Agent telemetry reports the coordinator received (and relayed to pages), by agent id. */
  readonly reports: Readonly<Record<string, number>>
}

/** What `runSwarm` did, and whether it did it right. */
export interface SwarmSummary {
  /** True when every job was done exactly once, no result mismatched, and every worker report agrees. */
  readonly ok: boolean
  /** 0 when `ok`, 1 otherwise. */
  readonly exitCode: 0 | 1
  /** Why it is not ok (empty when it is). */
  readonly problems: readonly string[]
  readonly workers: readonly WorkerSummary[]
  readonly jobs: {
    readonly total: number
    readonly done: number
    readonly lost: number
    /** Attempts started on another worker than the job's previous one. */
    readonly reassigned: number
    /** Results for jobs already done, dropped. */
    readonly duplicateResults: number
    /** Results recomputed locally, and how many of those differed. */
    readonly verified: number
    readonly mismatched: number
  }
  /** Every job's record, by id. */
  readonly outcomes: readonly JobOutcome[]
  readonly killed: KillRecord | undefined
  /** Envelopes the coordinator sent and received per lane. */
  readonly lanes: Readonly<Record<Lane, { sent: number; received: number }>>
  readonly messages: {
    /** `sendCritical` assignments acknowledged. */
    readonly assignments: number
    /** Progress messages received on `swarm.progress.*`. */
    readonly progress: number
    /** Heartbeat datagrams received. */
    readonly heartbeats: number
    /** Job streams opened. */
    readonly streams: number
  }
  /** `request` latencies: result fetches and pings. */
  readonly latency: { readonly results: LatencySummary; readonly pings: LatencySummary }
  /** QUIC totals over the coordinator's connections. */
  readonly traffic: TrafficTotals
  /** Prometheus endpoint of the coordinator, when enabled. */
  readonly metricsUrl: string | undefined
  /** The dashboard (not part of `ok`: the swarm runs without it). */
  readonly dashboard: DashboardSummary
  /** Whole run, ms; and its parts. */
  readonly elapsedMs: number
  readonly startupMs: number
  readonly jobPhaseMs: number
}

/** The checks a run must pass; returns the problems found (none: the run was right). */
export function findProblems(summary: Omit<SwarmSummary, 'ok' | 'exitCode' | 'problems'>): string[] {
  const problems: string[] = []
  const { jobs, outcomes, killed, workers } = summary
  if (jobs.lost > 0) problems.push(`${jobs.lost} job(s) lost`)
  const notOnce = outcomes.filter((o) => o.creditedTo.length !== 1)
  if (notOnce.length > 0) {
    problems.push(`jobs not done exactly once: ${notOnce.map((o) => `${o.jobId}×${o.creditedTo.length}`).join(', ')}`)
  }
  if (jobs.mismatched > 0) problems.push(`${jobs.mismatched} result(s) differ from the local recomputation`)
  if (killed) {
    const unfinished = killed.inFlight.filter((j) => killed.finishedBy[j] === undefined)
    if (unfinished.length > 0) problems.push(`the killed worker's jobs ${unfinished.join(', ')} were never finished`)
  }
  for (const w of workers) {
    if (!w.report) continue
    if (w.report.duplicateAssignments > 0) {
      problems.push(`${w.id} handled ${w.report.duplicateAssignments} assignment(s) twice`)
    }
    // Each distinct assignment runs its handler once: at least every acknowledged one, at most every one sent.
    const handled = w.report.assignmentsHandled
    if (handled < w.assignmentsAcked || handled > w.assignmentsSent) {
      problems.push(
        `${w.id} handled ${handled} assignments; ${w.assignmentsSent} were sent, ${w.assignmentsAcked} acknowledged`,
      )
    }
  }
  return problems
}
