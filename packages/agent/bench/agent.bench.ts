// Agent figures between two processes over QUIC on loopback, with 1 KiB bodies: this process runs the agent `client`;
// agent-server.ts (forked) runs `server` (hosting the embedded registry) and the subscriber agents. Request/reply
// sequential and with 100 in flight, sendCritical acknowledged per second, one-way sends and publish fan-out to 1 and
// to 10 subscribers, counted where they arrive. Prints one JSON line per metric (the contract of scripts/bench.mjs).
// Each case also reports the CPU time per operation of both processes (`<case>.cpu.client`, `<case>.cpu.server`):
// the two take turns more than they overlap, so the rate is close to one over their sum, and unlike the rate the CPU
// cost hardly moves with other load on the machine.
//
// Environment knobs (for profiling and quick checks; the runner sets none):
//   QMS_BENCH_ONLY=request,send   run only the cases whose name starts with one of these
//   QMS_BENCH_RUNS=5              timed runs per case (after one warm-up run)
//   QMS_BENCH_PROFILE=<dir>       start the server process with --cpu-prof into <dir>
// Run without `--conditions=source` (after `npx tsc -b`), both processes use the compiled packages instead of tsx's
// on-the-fly transpilation of their sources, which wraps every closure it creates in a `__name` call.
import { type ChildProcess, fork } from 'node:child_process'
import { loadavg } from 'node:os'
import { Agent } from '@quic-multistream/agent'
import { RemoteRegistry } from '@quic-multistream/mesh'
import {
  caseFilter,
  createEmitter,
  createFailureReporter,
  median,
  percentile,
  stopChild,
  withTimeout,
} from '../../../benchmarks/lib/bench-kit.js'
import {
  type Counter,
  DATA,
  Echo,
  FANOUT,
  SERVER_ID,
  type ServerCommand,
  type ServerMessage,
  type ServerReady,
  Tick,
  TOPIC_ALL,
  TOPIC_ONE,
  Work,
} from './agent-wire.js'

const BENCH = 'agent'
const emit = createEmitter(BENCH)
const fail = createFailureReporter(BENCH)
const RUNS = Number(process.env.QMS_BENCH_RUNS ?? 5)
const RUN_MS = 300
const IN_FLIGHT = 100
const selected = caseFilter()
const PROFILE_DIR = process.env.QMS_BENCH_PROFILE
/** The whole file must stay well under a minute; past this it reports failure and exits. */
const WATCHDOG_MS = 55_000
const RUN_TIMEOUT_MS = 15_000

// ---- output and statistics ----

// ---- the server process ----

let server: ChildProcess | undefined
/** Per counter: what this process has sent so far, so the total the server must reach is known. */
const expected: Record<Counter, number> = { oneway: 0, critical: 0, deliveries: 0 }

function startServer(): Promise<ServerReady> {
  // The server runs like this process: from the packages' sources when started with `--conditions=source` (as
  // scripts/bench.mjs does), else from their compiled `dist` (after `npx tsc -b`).
  const execArgv = ['--import', 'tsx']
  if (process.execArgv.includes('--conditions=source')) execArgv.unshift('--conditions=source')
  if (PROFILE_DIR) execArgv.push('--cpu-prof', '--cpu-prof-dir', PROFILE_DIR)
  const child = fork(new URL('./agent-server.ts', import.meta.url), [], { execArgv, stdio: ['ignore', 2, 2, 'ipc'] })
  server = child
  return withTimeout(
    new Promise<ServerReady>((resolve, reject) => {
      child.once('exit', (code, signal) => reject(new Error(`server process exited (${signal ?? code})`)))
      child.on('message', (m: ServerMessage) => {
        if (m.type === 'ready') resolve(m)
      })
    }),
    30_000,
    'starting the server process',
  )
}

