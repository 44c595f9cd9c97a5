import { QmsError } from '@quic-multistream/protocol'

/** Everything a worker process needs to join the swarm, handed over in one environment variable. */
export interface WorkerConfig {
  /** The worker's agent id. */
  id: string
  /** `host:port` of the coordinator, which hosts the embedded registry. */
  registry: string
  /** The coordinator's agent id (the registry hello must prove it). */
  coordinator: string
  /** The swarm's certificate (PEM) and key: every agent presents it and pins its SHA-256. */
  cert: string
  key: string
  sha256: string
  /** Shared secret of the swarm's hellos. */
  token: string
  /** Interval of the heartbeat datagrams, ms. */
  heartbeatMs: number
  /** Interval of the dashboard telemetry (`telemetry.agent.<id>`), ms; absent or 0: none. */
  telemetryMs?: number
}

/** The environment variable holding a {@link WorkerConfig} as JSON. */
export const WORKER_CONFIG_ENV = 'QMS_SWARM_WORKER'

/**
 * The worker configuration from {@link WORKER_CONFIG_ENV}.
 * @throws QmsError `ERR_INVALID_ARGUMENT` when it is missing or incomplete (the worker was started by hand).
 */
export function readWorkerConfig(env: NodeJS.ProcessEnv = process.env): WorkerConfig {
  const text = env[WORKER_CONFIG_ENV]
  if (!text) {
    throw new QmsError('ERR_INVALID_ARGUMENT', `${WORKER_CONFIG_ENV} is not set: workers are started by main.ts`)
  }
  const config = JSON.parse(text) as Partial<WorkerConfig>
  for (const key of ['id', 'registry', 'coordinator', 'cert', 'key', 'sha256', 'token'] as const) {
    if (typeof config[key] !== 'string') {
      throw new QmsError('ERR_INVALID_ARGUMENT', `${WORKER_CONFIG_ENV} lacks "${key}"`)
    }
  }
  return { heartbeatMs: 250, ...config } as WorkerConfig
}
