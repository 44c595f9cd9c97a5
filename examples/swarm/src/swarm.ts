import { randomBytes } from 'node:crypto'
import { Agent } from '@quic-multistream/agent'
import {
  type Dashboard,
  type GatewayTransport,
  gatewayTransport,
  startDashboard,
} from '@quic-multistream/example-dashboard'
import { CompareChunk } from '@quic-multistream/example-temporal-compare'
import { RegistryServer, sleep } from '@quic-multistream/mesh'
import { createLogger, isQmsError, LANES, type Lane, QmsError } from '@quic-multistream/protocol'
import { generateDevCertificate } from '@quic-multistream/transport'
import { JobBoard } from './job-board.js'
import {
  assignmentFor,
  chunkCount,
  chunkOf,
  DEFAULT_JOB_SHAPE,
  type Job,
  type JobShape,
  makeJob,
  verifyResult,
} from './jobs.js'
import { LatencySamples } from './latency.js'
import { launchWorker, type WorkerProcess } from './launcher.js'
import {
  Assign,
  FetchResult,
  Heartbeat,
  JOB_STREAM,
  JobProgress,
  JobStart,
  PROGRESS_PATTERN,
  Probe,
  Shutdown,
  type WorkerReportBody,
} from './messages.js'
import { Screen, type ScreenOutput, type UiMode } from './screen.js'
import {
  type DashboardSummary,
  findProblems,
  type KillRecord,
  type SwarmSummary,
  type WorkerSummary,
} from './summary.js'
import { TrafficMeter } from './traffic-meter.js'
import type { DashboardStatus, SwarmEvent, SwarmSnapshot, WorkerRow } from './view.js'

const log = createLogger('qms:swarm')

/** The coordinator's agent id. */
export const COORDINATOR_ID = 'coordinator'

/** Options of {@link runSwarm}. */
export interface SwarmOptions {
  /** Worker processes. Default 8. */
  workers?: number
  /**
   * Target length of the whole run, seconds. Once the workers are up (a few seconds, more on a busy machine), the
   * coordinator paces the streamed data like a live feed so that the jobs would end at about 80% of what remains,
   * leaving room for the kill and the reassigned work; the job phase gets at least 40% of the target whatever the
   * start-up took. Default 35.
   */
  durationS?: number
  /** Jobs. Default 8 per worker. */
  jobs?: number
  /** Kill one worker (SIGKILL) half-way. Default true. */
  kill?: boolean
  /** `live` (ANSI frames), `plain` (lines), `none`. Default: `live` when `out` is a terminal, else `plain`. */
  ui?: UiMode | 'auto'
  /** Where to draw. Default `process.stdout`. */
  out?: ScreenOutput
  /** Jobs each worker runs at once. Default 2. */
  slotsPerWorker?: number
  /** Size of each job. Default {@link DEFAULT_JOB_SHAPE}. */
  job?: Partial<JobShape>
  /** Recompute every n-th job's result locally and compare. Default 8. */
  verifyEvery?: number
  /** Serve Prometheus metrics from the coordinator (on 127.0.0.1, any free port). Default true. */
  metrics?: boolean
  /**
   * Serve the live dashboard from the coordinator: a web page (node:http on 127.0.0.1) that joins the mesh over
   * WebTransport, with every agent publishing its telemetry. If it cannot start, the run goes on without it and says
   * why. Default true.
   */
  dashboard?: boolean
  /** Called with every event as it happens (kills, reassignments). */
  onEvent?: (event: SwarmEvent) => void
  /**
   * Called with the summary while the coordinator and the dashboard are still up (the workers have exited); they
   * stop once it settles. Where a program prints the summary and may keep the dashboard open a while.
   */
  beforeStop?: (summary: SwarmSummary) => void | Promise<void>
}

/** How long a worker may stay silent (no heartbeat) before it is presumed dead and fenced off. */
const SILENCE_LIMIT_MS = 5_000
/** Interval of the coordinator's pings to each worker. */
const PING_INTERVAL_MS = 500
/** Deadline of each assignment and result query. */
const CALL_TIMEOUT_MS = 15_000
/** Share of the time left after start-up that the paced jobs are planned to take. */
const PLANNED_SHARE = 0.8
/** Least share of `durationS` left to the job phase, however long the start-up took. */
const MIN_JOB_PHASE_SHARE = 0.4
/** Interval of every agent's dashboard telemetry (and of the page's redraw). */
const TELEMETRY_MS = 1_000
/** How long the summary waits for a dashboard still starting (only a very short run can end first). */
const DASHBOARD_WAIT_MS = 15_000

