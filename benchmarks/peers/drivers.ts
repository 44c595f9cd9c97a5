// The timed phases, one per pattern, identical for every system: warm-up, then a fixed duration, with the CPU load
// of the benchmark's processes and of everything else on the machine recorded alongside each figure.

import { percentile, withTimeout } from '../lib/bench-kit.js'
import { type CpuSnapshot, cpuLoadBetween } from '../lib/cpu-load.js'
import type { BulkWriter, Connection, Requester, Sender, ServerLink, SystemClient } from './system.js'
import { type Counters, IN_FLIGHT, type PhaseResult, SENDERS } from './wire.js'

/** What every phase needs. */
export interface PhaseEnv {
  secs: number
  /** Requests before measuring request/reply. */
  warmup: number
  server: ServerLink
  /** CPU snapshot of this process, the server side and the machine. */
  meter(): CpuSnapshot
}

/** Arrivals are expected within this long of the last send, unless the system may drop messages. */
const DELIVERY_TIMEOUT_MS = 20_000
/** A lossy system's counter that has not moved for this long has received all it will. */
const LOSSY_QUIET_MS = 300
/** Synchronous sends in a row before a sender yields to I/O, so a client library that never pushes back cannot
 * starve the event loop (and then flush everything at once after the clock stopped). */
const YIELD_EVERY = 256

const yieldToIo = () => new Promise<void>((r) => setImmediate(r))

function cpu(a: CpuSnapshot, b: CpuSnapshot): NonNullable<PhaseResult['cpu']> {
  const load = cpuLoadBetween(a, b)
  return { client: load.self, server: load.others, foreign: load.foreign }
}

function latencies(lat: number[]): Pick<PhaseResult, 'p50Us' | 'p99Us'> {
  return { p50Us: percentile(lat, 0.5) * 1000, p99Us: percentile(lat, 0.99) * 1000 }
}

/** One request at a time: round trips per second, with the latency percentiles. */
export async function runSequential(r: Requester, env: PhaseEnv): Promise<PhaseResult> {
  for (let i = 0; i < env.warmup; i++) await r.request(i)
  const lat: number[] = []
  const c0 = env.meter()
  const start = performance.now()
  const end = start + env.secs * 1000
  let now = start
  let seq = 0
  while (now < end) {
    const t0 = now
    await r.request(seq++)
    now = performance.now()
    lat.push(now - t0)
  }
  return { value: (seq * 1000) / (now - start), ...latencies(lat), cpu: cpu(c0, env.meter()) }
}

async function concurrently(r: Requester, until: () => boolean, lat?: number[]): Promise<number> {
  let seq = 0
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (until()) {
        const t0 = performance.now()
        await r.request(seq++)
        lat?.push(performance.now() - t0)
      }
    }),
  )
  return seq
}

/** `IN_FLIGHT` callers, each sending its next request when its reply arrived: round trips per second. */
export async function runInFlight(r: Requester, env: PhaseEnv): Promise<PhaseResult> {
  let warm = 0
  await concurrently(r, () => warm++ < env.warmup)
  const lat: number[] = []
  const c0 = env.meter()
  const start = performance.now()
  const end = start + env.secs * 1000
  const done = await concurrently(r, () => performance.now() < end, lat)
  const t = performance.now()
  return { value: (done * 1000) / (t - start), ...latencies(lat), cpu: cpu(c0, env.meter()) }
}

/**
 * Sends for `secs`, then waits until the server counted everything (or, for a lossy system, until arrivals stop):
 * messages that arrived per second, over the time until the last one arrived.
 */
async function sendPhase(s: Sender, counter: keyof Counters, secs: number, env: PhaseEnv): Promise<PhaseResult> {
  const perSend = s.perSend ?? 1
  const base = (await env.server.counters())[counter]
  const c0 = env.meter()
  const start = performance.now()
  const end = start + secs * 1000
  let sent = 0
  await Promise.all(
    Array.from({ length: s.senders ?? SENDERS }, async () => {
      let inARow = 0
      while (performance.now() < end) {
        const p = s.send(sent++)
        if (p) {
          await p
          inARow = 0
        } else if (++inARow >= YIELD_EVERY) {
          await yieldToIo()
          inARow = 0
        }
      }
    }),
  )
  await s.flush?.()
  const sendEnd = performance.now()
  const expected = sent * perSend
  const quietMs = s.lossy ? LOSSY_QUIET_MS : DELIVERY_TIMEOUT_MS
  const got = (await env.server.waitFor(counter, base + expected, quietMs))[counter] - base
  const t = performance.now()
  const c1 = env.meter()
  if (got < expected && !s.lossy) throw new Error(`only ${got} of ${expected} messages arrived`)
  // When messages were lost the counter stalled: the quiet wait is not transfer time.
  const elapsed = got < expected ? sendEnd - start : t - start
  return { value: (got * 1000) / elapsed, lossPct: ((expected - got) * 100) / expected, cpu: cpu(c0, c1) }
}

