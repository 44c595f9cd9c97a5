// Client process of the peer suite (spawned by suite.ts for one system and one run, with a ClientJob as JSON in its
// first argument): forks the system's server process, runs the asked patterns through the drivers, and prints one
// JSON line per event (wire.ts `ClientLine`). A fresh pair of processes per run keeps runs independent.
import { type ChildProcess, fork } from 'node:child_process'
import { stopChild, withTimeout } from '../lib/bench-kit.js'
import { cpuSnapshot } from '../lib/cpu-load.js'
import { type PhaseEnv, runBulk, runIdleMemory, runInFlight, runSends, runSequential, runSetup } from './drivers.js'
import type { BulkWriter, ServerLink, SystemClient } from './system.js'
import { findSystem } from './systems/index.js'
import type {
  ClientJob,
  ClientLine,
  Counters,
  PatternId,
  PhaseResult,
  ServerCommand,
  ServerMessage,
  ServerReady,
} from './wire.js'

function print(line: ClientLine): void {
  process.stdout.write(`${JSON.stringify(line)}\n`)
}

function startServer(system: string): Promise<{ child: ChildProcess; ready: ServerReady }> {
  // The server runs like this process (tsx, and the `source` condition when given), with a GC it can trigger
  // before reporting its memory.
  const execArgv = ['--import', 'tsx', '--expose-gc']
  if (process.execArgv.includes('--conditions=source')) execArgv.unshift('--conditions=source')
  const child = fork(new URL('./server.ts', import.meta.url), [system], { execArgv, stdio: ['ignore', 2, 2, 'ipc'] })
  return withTimeout(
    new Promise((resolve, reject) => {
      child.once('exit', (code, signal) => reject(new Error(`server process exited (${signal ?? code})`)))
      child.on('message', (m: ServerMessage) => {
        if (m.type === 'ready') resolve({ child, ready: m })
      })
    }),
    60_000,
    'starting the server process',
  )
}

/** The server over IPC. Commands go one at a time, so each answer belongs to the command before it. */
function linkTo(child: ChildProcess, ready: ServerReady): ServerLink {
  let queue: Promise<unknown> = Promise.resolve()
  const ask = <T>(cmd: ServerCommand, pick: (m: ServerMessage) => T | undefined): Promise<T> => {
    const answer = queue.then(
      () =>
        new Promise<T>((resolve, reject) => {
          const onMessage = (m: ServerMessage) => {
            if (m.type === 'failed') {
              child.off('message', onMessage)
              reject(new Error(m.error))
              return
            }
            const v = pick(m)
            if (v === undefined) return
            child.off('message', onMessage)
            resolve(v)
          }
          child.on('message', onMessage)
          child.send(cmd)
        }),
    )
    queue = answer.catch(() => {})
    return answer
  }
  const counters = (m: ServerMessage): Counters | undefined => (m.type === 'counters' ? m.counters : undefined)
  return {
    info: ready.info,
    counters: () => ask({ type: 'counters' }, counters),
    waitFor: (counter, atLeast, quietMs) => ask({ type: 'wait', counter, atLeast, quietMs }, counters),
    memory: () => ask({ type: 'memory' }, (m) => (m.type === 'memory' ? m.rss : undefined)),
    call: (name, arg) =>
      ask({ type: 'call', name, arg }, (m) => (m.type === 'called' ? { v: m.result } : undefined)).then((r) => r.v),
  }
}

/** Opens what a phase uses, runs the phase, and closes it even when the phase fails. */
async function phase<T>(
  open: (() => Promise<T>) | undefined,
  run: (x: T) => Promise<PhaseResult>,
  close: (x: T) => Promise<void>,
): Promise<PhaseResult> {
  if (!open) throw new Error('not supported by this system')
  const x = await open()
  try {
    return await run(x)
  } finally {
    await close(x)
  }
}

function runPattern(pattern: PatternId, client: SystemClient, env: PhaseEnv, job: ClientJob): Promise<PhaseResult> {
  const c = client
  const close = (x: { close(): Promise<void> }) => x.close()
  const end = (w: BulkWriter) => w.end()
  switch (pattern) {
    case 'seq':
      return phase(c.seq?.bind(c), (r) => runSequential(r, env), close)
    case 'inflight':
      return phase(c.inflight?.bind(c), (r) => runInFlight(r, env), close)
    case 'oneway':
      return phase(c.oneway?.bind(c), (s) => runSends(s, 'msgs', env), close)
    case 'fanout':
      return phase(c.fanout?.bind(c), (s) => runSends(s, 'deliveries', env), close)
    case 'bulk':
      return phase(c.bulk?.bind(c), (w) => runBulk(w, env), end)
    case 'bulk1350':
      return phase(c.bulk1350?.bind(c), (w) => runBulk(w, env), end)
    case 'setup':
      return phase(
        c.connect && (async () => c),
        (x) => runSetup(x, job.setupSamples),
        async () => {},
      )
    case 'rss':
      return phase(
        c.connect && (async () => c),
        (x) => runIdleMemory(x, job.idleConnections, env.server),
        async () => {},
      )
  }
}

async function main(): Promise<void> {
  const job = JSON.parse(process.argv[2] ?? '{}') as ClientJob
  const { child, ready } = await startServer(job.system)
  let client: SystemClient | undefined
  try {
    const server = linkTo(child, ready)
    client = await (await findSystem(job.system).load()).startClient(server)
    const env: PhaseEnv = { secs: job.secs, warmup: job.warmup, server, meter: () => cpuSnapshot(ready.pids) }
    // Idle memory first, before the other phases have grown the heaps (their slack would hide small figures).
    const order = [...job.patterns].sort((x, y) => Number(y === 'rss') - Number(x === 'rss'))
    for (const pattern of order) {
      print({ type: 'phase', pattern })
      try {
        const limit = 60_000 + job.secs * 4_000
        const result = await withTimeout(runPattern(pattern, client, env, job), limit, `${job.system} ${pattern}`)
        print({ type: 'result', pattern, result })
      } catch (e) {
        print({ type: 'error', pattern, error: e instanceof Error ? e.message : String(e) })
      }
    }
    print({ type: 'done', versions: client.versions?.() ?? {} })
  } finally {
    await withTimeout(client?.close() ?? Promise.resolve(), 10_000, 'closing the client').catch(() => {})
    await stopChild(child)
  }
}

main()
  .then(() => process.exit(0))
  .catch((e: unknown) => {
    console.error('peers client failed:', e)
    process.exit(1)
  })