/** Resolves once the server has counted everything this process sent it of `counter`. */
function serverReached(counter: Counter): Promise<void> {
  const child = server!
  const atLeast = expected[counter]
  return new Promise<void>((resolve) => {
    const onMessage = (m: ServerMessage) => {
      if (m.type !== 'reached' || m.counter !== counter || m.value < atLeast) return
      child.off('message', onMessage)
      resolve()
    }
    child.on('message', onMessage)
    child.send({ type: 'wait', counter, atLeast } satisfies ServerCommand)
  })
}

/** CPU time (user + system) used so far by this process and by the server process, in microseconds. */
async function cpuNow(): Promise<{ client: number; server: number }> {
  const child = server!
  const serverUs = await new Promise<number>((resolve) => {
    const onMessage = (m: ServerMessage) => {
      if (m.type !== 'cpu') return
      child.off('message', onMessage)
      resolve(m.us)
    }
    child.on('message', onMessage)
    child.send({ type: 'cpu' } satisfies ServerCommand)
  })
  const { user, system } = process.cpuUsage()
  return { client: user + system, server: serverUs }
}

/**
 * CPU microseconds per operation in each process, collected over a case's timed runs. Less sensitive to other load
 * on the machine than rates are, so small changes show; both processes' share counts when they take turns.
 */
class CpuCost {
  readonly client: number[] = []
  readonly server: number[] = []
  #start: { client: number; server: number } | undefined

  async begin(): Promise<void> {
    this.#start = await cpuNow()
  }

  async end(ops: number): Promise<void> {
    const start = this.#start!
    const now = await cpuNow()
    if (ops <= 0) return
    this.client.push((now.client - start.client) / ops)
    this.server.push((now.server - start.server) / ops)
  }

  report(name: string, unit: string): void {
    emit(`${name}.cpu.client`, median(this.client), `us/${unit}`)
    emit(`${name}.cpu.server`, median(this.server), `us/${unit}`)
  }
}

async function stopServer(): Promise<void> {
  await stopChild(server)
}

// ---- cases ----

interface Case {
  name: string
  /** One run; `warm` runs are not recorded. */
  run(warm: boolean): Promise<void>
  report(): void
  failed?: unknown
}

/** `workers` loops calling `op` until `RUN_MS` has passed; resolves with how many calls completed. */
async function loop(workers: number, op: (seq: number) => Promise<unknown>): Promise<number> {
  const deadline = performance.now() + RUN_MS
  let seq = 0
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (performance.now() < deadline) await op(seq++)
    }),
  )
  return seq
}

function requestSequential(client: Agent): Case {
  const rates: number[] = []
  const p50: number[] = []
  const p99: number[] = []
  const cpu = new CpuCost()
  return {
    name: 'request.seq',
    async run(warm) {
      const lat: number[] = []
      if (!warm) await cpu.begin()
      const start = performance.now()
      let now = start
      let seq = 0
      while (now - start < RUN_MS) {
        const t0 = now
        const reply = await client.request(SERVER_ID, Echo, { seq, data: DATA })
        if (reply.seq !== seq) throw new Error(`reply ${reply.seq} to request ${seq}`)
        seq++
        now = performance.now()
        lat.push(now - t0)
      }
      if (warm) return
      await cpu.end(seq)
      rates.push((seq * 1000) / (now - start))
      p50.push(percentile(lat, 0.5) * 1000)
      p99.push(percentile(lat, 0.99) * 1000)
    },
    report() {
      emit('request.seq.rate', median(rates), 'rtt/s')
      emit('request.seq.p50', median(p50), 'us')
      emit('request.seq.p99', median(p99), 'us')
      cpu.report('request.seq', 'rtt')
    },
  }
}

/** `IN_FLIGHT` callers each waiting for their call's outcome before the next: calls completed per second. */
function inFlight(name: string, unit: string, op: (seq: number) => Promise<unknown>): Case {
  const rates: number[] = []
  const cpu = new CpuCost()
  return {
    name,
    async run(warm) {
      if (!warm) await cpu.begin()
      const start = performance.now()
      const done = await loop(IN_FLIGHT, op)
      if (warm) return
      rates.push((done * 1000) / (performance.now() - start))
      await cpu.end(done)
    },
    report() {
      emit(name, median(rates), unit)
      cpu.report(name, 'call')
    },
  }
}