/** A short unrecorded phase before the measured one, so code paths are compiled and buffers grown. */
function warmupSecs(secs: number): number {
  return Math.max(0.2, secs / 6)
}

/** One-way messages (or fan-out deliveries when `counter` is `deliveries`) per second. */
export async function runSends(s: Sender, counter: keyof Counters, env: PhaseEnv): Promise<PhaseResult> {
  await sendPhase(s, counter, warmupSecs(env.secs), env)
  return sendPhase(s, counter, env.secs, env)
}

async function bulkPhase(w: BulkWriter, secs: number, env: PhaseEnv): Promise<PhaseResult> {
  const base = (await env.server.counters()).bytes
  const c0 = env.meter()
  const start = performance.now()
  const end = start + secs * 1000
  let sent = 0
  let inARow = 0
  while (performance.now() < end) {
    const p = w.write()
    sent += w.chunkSize
    if (p) {
      await p
      inARow = 0
    } else if (++inARow >= YIELD_EVERY / 4) {
      await yieldToIo()
      inARow = 0
    }
  }
  const sendEnd = performance.now()
  const quietMs = w.lossy ? LOSSY_QUIET_MS : DELIVERY_TIMEOUT_MS
  const got = (await env.server.waitFor('bytes', base + sent, quietMs)).bytes - base
  const t = performance.now()
  const c1 = env.meter()
  if (got < sent && !w.lossy) throw new Error(`only ${got} of ${sent} bytes arrived`)
  const elapsed = got < sent ? sendEnd - start : t - start
  return { value: got / 1000 / elapsed, lossPct: ((sent - got) * 100) / sent, cpu: cpu(c0, c1) }
}

/** Bytes per second (reported in MB/s) through one stream (or one socket, for UDP). */
export async function runBulk(w: BulkWriter, env: PhaseEnv): Promise<PhaseResult> {
  await bulkPhase(w, warmupSecs(env.secs), env)
  return bulkPhase(w, env.secs, env)
}

async function timedConnect(client: SystemClient): Promise<{ ms: number; conn: Connection }> {
  let t0 = performance.now()
  const conn = await client.connect!({
    start() {
      t0 = performance.now()
    },
  })
  return { ms: performance.now() - t0, conn }
}

/** New connections up to their first reply, one at a time: the median in ms (and the p99 in microseconds). */
export async function runSetup(client: SystemClient, samples: number): Promise<PhaseResult> {
  for (let i = 0; i < 3; i++) await (await timedConnect(client)).conn.close()
  const ms: number[] = []
  for (let i = 0; i < samples; i++) {
    const { ms: took, conn } = await timedConnect(client)
    ms.push(took)
    await conn.close()
  }
  return { value: percentile(ms, 0.5), p50Us: percentile(ms, 0.5) * 1000, p99Us: percentile(ms, 0.99) * 1000 }
}

/** Resident memory the server side holds per idle connection, in KiB: before and after opening `n` of them. */
export async function runIdleMemory(client: SystemClient, n: number, server: ServerLink): Promise<PhaseResult> {
  const batch = 10
  const open = async (count: number) => {
    const conns: Connection[] = []
    for (let i = 0; i < count; i += batch) {
      const k = Math.min(batch, count - i)
      conns.push(...(await Promise.all(Array.from({ length: k }, () => client.connect!({ start() {} })))))
    }
    return conns
  }
  await Promise.all((await open(batch)).map((c) => c.close()))
  await new Promise((r) => setTimeout(r, 300))
  const before = await server.memory()
  const conns = await withTimeout(open(n), 60_000, `opening ${n} idle connections`)
  await new Promise((r) => setTimeout(r, 300))
  const after = await server.memory()
  await Promise.all(conns.map((c) => c.close().catch(() => {})))
  return { value: (after - before) / n / 1024 }
}
