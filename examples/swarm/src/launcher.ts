import { type ChildProcess, spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { QmsError } from '@quic-multistream/protocol'
import { WORKER_CONFIG_ENV, type WorkerConfig } from './worker-config.js'

/** The worker entry point, run by each worker process. */
const WORKER_ENTRY = fileURLToPath(new URL('../worker.ts', import.meta.url))
/** The example's directory: `--import tsx` resolves from the working directory, and tsx lives above it. */
const EXAMPLE_DIR = fileURLToPath(new URL('..', import.meta.url))

/** How a worker process ended. */
export interface WorkerExit {
  code: number | null
  signal: NodeJS.Signals | null
}

/** A worker running in its own OS process. */
export interface WorkerProcess {
  readonly id: string
  readonly pid: number
  /** Resolves once the worker printed `ready`: its handlers are installed and it is in the registry. */
  readonly ready: Promise<void>
  /** Resolves when the process has exited. */
  readonly exited: Promise<WorkerExit>
  /** Undefined while it runs. */
  readonly exit: WorkerExit | undefined
  /** Sends a signal (no-op once exited). */
  kill(signal: NodeJS.Signals): void
}

const live = new Set<ChildProcess>()
let reaperInstalled = false

/** Whatever happens to this process, its workers must not outlive it. */
function installReaper(): void {
  if (reaperInstalled) return
  reaperInstalled = true
  process.once('exit', () => {
    for (const child of live) child.kill('SIGKILL')
  })
}

/**
 * Starts a worker process: `node --conditions=source --import tsx worker.ts`, its configuration in
 * `QMS_SWARM_WORKER`. `ready` rejects if it exits or stays silent for `readyTimeoutMs`, with its last stderr lines.
 */
export function launchWorker(config: WorkerConfig, readyTimeoutMs = 60_000): WorkerProcess {
  installReaper()
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', WORKER_ENTRY], {
    cwd: EXAMPLE_DIR,
    env: { ...process.env, [WORKER_CONFIG_ENV]: JSON.stringify(config) },
    // The worker watches stdin: it ends when this process dies, however it dies.
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  child.on('error', () => {}) // a failed spawn shows up as the missing pid below, or as an exit
  child.stdin!.on('error', () => {})
  if (child.pid === undefined) throw new QmsError('ERR_SWARM_SPAWN', `could not start worker ${config.id}`)
  live.add(child)
  const stderr: string[] = []
  createInterface({ input: child.stderr! }).on('line', (line) => {
    stderr.push(line)
    if (stderr.length > 20) stderr.shift()
  })
  let exit: WorkerExit | undefined
  const exited = new Promise<WorkerExit>((resolve) => {
    child.once('close', (code, signal) => {
      live.delete(child)
      exit = { code, signal }
      resolve(exit)
    })
  })
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => fail('did not get ready in time'), readyTimeoutMs)
    const lines = createInterface({ input: child.stdout! })
    function fail(why: string) {
      clearTimeout(timer)
      lines.close()
      reject(
        new QmsError('ERR_SWARM_SPAWN', `worker ${config.id} ${why}${stderr.length ? `:\n${stderr.join('\n')}` : ''}`),
      )
    }
    lines.on('line', (line) => {
      if (line.startsWith(`ready ${config.id} `)) {
        clearTimeout(timer)
        resolve()
      }
    })
    void exited.then((e) => setImmediate(() => fail(`exited (code ${e.code}, signal ${e.signal})`)))
  })
  ready.catch(() => {})
  return {
    id: config.id,
    pid: child.pid,
    ready,
    exited,
    get exit() {
      return exit
    },
    kill(signal) {
      if (exit === undefined) child.kill(signal)
    },
  }
}
