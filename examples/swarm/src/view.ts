import { bytes, count, keyValues, millis } from '@quic-multistream/example-echo'
import { LANES, type Lane } from '@quic-multistream/protocol'
import type { SwarmSummary } from './summary.js'
import type { TrafficTotals } from './traffic-meter.js'

/** One worker as the live view shows it. */
export interface WorkerRow {
  readonly id: string
  readonly pid: number
  readonly state: 'starting' | 'ready' | 'lost' | 'finished'
  /** Jobs running on it, with the share of their data it has compared (from its progress messages). */
  readonly jobs: ReadonlyArray<{ readonly jobId: number; readonly fraction: number }>
  readonly done: number
  /** Median of its recent ping round trips, ms. */
  readonly rttMs: number | undefined
  /** Time since its last heartbeat datagram, ms. */
  readonly heartbeatAgeMs: number | undefined
  readonly rssBytes: number | undefined
  readonly lostReason: string | undefined
}

/** Something worth a line of its own (a kill, a reassignment). */
export interface SwarmEvent {
  /** Time since the run started, ms. */
  readonly atMs: number
  readonly kind: 'info' | 'killed' | 'lost' | 'requeued' | 'reassigned' | 'recovered' | 'mismatch'
  readonly text: string
}

/** Where the dashboard stands: `url` once it is `on`, `reason` when it `failed`. */
export interface DashboardStatus {
  readonly state: 'starting' | 'on' | 'off' | 'failed'
  readonly url?: string
  readonly reason?: string
}

/** Everything one frame of the live view shows. */
export interface SwarmSnapshot {
  readonly elapsedMs: number
  readonly coordinator: string
  readonly metricsUrl: string | undefined
  readonly dashboard: DashboardStatus
  readonly workers: readonly WorkerRow[]
  readonly jobs: { total: number; done: number; inFlight: number; queued: number; reassigned: number; lost: number }
  readonly lanes: Readonly<Record<Lane, { sent: number; received: number }>>
  readonly heartbeats: number
  readonly progress: number
  readonly rttP50Ms: number | undefined
  readonly traffic: TrafficTotals
  readonly events: readonly SwarmEvent[]
}

const FULL = '█'
const EMPTY = '░'

/** A bar of `width` cells filled to `fraction` (0-1). */
export function bar(fraction: number, width: number): string {
  const filled = Math.round(Math.max(0, Math.min(1, fraction)) * width)
  return FULL.repeat(filled) + EMPTY.repeat(width - filled)
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`
}

function optionalMs(ms: number | undefined): string {
  return ms === undefined ? '-' : `${millis(ms)} ms`
}

function workerLine(w: WorkerRow): string {
  const head = `${w.id.padEnd(10)} ${String(w.pid).padStart(7)}  `
  if (w.state === 'lost') return `${head}✗ lost: ${w.lostReason ?? 'unknown'}`
  if (w.state === 'starting') return `${head}starting...`
  const slots = w.jobs.length === 0 ? 'idle'.padEnd(31) : w.jobs.map((j) => jobCell(j.jobId, j.fraction)).join(' ')
  const tail =
    `done ${String(w.done).padStart(3)}  rtt ${optionalMs(w.rttMs).padStart(9)}  ` +
    `heartbeat ${w.heartbeatAgeMs === undefined ? '-' : seconds(w.heartbeatAgeMs)}` +
    (w.rssBytes === undefined ? '' : `  rss ${bytes(w.rssBytes)}`)
  return `${head}${slots.padEnd(31)}  ${w.state === 'finished' ? 'finished  ' : ''}${tail}`
}

function jobCell(jobId: number, fraction: number): string {
  return `#${String(jobId).padEnd(3)} ${bar(fraction, 10)}`
}

function laneLine(lanes: SwarmSnapshot['lanes']): string {
  return LANES.map((lane) => `${lane} ${count(lanes[lane].sent)}↑ ${count(lanes[lane].received)}↓`).join('  ')
}

function dashboardLink(d: DashboardStatus): string | undefined {
  if (d.state === 'on') return `dashboard ${d.url}`
  if (d.state === 'starting') return 'dashboard starting...'
  if (d.state === 'failed') return `dashboard unavailable (${d.reason})`
  return undefined
}

