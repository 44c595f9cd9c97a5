import { Agent, type AgentStream } from '@quic-multistream/agent'
import { startTelemetryReporter } from '@quic-multistream/example-dashboard'
import { CompareChunk, ComparisonSession } from '@quic-multistream/example-temporal-compare'
import { RemoteRegistry, raceSignal } from '@quic-multistream/mesh'
import { createLogger, QmsError } from '@quic-multistream/protocol'
import { createEndpoint, type QuicEndpoint } from '@quic-multistream/transport'
import {
  Assign,
  FetchResult,
  Heartbeat,
  JOB_STREAM,
  JobProgress,
  JobResult,
  type JobResultBody,
  JobStart,
  Pong,
  Probe,
  progressTopic,
  Shutdown,
  WorkerReport,
  type WorkerReportBody,
} from './messages.js'
import type { WorkerConfig } from './worker-config.js'

const log = createLogger('qms:swarm:worker')

/** Codes of the errors a worker answers with. */
export const SwarmErrorCode = {
  /** Data or a result query for a job this worker was never assigned (or already gave the result of). */
  UNKNOWN_JOB: 'ERR_SWARM_UNKNOWN_JOB',
  /** The job stream broke the protocol (no `swarm.job.start` first, an unexpected message). */
  PROTOCOL: 'ERR_SWARM_PROTOCOL',
} as const

/** Sequences longer than this are refused at assignment time. */
const MAX_LENGTH = 1_000_000
/** DP cells one job may cost (a few seconds of one core). */
const MAX_CELLS = 1e9

interface JobState {
  readonly session: ComparisonSession
  readonly assignedAt: number
  readonly result: Promise<JobResultBody>
  resolve(result: JobResultBody): void
  reject(error: Error): void
}

/** A running worker agent. */
export interface SwarmWorker {
  readonly agent: Agent
  /** Resolves with the worker's report once the coordinator asked it to finish (the agent is stopped by then). */
  readonly finished: Promise<WorkerReportBody>
  /** Stops at once (heartbeats, agent). */
  stop(): Promise<void>
}

/**
 * Starts a swarm worker: accepts assignments (`sendCritical`), compares the two series streamed to it for each
 * (publishing progress after every chunk), answers result queries and pings, and sends heartbeat datagrams to the
 * coordinator until asked to finish.
 */