interface WorkerState {
  readonly id: string
  readonly process: WorkerProcess
  state: WorkerRow['state']
  readonly lost: AbortController
  /** Resolves when {@link lost} fires: one promise, where a wait per idle loop would pile listeners up. */
  readonly lostPromise: Promise<void>
  readonly progress: Map<number, number>
  readonly recentRtt: number[]
  lostReason: string | undefined
  lastHeartbeat: number | undefined
  rssBytes: number | undefined
  done: number
  assignmentsSent: number
  assignmentsAcked: number
  report: WorkerReportBody | undefined
}

function positiveInteger(value: number, name: string, max: number): number {
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw new QmsError('ERR_INVALID_ARGUMENT', `${name} must be a whole number from 1 to ${max}, got ${value}`)
  }
  return value
}

/** Waits for `promise` (which must not reject), `ms` at most. */
async function waitAtMost(promise: Promise<unknown>, ms: number): Promise<void> {
  const patience = new AbortController()
  await Promise.race([promise, sleep(ms, patience.signal).catch(() => undefined)])
  patience.abort()
}

function median(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]
}

/**
 * Runs the demo swarm: this process is the coordinator (an agent hosting the embedded registry), and `workers`
 * worker agents run as separate processes on 127.0.0.1. Each job (two numeric series to compare with DTW) is
 * assigned with `sendCritical`, its data streamed to the worker in chunks (`openStream`), its result fetched with
 * `request`; workers publish progress on `swarm.progress.<worker>` and send heartbeat datagrams (`notify`).
 * Half-way one worker is killed with SIGKILL; its jobs go back to the queue and other workers finish them.
 * Resolves with the summary once every job is done (or lost) and every worker has exited.
 */