/**
 * Messages the server counts on arrival (one-way sends, publish deliveries): `IN_FLIGHT` senders for `RUN_MS`, then
 * the rate is what arrived over the time until the last one arrived.
 */
function arrivals(name: string, counter: Counter, op: (seq: number) => Promise<number>): Case {
  const rates: number[] = []
  const cpu = new CpuCost()
  return {
    name,
    async run(warm) {
      if (!warm) await cpu.begin()
      const start = performance.now()
      let sent = 0
      await loop(IN_FLIGHT, async (seq) => {
        const n = await op(seq)
        sent += n
      })
      expected[counter] += sent
      await serverReached(counter)
      if (warm) return
      rates.push((sent * 1000) / (performance.now() - start))
      await cpu.end(sent)
    },
    report() {
      emit(name, median(rates), 'msg/s')
      cpu.report(name, 'msg')
    },
  }
}

// ---- main ----

let client: Agent | undefined

async function main(): Promise<void> {
  emit('load.1m.start', loadavg()[0]!, 'load')
  const ready = await startServer()
  const c = await Agent.start({
    id: 'client',
    registry: new RemoteRegistry({ address: ready.address, id: SERVER_ID }),
    tls: { cert: ready.cert, key: ready.key, pinSha256: [ready.sha256] },
  })
  client = c
  // Publishers learn subscriptions through the registry: wait until all of them are here.
  const deadline = Date.now() + 10_000
  while (c.peers().filter((p) => p.subscriptions.length > 0).length < FANOUT) {
    if (Date.now() > deadline) throw new Error('the subscribers never showed up in the registry')
    await new Promise((r) => setTimeout(r, 10))
  }

  const body = (seq: number) => ({ seq, data: DATA })
  const cases = [
    requestSequential(c),
    inFlight('request.inflight100', 'rtt/s', (seq) => c.request(SERVER_ID, Echo, body(seq))),
    inFlight('critical.inflight100', 'acked/s', (seq) => c.sendCritical(SERVER_ID, Work, body(seq))),
    arrivals('send.oneway', 'oneway', async (seq) => {
      await c.send(SERVER_ID, Work, body(seq))
      return 1
    }),
    arrivals('publish.fanout1', 'deliveries', (seq) => c.publish(TOPIC_ONE, Tick, body(seq))),
    arrivals('publish.fanout10', 'deliveries', (seq) => c.publish(TOPIC_ALL, Tick, body(seq))),
  ].filter((k) => selected(k.name))

  const attempt = async (k: Case, what: string, p: () => Promise<void>) => {
    if (k.failed) return
    try {
      await withTimeout(p(), RUN_TIMEOUT_MS, `${k.name} ${what}`)
    } catch (e) {
      k.failed = e
      fail(k.name, e)
    }
  }
  for (const k of cases) await attempt(k, 'warm-up', () => k.run(true))
  // Runs are interleaved across cases so that load from other processes spreads evenly over them.
  for (let r = 0; r < RUNS; r++) for (const k of cases) await attempt(k, `run ${r + 1}`, () => k.run(false))
  for (const k of cases) if (!k.failed) k.report()
  emit('load.1m.end', loadavg()[0]!, 'load')
}

const watchdog = setTimeout(() => {
  console.error(`${BENCH}: still running after ${WATCHDOG_MS} ms, giving up`)
  server?.kill('SIGKILL')
  process.exit(1)
}, WATCHDOG_MS)

main()
  .catch((e: unknown) => fail('setup', e))
  .finally(async () => {
    await client?.stop().catch(() => {})
    await stopServer()
    clearTimeout(watchdog)
    process.exit(process.exitCode ?? 0)
  })