/** The lines of one live frame. */
export function renderFrame(s: SwarmSnapshot, maxEvents = 6): string[] {
  const j = s.jobs
  const lines = [
    `quic-multistream swarm · coordinator ${s.coordinator} (embedded registry) · ${s.workers.length} workers · ` +
      `${j.total} jobs · ${seconds(s.elapsedMs)}`,
  ]
  const links = [s.metricsUrl && `prometheus ${s.metricsUrl}`, dashboardLink(s.dashboard)].filter(Boolean)
  if (links.length > 0) lines.push(links.join(' · '))
  lines.push('')
  for (const w of s.workers) lines.push(workerLine(w))
  lines.push('')
  lines.push(
    `jobs      ${bar(j.total === 0 ? 0 : j.done / j.total, 30)}  ${j.done}/${j.total} done · ${j.inFlight} in flight · ` +
      `${j.queued} queued · ${j.reassigned} reassigned${j.lost ? ` · ${j.lost} LOST` : ''}`,
  )
  lines.push(`lanes     ${laneLine(s.lanes)}`)
  lines.push(
    `          heartbeat datagrams ${count(s.heartbeats)} · progress messages ${count(s.progress)} · ` +
      `rtt p50 ${optionalMs(s.rttP50Ms)} · QUIC ${bytes(s.traffic.bytesSent)} sent, ${bytes(s.traffic.bytesReceived)} received`,
  )
  const events = s.events.slice(-maxEvents)
  if (events.length > 0) {
    lines.push('')
    for (const e of events) lines.push(eventLine(e))
  }
  return lines
}

/** One event as a line. */
export function eventLine(e: SwarmEvent): string {
  return `${seconds(e.atMs).padStart(8)}  ${e.text}`
}

/** The one-line status printed periodically when the output is not a terminal. */
export function renderStatus(s: SwarmSnapshot): string {
  const j = s.jobs
  const alive = s.workers.filter((w) => w.state === 'ready').length
  return (
    `${seconds(s.elapsedMs).padStart(8)}  jobs ${j.done}/${j.total} done, ${j.inFlight} in flight, ${j.queued} queued, ` +
    `${j.reassigned} reassigned · workers ${alive}/${s.workers.length} · rtt p50 ${optionalMs(s.rttP50Ms)} · ` +
    `critical ${s.lanes.critical.sent}↑ · heartbeats ${s.heartbeats} · progress ${s.progress}`
  )
}

/** The end-of-run summary. */
export function renderSummary(s: SwarmSummary): string {
  const { jobs, latency, traffic, messages, killed } = s
  const perWorker = s.workers.map((w) => `${w.id} ${w.jobsDone}${w.lost ? ' (killed)' : ''}`).join(' · ')
  const exactlyOnce = s.outcomes.every((o) => o.creditedTo.length === 1)
  const pairs: [string, string][] = [
    [
      'jobs',
      `${jobs.done}/${jobs.total} done${exactlyOnce ? ', each exactly once' : ''} · ${jobs.lost} lost · ` +
        `${jobs.reassigned} reassigned · ${jobs.duplicateResults} duplicate results dropped`,
    ],
    ['per worker', perWorker],
  ]
  if (killed) {
    const finished = killed.inFlight.map((j) => `#${j} → ${killed.finishedBy[j] ?? 'NOT FINISHED'}`).join(', ')
    pairs.push([
      'killed',
      `${killed.worker} (pid ${killed.pid}, SIGKILL) at ${seconds(killed.atMs)} with ${killed.inFlight.length} job(s) ` +
        `in flight: ${finished || 'none'}`,
    ])
  }
  pairs.push(
    ['verified', `${jobs.verified} results recomputed locally, ${jobs.mismatched} mismatched`],
    [
      'messages',
      `${count(messages.assignments)} assignments (sendCritical, acknowledged) · ${count(messages.streams)} job streams · ` +
        `${count(messages.progress)} progress (pub/sub) · ${count(messages.heartbeats)} heartbeats (datagrams)`,
    ],
    ['lanes', laneLine(s.lanes)],
    [
      'requests',
      `results ${count(latency.results.count)}: p50 ${millis(latency.results.p50Ms)} ms, p99 ${millis(latency.results.p99Ms)} ms · ` +
        `pings ${count(latency.pings.count)}: p50 ${millis(latency.pings.p50Ms)} ms, p99 ${millis(latency.pings.p99Ms)} ms`,
    ],
    [
      'QUIC',
      `${bytes(traffic.bytesSent)} sent, ${bytes(traffic.bytesReceived)} received · datagrams ` +
        `${count(traffic.datagramsReceived)} received, ${count(traffic.datagramsSent)} sent · ${count(traffic.packetsLost)} packets lost`,
    ],
  )
  if (s.metricsUrl) pairs.push(['prometheus', s.metricsUrl])
  const reports = Object.values(s.dashboard.reports)
  if (s.dashboard.url) {
    pairs.push([
      'dashboard',
      `${s.dashboard.url} · ${count(reports.reduce((a, b) => a + b, 0))} telemetry reports from ${reports.length} agents`,
    ])
  } else if (s.dashboard.off !== 'turned off') {
    pairs.push(['dashboard', `unavailable: ${s.dashboard.off}`])
  }
  pairs.push(
    ['time', `${seconds(s.elapsedMs)} (workers up in ${seconds(s.startupMs)}, jobs ${seconds(s.jobPhaseMs)})`],
    ['result', s.ok ? 'OK' : `FAILED: ${s.problems.join('; ')}`],
  )
  return keyValues(pairs)
}
