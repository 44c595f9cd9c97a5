import { defineRequest } from '@quic-multistream/agent'
import { CompareOpen } from '@quic-multistream/example-temporal-compare'
import { defineMessage, type Infer } from '@quic-multistream/protocol'
import { z } from 'zod'

const count = z.number().int().nonnegative()
const jobId = count

/**
 * Coordinator → worker, with `sendCritical`: the worker takes job `jobId` and sizes its comparison from `compare`
 * (the temporal-compare opening declaration). The acknowledgement means the worker accepted it; a worker that
 * cannot run it throws, which the coordinator receives as `ERR_REMOTE`.
 */
export const Assign = defineMessage(
  'swarm.assign',
  z.object({ jobId, compare: CompareOpen.schema, chunks: count.min(1) }),
)

/** The stream that carries a job's two sequences, coordinator → worker. */
export const JOB_STREAM = 'swarm.job'

/** First message of a {@link JOB_STREAM}: which assignment the chunks that follow (`compare.chunk`) belong to. */
export const JobStart = defineMessage('swarm.job.start', z.object({ jobId }))

/** Worker → coordinator, published on `swarm.progress.<worker>` after every chunk it compared. */
export const JobProgress = defineMessage(
  'swarm.progress',
  z.object({
    worker: z.string(),
    jobId,
    /** Values of both sequences received so far, and in total. */
    received: count,
    total: count,
    /** DTW of the prefixes received so far; null while no warping path exists yet. */
    distance: z.number().nullable(),
  }),
)

/** Topic a worker publishes its progress on. */
export function progressTopic(worker: string): string {
  return `swarm.progress.${worker}`
}

/** The pattern the coordinator subscribes to: every worker's progress. */
export const PROGRESS_PATTERN = 'swarm.progress.*'

/** Coordinator → worker request: the result of a job whose data the worker received in full. */
export const ResultQuery = defineMessage('swarm.result.query', z.object({ jobId }))
/** The worker's answer to {@link ResultQuery}. */
export const JobResult = defineMessage(
  'swarm.result',
  z.object({
    jobId,
    worker: z.string(),
    distance: z.number(),
    pathLength: count,
    chunks: count,
    /** Worker time from the assignment to the last chunk compared. */
    computeMs: z.number().nonnegative(),
  }),
)
/** `request(worker, FetchResult, { jobId })`: waits, on the worker, until that job's comparison is complete. */
export const FetchResult = defineRequest(ResultQuery, JobResult)

/** Round-trip probe, on the `high` lane so that bulk job data does not queue in front of it. */
export const Ping = defineMessage('swarm.ping', z.object({ seq: count }))
/** Answer to {@link Ping}. */
export const Pong = defineMessage('swarm.pong', z.object({ seq: count, activeJobs: count }))
/** `request(worker, Probe, { seq })`. */
export const Probe = defineRequest(Ping, Pong)

/** Worker → coordinator datagram (`notify`), a few times a second: alive, busy with what, at what cost. */
export const Heartbeat = defineMessage(
  'swarm.heartbeat',
  z.object({
    worker: z.string(),
    seq: count,
    activeJobs: count,
    jobsCompleted: count,
    rssBytes: count,
    /** CPU time (user + system) of the worker process so far, ms. */
    cpuMs: z.number().nonnegative(),
  }),
)

/** Coordinator → worker request at the end: report and exit. */
export const Finish = defineMessage('swarm.finish', z.object({}))
/** What a worker did, as it saw it. */
export const WorkerReport = defineMessage(
  'swarm.report',
  z.object({
    worker: z.string(),
    /** Assignment handlers run (a redelivered assignment does not run it again). */
    assignmentsHandled: count,
    /** Jobs assigned more than once to this worker: the exactly-once check on the receiving side. */
    duplicateAssignments: count,
    jobsCompleted: count,
    heartbeatsSent: count,
    progressPublished: count,
  }),
)
/** `request(worker, Shutdown, {})`: the worker answers with its report, then stops. */
export const Shutdown = defineRequest(Finish, WorkerReport)

/** Body of {@link Assign}. */
export type AssignBody = Infer<typeof Assign>
/** Body of {@link JobResult}. */
export type JobResultBody = Infer<typeof JobResult>
/** Body of {@link WorkerReport}. */
export type WorkerReportBody = Infer<typeof WorkerReport>
/** Body of {@link Heartbeat}. */
export type HeartbeatBody = Infer<typeof Heartbeat>
/** Body of {@link JobProgress}. */
export type JobProgressBody = Infer<typeof JobProgress>
