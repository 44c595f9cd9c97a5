/**
 * `@quic-multistream/example-swarm`: the demo swarm. A coordinator agent (hosting the embedded registry) hands
 * temporal-compare jobs to worker agents running as separate processes: assignments with `sendCritical`, the data
 * streamed in chunks (`openStream`), results with `request`, progress over pub/sub, heartbeats as datagrams. One
 * worker is killed half-way and its jobs are reassigned; the summary checks that every job was done exactly once.
 * @packageDocumentation
 */
export { JobBoard, type JobOutcome } from './job-board.js'
export {
  assignmentFor,
  chunkCount,
  chunkOf,
  DEFAULT_JOB_SHAPE,
  type Job,
  type JobShape,
  makeJob,
  verifyResult,
} from './jobs.js'
export { LatencySamples, type LatencySummary } from './latency.js'
export { launchWorker, type WorkerExit, type WorkerProcess } from './launcher.js'
export {
  Assign,
  type AssignBody,
  FetchResult,
  Finish,
  Heartbeat,
  type HeartbeatBody,
  JOB_STREAM,
  JobProgress,
  type JobProgressBody,
  JobResult,
  type JobResultBody,
  JobStart,
  Ping,
  Pong,
  PROGRESS_PATTERN,
  Probe,
  progressTopic,
  ResultQuery,
  Shutdown,
  WorkerReport,
  type WorkerReportBody,
} from './messages.js'
export { Screen, type ScreenOutput, type UiMode } from './screen.js'
export {
  type DashboardSummary,
  findProblems,
  type KillRecord,
  type SwarmSummary,
  type WorkerSummary,
} from './summary.js'
export { COORDINATOR_ID, runSwarm, type SwarmOptions } from './swarm.js'
export { TrafficMeter, type TrafficTotals } from './traffic-meter.js'
export {
  bar,
  type DashboardStatus,
  renderFrame,
  renderStatus,
  renderSummary,
  type SwarmEvent,
  type SwarmSnapshot,
  type WorkerRow,
} from './view.js'
export { SwarmErrorCode, type SwarmWorker, startWorker } from './worker.js'
export { readWorkerConfig, WORKER_CONFIG_ENV, type WorkerConfig } from './worker-config.js'