export async function startWorker(config: WorkerConfig): Promise<SwarmWorker> {
  let endpoint: QuicEndpoint | undefined
  const agent = await Agent.start({
    id: config.id,
    registry: new RemoteRegistry({ address: config.registry, id: config.coordinator }),
    tls: { cert: config.cert, key: config.key, pinSha256: [config.sha256] },
    token: config.token,
    drainTimeoutMs: 1_000,
    // Kept for the dashboard's connection telemetry (RTT and bytes per connection).
    transport: async (options) => {
      endpoint = await createEndpoint(options)
      return endpoint
    },
  })
  const stopTelemetry = config.telemetryMs
    ? startTelemetryReporter(agent, {
        role: 'worker',
        intervalMs: config.telemetryMs,
        connections: () => endpoint?.connections ?? [],
      })
    : () => {}
  const jobs = new Map<number, JobState>()
  const assigned = new Set<number>()
  const report: WorkerReportBody = {
    worker: config.id,
    assignmentsHandled: 0,
    duplicateAssignments: 0,
    jobsCompleted: 0,
    heartbeatsSent: 0,
    progressPublished: 0,
  }

  agent.on(Assign, (body) => {
    report.assignmentsHandled++
    if (assigned.has(body.jobId)) report.duplicateAssignments++
    assigned.add(body.jobId)
    // Sizing the comparison here refuses impossible work in the acknowledgement itself (as ERR_REMOTE).
    const session = new ComparisonSession(body.compare, { maxLength: MAX_LENGTH, maxCells: MAX_CELLS })
    let resolve!: (r: JobResultBody) => void
    let reject!: (e: Error) => void
    const result = new Promise<JobResultBody>((res, rej) => {
      resolve = res
      reject = rej
    })
    result.catch(() => {}) // nobody may ever ask for a job the coordinator gave up on
    jobs.get(body.jobId)?.reject(new QmsError(SwarmErrorCode.UNKNOWN_JOB, `job ${body.jobId} was assigned again`))
    jobs.set(body.jobId, { session, assignedAt: performance.now(), result, resolve, reject })
  })

  agent.onStream(JOB_STREAM, async (stream) => {
    try {
      await compareStream(stream)
    } catch (err) {
      log('job stream failed: %s', String(err))
      stream.reset()
    }
  })

  async function compareStream(stream: AgentStream): Promise<void> {
    let job: JobState | undefined
    let jobId = -1
    for await (const message of stream) {
      if (job === undefined) {
        if (message.type !== JobStart.type) {
          throw new QmsError(SwarmErrorCode.PROTOCOL, `expected "${JobStart.type}" first, got "${message.type}"`)
        }
        jobId = JobStart.parse(message.body).jobId
        job = jobs.get(jobId)
        if (job === undefined) throw new QmsError(SwarmErrorCode.UNKNOWN_JOB, `job ${jobId} was not assigned here`)
        continue
      }
      if (message.type !== CompareChunk.type) {
        throw new QmsError(SwarmErrorCode.PROTOCOL, `expected "${CompareChunk.type}", got "${message.type}"`)
      }
      const chunk = CompareChunk.parse(message.body)
      const state = job.session.push(chunk.a, chunk.b)
      const { lengthA, lengthB } = job.session.open
      report.progressPublished++
      // Progress is informative: a lost one is not worth slowing the comparison down for.
      void agent
        .publish(
          progressTopic(config.id),
          JobProgress,
          {
            worker: config.id,
            jobId,
            received: state.receivedA + state.receivedB,
            total: lengthA + lengthB,
            distance: Number.isFinite(state.distance) ? state.distance : null,
          },
          { priority: 'low' },
        )
        .catch((e: unknown) => log('progress not published: %s', String(e)))
    }
    if (job === undefined) throw new QmsError(SwarmErrorCode.PROTOCOL, 'the job stream ended before it started')
    const final = job.session.finish()
    report.jobsCompleted++
    job.resolve({
      jobId,
      worker: config.id,
      distance: final.distance,
      pathLength: final.pathLength,
      chunks: job.session.chunks,
      computeMs: performance.now() - job.assignedAt,
    })
    await stream.end()
  }

  agent.handle(FetchResult, async ({ jobId }, ctx) => {
    const job = jobs.get(jobId)
    if (job === undefined) throw new QmsError(SwarmErrorCode.UNKNOWN_JOB, `job ${jobId} was not assigned here`)
    const result = await raceSignal(job.result, ctx.signal, 'result query')
    jobs.delete(jobId)
    return JobResult.of(result)
  })

  agent.handle(Probe, ({ seq }) => Pong.of({ seq, activeJobs: jobs.size }))

  let seq = 0
  const heartbeat = setInterval(() => {
    const cpu = process.cpuUsage()
    report.heartbeatsSent++
    void agent
      .notify(config.coordinator, Heartbeat, {
        worker: config.id,
        seq: seq++,
        activeJobs: jobs.size,
        jobsCompleted: report.jobsCompleted,
        rssBytes: process.memoryUsage.rss(),
        cpuMs: (cpu.user + cpu.system) / 1000,
      })
      .catch((e: unknown) => log('heartbeat failed: %s', String(e)))
  }, config.heartbeatMs)

  let stopping: Promise<void> | undefined
  const stop = () => {
    clearInterval(heartbeat)
    stopTelemetry()
    stopping ??= agent.stop()
    return stopping
  }
  const finished = new Promise<WorkerReportBody>((resolve) => {
    agent.handle(Shutdown, () => {
      clearInterval(heartbeat)
      stopTelemetry()
      // Stop after the reply has left: stop() flushes the lanes and waits for this handler to finish.
      setImmediate(() => void stop().then(() => resolve({ ...report })))
      return WorkerReport.of({ ...report })
    })
  })
  return { agent, finished, stop }
}