export async function runSwarm(options: SwarmOptions = {}): Promise<SwarmSummary> {
  const started = performance.now()
  const workerCount = positiveInteger(options.workers ?? 8, 'workers', 64)
  const totalJobs = positiveInteger(options.jobs ?? workerCount * 8, 'jobs', 100_000)
  const slots = positiveInteger(options.slotsPerWorker ?? 2, 'slotsPerWorker', 16)
  const durationS = options.durationS ?? 35
  if (!(durationS > 0 && durationS <= 3_600)) {
    throw new QmsError('ERR_INVALID_ARGUMENT', `durationS must be in (0, 3600], got ${durationS}`)
  }
  const shape: JobShape = { ...DEFAULT_JOB_SHAPE, ...options.job }
  const verifyEvery = positiveInteger(options.verifyEvery ?? 8, 'verifyEvery', 1_000_000)
  const killEnabled = options.kill ?? true
  const out = options.out ?? process.stdout
  const ui: UiMode = options.ui === undefined || options.ui === 'auto' ? (out.isTTY ? 'live' : 'plain') : options.ui
  const chunks = chunkCount(shape)
  const jobsPerSlot = totalJobs / (workerCount * slots)
  let chunkDelayMs = 0

  // A dev certificate is one a browser pins (ECDSA P-256, 14 days), so the dashboard page can use it as well.
  const cert = await generateDevCertificate()
  const token = randomBytes(16).toString('hex')
  const startCoordinator = (meter: TrafficMeter) =>
    Agent.start({
      id: COORDINATOR_ID,
      registry: new RegistryServer(),
      tls: { cert: cert.cert, key: cert.key, pinSha256: [cert.sha256] },
      token,
      transport: meter.factory,
      drainTimeoutMs: 1_000,
      ...(options.metrics === false ? {} : { metrics: {} }),
    })
  // With the dashboard on, the coordinator is also the pages' gateway: its endpoint accepts WebTransport as well.
  let gateway: GatewayTransport | undefined = (options.dashboard ?? true) ? gatewayTransport() : undefined
  let dashboardStatus: DashboardStatus = gateway ? { state: 'starting' } : { state: 'off' }
  let meter = new TrafficMeter(gateway?.transport)
  let coordinator: Agent
  try {
    coordinator = await startCoordinator(meter)
  } catch (err) {
    if (gateway === undefined) throw err
    dashboardStatus = { state: 'failed', reason: `no WebTransport endpoint: ${String(err)}` }
    gateway = undefined
    meter = new TrafficMeter()
    coordinator = await startCoordinator(meter)
  }

  const board = new JobBoard(totalJobs)
  const workers: WorkerState[] = []
  const events: SwarmEvent[] = []
  const pings = new LatencySamples()
  const fetches = new LatencySamples()
  const allRtt: number[] = []
  let heartbeats = 0
  let progressMessages = 0
  let streams = 0
  let verified = 0
  let mismatched = 0
  let killed: (Omit<KillRecord, 'finishedBy'> & { finishedBy: Record<number, string> }) | undefined
  let jobPhaseStarted: number | undefined
  const phaseMs = () => performance.now() - (jobPhaseStarted ?? started)

  const snapshot = (): SwarmSnapshot => {
    const stats = coordinator.stats()
    const now = performance.now()
    return {
      elapsedMs: now - started,
      coordinator: coordinator.address,
      metricsUrl: coordinator.metricsUrl,
      dashboard: dashboardStatus,
      workers: workers.map((w) => ({
        id: w.id,
        pid: w.process.pid,
        state: w.state,
        jobs: [...w.progress].map(([jobId, fraction]) => ({ jobId, fraction })),
        done: w.done,
        rttMs: median(w.recentRtt),
        heartbeatAgeMs: w.lastHeartbeat === undefined ? undefined : now - w.lastHeartbeat,
        rssBytes: w.rssBytes,
        lostReason: w.lostReason,
      })),
      jobs: {
        total: board.total,
        done: board.done,
        inFlight: board.inFlight,
        queued: board.queued,
        reassigned: board.reassigned,
        lost: board.lost,
      },
      lanes: laneCounts(stats.lanes),
      heartbeats,
      progress: progressMessages,
      rttP50Ms: median(allRtt.slice(-200)),
      traffic: meter.read(),
      events,
    }
  }
  const screen = new Screen(ui, out, snapshot)
  const emit = (kind: SwarmEvent['kind'], text: string) => {
    const event = { atMs: performance.now() - started, kind, text }
    events.push(event)
    log('%s: %s', kind, text)
    screen.event(event)
    options.onEvent?.(event)
  }
  const byId = new Map<string, WorkerState>()

  const subscription = coordinator.subscribe(PROGRESS_PATTERN, JobProgress, (p) => {
    progressMessages++
    const w = byId.get(p.worker)
    // A progress message may trail the result that ended its job: only running jobs have a bar.
    if (w?.progress.has(p.jobId)) w.progress.set(p.jobId, p.total === 0 ? 1 : p.received / p.total)
  })
  coordinator.onNotify(Heartbeat, (h) => {
    heartbeats++
    const w = byId.get(h.worker)
    if (!w) return
    w.lastHeartbeat = performance.now()
    w.rssBytes = h.rssBytes
  })
  await subscription.ready

  /** Drops a worker: its calls are aborted, which sends its jobs back to the queue. */
  const markLost = (w: WorkerState, reason: string) => {
    if (w.state === 'lost' || w.state === 'finished') return
    const jobs = board.runningOn(w.id)
    w.state = 'lost'
    w.lostReason = reason
    w.progress.clear()
    emit(
      'lost',
      `${w.id} lost (${reason})${jobs.length ? `: job${jobs.length > 1 ? 's' : ''} ${jobs.map((j) => `#${j}`).join(', ')} back in the queue` : ''}`,
    )
    w.lost.abort(new QmsError('ERR_SWARM_WORKER_LOST', `${w.id} lost: ${reason}`))
  }

  screen.start()
  let dashboard: Dashboard | undefined
  // The page's bundle is built while the workers start, so the dashboard costs the run no time of its own.
  const dashboardStarted = startSwarmDashboard().then((d) => {
    dashboard = d
  })

  /** Starts the dashboard on the coordinator; never rejects (the swarm runs without it, and says why). */
  async function startSwarmDashboard(): Promise<Dashboard | undefined> {
    const url = gateway?.url
    if (gateway === undefined || url === undefined) return undefined
    const endpoint = gateway
    try {
      const d = await startDashboard({
        agent: coordinator,
        role: 'coordinator',
        token,
        intervalMs: TELEMETRY_MS,
        webTransport: { url, certificateHash: cert.sha256, connections: () => endpoint.endpoint?.connections ?? [] },
      })
      dashboardStatus = { state: 'on', url: d.url }
      emit('info', `dashboard ${d.url} (open it in Chromium: the page joins the mesh over WebTransport)`)
      return d
    } catch (err) {
      dashboardStatus = { state: 'failed', reason: String(err) }
      emit('info', `dashboard unavailable: ${String(err)}`)
      return undefined
    }
  }

  /** The dashboard for the summary, waiting a little for one still starting. */
  const dashboardSummary = async (): Promise<DashboardSummary> => {
    if (dashboardStatus.state === 'starting') {
      await waitAtMost(dashboardStarted, DASHBOARD_WAIT_MS)
      if (dashboardStatus.state === 'starting') {
        dashboardStatus = { state: 'failed', reason: `not ready after ${DASHBOARD_WAIT_MS / 1000} s more` }
      }
    }
    return {
      url: dashboardStatus.url,
      off: dashboardStatus.state === 'on' ? undefined : (dashboardStatus.reason ?? 'turned off'),
      reports: Object.fromEntries(dashboard?.reports() ?? []),
    }
  }

  try {
    // Start every worker process at once; each is ready when its handlers are installed and it joined the registry.
    for (let i = 1; i <= workerCount; i++) {
      const id = `worker-${i}`
      const proc = launchWorker({
        id,
        registry: coordinator.address,
        coordinator: COORDINATOR_ID,
        cert: cert.cert,
        key: cert.key,
        sha256: cert.sha256,
        token,
        heartbeatMs: 250,
        ...(gateway ? { telemetryMs: TELEMETRY_MS } : {}),
      })
      const lost = new AbortController()
      const w: WorkerState = {
        id,
        process: proc,
        state: 'starting',
        lost,
        lostPromise: new Promise((resolve) => lost.signal.addEventListener('abort', () => resolve(), { once: true })),
        progress: new Map(),
        recentRtt: [],
        lostReason: undefined,
        lastHeartbeat: undefined,
        rssBytes: undefined,
        done: 0,
        assignmentsSent: 0,
        assignmentsAcked: 0,
        report: undefined,
      }
      workers.push(w)
      byId.set(id, w)
      void proc.exited.then((e) => {
        if (w.state !== 'finished')
          markLost(w, `process exited${e.signal ? ` on ${e.signal}` : ` with code ${e.code}`}`)
      })
    }
    await Promise.all(
      workers.map(async (w) => {
        await w.process.ready
        if (w.state === 'starting') w.state = 'ready'
      }),
    )
    jobPhaseStarted = performance.now()
    // Chunks are paced like a live feed, so the run lasts about what was asked whatever the machine's speed.
    const jobBudgetMs = Math.max(durationS * 1000 - (jobPhaseStarted - started), durationS * 1000 * MIN_JOB_PHASE_SHARE)
    chunkDelayMs = (jobBudgetMs * PLANNED_SHARE) / jobsPerSlot / chunks
    emit(
      'info',
      `${workerCount} workers ready in ${((jobPhaseStarted - started) / 1000).toFixed(1)} s; ${totalJobs} jobs`,
    )

    const phase = new AbortController()
    const watchdog = setInterval(() => {
      meter.read() // so that every connection is seen before it closes
      const now = performance.now()
      for (const w of workers) {
        if (w.state === 'ready' && w.lastHeartbeat !== undefined && now - w.lastHeartbeat > SILENCE_LIMIT_MS) {
          // Fenced: a worker presumed dead must not come back with results for jobs handed to others.
          w.process.kill('SIGKILL')
          markLost(w, `no heartbeat for ${SILENCE_LIMIT_MS / 1000} s`)
        }
      }
    }, 500)

    const maybeKill = () => {
      if (!killEnabled || killed || board.done < board.total / 2) return
      // The worker with the most work in flight, so that the reassignment has something to show.
      const victim = workers
        .filter((w) => w.state === 'ready')
        .sort((a, b) => board.runningOn(b.id).length - board.runningOn(a.id).length)[0]
      if (!victim || workers.filter((w) => w.state === 'ready').length < 2) return
      const inFlight = board.runningOn(victim.id)
      killed = {
        worker: victim.id,
        pid: victim.process.pid,
        atMs: performance.now() - started,
        inFlight,
        finishedBy: {},
      }
      emit(
        'killed',
        `killed ${victim.id} (pid ${victim.process.pid}, SIGKILL) half-way, with ${inFlight.length ? inFlight.map((j) => `#${j}`).join(', ') : 'nothing'} in flight`,
      )
      victim.process.kill('SIGKILL')
    }

    const runJob = async (w: WorkerState, job: Job, signal: AbortSignal) => {
      w.progress.set(job.id, 0)
      w.assignmentsSent++
      await coordinator.sendCritical(w.id, Assign, assignmentFor(job), { signal, timeout: CALL_TIMEOUT_MS })
      w.assignmentsAcked++
      await streamJob(w.id, job, signal)
      const asked = performance.now()
      const result = await coordinator.request(
        w.id,
        FetchResult,
        { jobId: job.id },
        { signal, timeout: CALL_TIMEOUT_MS },
      )
      fetches.add(performance.now() - asked)
      w.progress.delete(job.id)
      if (!board.complete(job.id, w.id, result)) return
      w.done++
      if (killed?.inFlight.includes(job.id)) {
        killed.finishedBy[job.id] = w.id
        emit('recovered', `job #${job.id}, lost with ${killed.worker}, finished by ${w.id}`)
      }
      if (job.id % verifyEvery === 0) {
        verified++
        if (!verifyResult(job, result)) {
          mismatched++
          emit('mismatch', `job #${job.id}: ${w.id} answered ${result.distance}, the local DTW differs`)
        }
      }
      maybeKill()
    }

    const streamJob = async (worker: string, job: Job, signal: AbortSignal) => {
      // Jobs feed at different speeds (0.6-1.4× the mean, fixed per job) so that the slots fall out of step.
      const pace = 0.6 + 0.8 * ((job.id * 0.618_034) % 1)
      const stream = await coordinator.openStream(worker, JOB_STREAM, { signal, priority: 'low' })
      streams++
      const reset = () => stream.reset()
      signal.addEventListener('abort', reset, { once: true })
      try {
        await stream.send(JobStart, { jobId: job.id })
        for (let i = 0; i < chunks; i++) {
          if (i > 0) await sleep(chunkDelayMs * pace, signal)
          await stream.send(CompareChunk, chunkOf(job, i))
        }
        await stream.end()
        // The worker ends its side once it compared the last chunk.
        for await (const _ of stream) {
          // it sends nothing on this stream
        }
      } finally {
        signal.removeEventListener('abort', reset)
      }
    }

    const slot = async (w: WorkerState) => {
      while (w.state === 'ready' && !board.finished) {
        const next = board.take(w.id)
        if (next === undefined) {
          await Promise.race([board.changed(), w.lostPromise])
          continue
        }
        if (next.previous !== undefined && next.previous !== w.id) {
          emit('reassigned', `job #${next.jobId} reassigned: ${next.previous} → ${w.id}`)
        }
        // A signal per attempt: listeners that calls leave on it go away with it, not pile up on the worker's.
        const attempt = new AbortController()
        const abandon = () => attempt.abort(w.lost.signal.reason)
        w.lost.signal.addEventListener('abort', abandon, { once: true })
        try {
          await runJob(w, makeJob(next.jobId, shape), attempt.signal)
        } catch (err) {
          w.progress.delete(next.jobId)
          const code = isQmsError(err) ? err.code : 'error'
          log('job %d on %s failed: %s', next.jobId, w.id, String(err))
          if (board.requeue(next.jobId, w.id) === 'lost')
            emit('lost', `job #${next.jobId} LOST after too many attempts`)
          else if (w.state === 'ready') emit('requeued', `job #${next.jobId} failed on ${w.id} (${code}); queued again`)
          if (workers.every((x) => x.state !== 'ready')) board.abandonQueued()
        } finally {
          w.lost.signal.removeEventListener('abort', abandon)
        }
      }
    }

    const pinger = async (w: WorkerState) => {
      const signal = AbortSignal.any([w.lost.signal, phase.signal])
      for (let seq = 0; !signal.aborted; seq++) {
        const sent = performance.now()
        try {
          await coordinator.request(w.id, Probe, { seq }, { signal, timeout: 2_000, priority: 'high' })
          const rtt = performance.now() - sent
          pings.add(rtt)
          allRtt.push(rtt)
          w.recentRtt.push(rtt)
          if (w.recentRtt.length > 20) w.recentRtt.shift()
        } catch {
          // a lost ping says nothing the heartbeats do not
        }
        await sleep(PING_INTERVAL_MS, signal).catch(() => undefined)
      }
    }

    const pingers = workers.map((w) => pinger(w))
    await Promise.all(workers.flatMap((w) => Array.from({ length: slots }, () => slot(w))))
    // Every slot loop ended: either all jobs are done or lost, or no worker is left.
    if (!board.finished) board.abandonQueued()
    const jobPhaseMs = phaseMs()
    phase.abort()
    clearInterval(watchdog)
    await Promise.all(pingers)

    meter.read()
    // Ask each surviving worker for its account, then let it exit.
    await Promise.all(
      workers
        .filter((w) => w.state === 'ready')
        .map(async (w) => {
          try {
            w.report = await coordinator.request(w.id, Shutdown, {}, { timeout: 5_000 })
            w.state = 'finished'
          } catch (err) {
            log('%s did not report: %s', w.id, String(err))
          }
          const patience = new AbortController()
          const exit = await Promise.race([w.process.exited, sleep(5_000, patience.signal).catch(() => undefined)])
          patience.abort()
          if (exit === undefined) w.process.kill('SIGKILL')
          await w.process.exited
        }),
    )
    screen.stop()

    const stats = coordinator.stats()
    const workerSummaries: WorkerSummary[] = workers.map((w) => ({
      id: w.id,
      pid: w.process.pid,
      jobsDone: w.done,
      assignmentsSent: w.assignmentsSent,
      assignmentsAcked: w.assignmentsAcked,
      report: w.report,
      lost: w.lostReason,
      exit: w.process.exit,
    }))
    const partial = {
      workers: workerSummaries,
      jobs: {
        total: board.total,
        done: board.done,
        lost: board.lost,
        reassigned: board.reassigned,
        duplicateResults: board.duplicates,
        verified,
        mismatched,
      },
      outcomes: board.outcomes(),
      killed,
      lanes: laneCounts(stats.lanes),
      messages: {
        assignments: stats.critical.acked,
        progress: progressMessages,
        heartbeats,
        streams,
      },
      latency: { results: fetches.summary(), pings: pings.summary() },
      traffic: meter.read(),
      metricsUrl: coordinator.metricsUrl,
      dashboard: await dashboardSummary(),
      elapsedMs: performance.now() - started,
      startupMs: (jobPhaseStarted ?? started) - started,
      jobPhaseMs,
    }
    const problems = findProblems(partial)
    const summary: SwarmSummary = {
      ...partial,
      ok: problems.length === 0,
      exitCode: problems.length === 0 ? 0 : 1,
      problems,
    }
    await options.beforeStop?.(summary)
    return summary
  } finally {
    screen.stop()
    for (const w of workers) w.process.kill('SIGKILL')
    await Promise.all(workers.map((w) => w.process.exited))
    await waitAtMost(dashboardStarted, DASHBOARD_WAIT_MS)
    await dashboard?.close()
    await coordinator.stop()
  }
}

function laneCounts(
  lanes: Record<Lane, { sent: number; received: number }>,
): Record<Lane, { sent: number; received: number }> {
  return Object.fromEntries(LANES.map((l) => [l, { sent: lanes[l].sent, received: lanes[l].received }])) as Record<
    Lane,
    { sent: number; received: number }
  >
}
