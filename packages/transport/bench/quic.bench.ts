// QUIC endpoint figures between two processes on loopback: this process is the client, quic-server.ts (forked) the
// server. Request/reply rates and latencies with 1 KiB framed messages, bulk throughput, handshake and 0-RTT
// latency, stream opening, and the memory an idle connection costs. Prints one JSON line per metric.
//
// Environment knobs (for profiling and quick checks; the runner sets none):
//   QMS_BENCH_ONLY=seq,bulk      run only the cases whose name starts with one of these
//   QMS_BENCH_RUNS=5             timed runs per case (after one warm-up run)
//   QMS_BENCH_PROFILE=<dir>      start the server process with --cpu-prof into <dir>
import { type ChildProcess, fork } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { createSocket } from 'node:dgram'
import { loadavg } from 'node:os'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { Worker } from 'node:worker_threads'
import {
  caseFilter,
  createEmitter,
  createFailureReporter,
  median,
  percentile,
  stopChild,
  withTimeout,
} from '../../../benchmarks/lib/bench-kit.js'
import { createEndpoint, type EndpointOptions, type QuicConnection, type QuicEndpoint } from '../src/index.js'
import {
  encodeFrame,
  FrameReader,
  MODE_ECHO,
  MODE_FIRST_BYTE,
  MODE_SINK,
  type ServerCommand,
  type ServerMemory,
  type ServerMessage,
  type ServerReady,
} from './quic-wire.js'

const BENCH = 'transport.quic'
const emit = createEmitter(BENCH)
const fail = createFailureReporter(BENCH)
const RUNS = Number(process.env.QMS_BENCH_RUNS ?? 5)
const RUN_MS = 250
const selected = caseFilter()
const PROFILE_DIR = process.env.QMS_BENCH_PROFILE
/** The whole file must finish well inside the runner's two minutes; past this it reports failure and exits. */
const WATCHDOG_MS = 85_000
const RUN_TIMEOUT_MS = 20_000
const PAYLOAD = 1024
const IDLE_CONNECTIONS = 1_000
const MAX_RECONNECTS = 40
const MiB = 1024 * 1024

setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void

// ---- output and statistics ----

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms))
}

// ---- messages ----

const template = encodeFrame(randomBytes(PAYLOAD))

/** A 1 KiB framed message whose first four payload bytes carry `seq`, so a lost or reordered reply throws. */
function frame(seq: number): Buffer {
  const f = Buffer.from(template)
  f.writeUInt32BE(seq >>> 0, 4)
  return f
}

/** The same message behind the echo mode byte: a whole request on a new stream. */
function request(seq: number): Buffer {
  const f = Buffer.allocUnsafe(template.length + 1)
  f[0] = MODE_ECHO
  template.copy(f, 1)
  f.writeUInt32BE(seq >>> 0, 5)
  return f
}

function check(payload: Uint8Array | null, seq: number): void {
  if (payload === null) throw new Error(`stream ended while waiting for reply ${seq}`)
  const got = Buffer.from(payload.buffer, payload.byteOffset, payload.length)
  if (got.length !== PAYLOAD || got.readUInt32BE(0) !== seq >>> 0) {
    throw new Error(`bad reply: expected seq ${seq} of ${PAYLOAD} B, got ${got.readUInt32BE(0)} of ${got.length} B`)
  }
}

/** One request on a new stream: open, send the frame with FIN, read the echo and the server's FIN. */
async function requestOnNewStream(conn: QuicConnection, seq: number): Promise<void> {
  const s = await conn.openBidi()
  await s.end(request(seq))
  const reader = new FrameReader(s[Symbol.asyncIterator]())
  check(await reader.read(), seq)
  if ((await reader.read()) !== null) throw new Error('server sent more than one reply')
}

/** A long-lived echo stream. */
async function echoStream(conn: QuicConnection) {
  const stream = await conn.openBidi()
  await stream.write(Uint8Array.of(MODE_ECHO))
  return { stream, reader: new FrameReader(stream[Symbol.asyncIterator]()) }
}

// ---- the server process ----

let server: ChildProcess | undefined
let stopping = false

function startServer(): Promise<ServerReady> {
  const execArgv = ['--conditions=source', '--import', 'tsx']
  if (PROFILE_DIR) execArgv.push('--cpu-prof', '--cpu-prof-dir', PROFILE_DIR)
  const child = fork(new URL('./quic-server.ts', import.meta.url), [], { execArgv, stdio: ['ignore', 2, 2, 'ipc'] })
  server = child
  child.once('exit', (code, signal) => {
    if (stopping) return
    // Every case after this would wait for its timeout: stop now, with whatever was measured before.
    console.error(`${BENCH}: the server process exited unexpectedly (${signal ?? `exit ${code}`})`)
    process.exit(1)
  })
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

function serverMemory(): Promise<ServerMemory> {
  const child = server
  if (!child) throw new Error('no server process')
  return withTimeout(
    new Promise<ServerMemory>((resolve) => {
      const onMessage = (m: ServerMessage) => {
        if (m.type !== 'memory') return
        child.off('message', onMessage)
        resolve(m)
      }
      child.on('message', onMessage)
      child.send({ type: 'memory' } satisfies ServerCommand)
    }),
    5_000,
    'server memory query',
  )
}

async function stopServer(): Promise<void> {
  stopping = true
  await stopChild(server)
}

// ---- cases ----

interface Case {
  name: string
  setup(): Promise<void>
  /** One run; `warm` runs are not recorded. */
  run(warm: boolean): Promise<void>
  report(): void | Promise<void>
  failed?: unknown
}

interface Ctx {
  ready: ServerReady
  auto: QuicEndpoint
  small: QuicEndpoint
  dial(endpoint: QuicEndpoint, port: number, earlyData?: boolean): Promise<QuicConnection>
}

/** Plain UDP ping-pong with the server process, 1 KiB datagrams: what this machine allows before any QUIC work. */
function udpBaseline(ctx: Ctx): Case {
  const socket = createSocket('udp4')
  const rates: number[] = []
  const p50: number[] = []
  let onReply: (() => void) | undefined
  return {
    name: 'baseline.udp',
    async setup() {
      socket.on('message', () => onReply?.())
      await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve))
      cleanups.push(() => new Promise<void>((resolve) => socket.close(() => resolve())))
    },
    async run(warm) {
      const msg = frame(0)
      const lat: number[] = []
      const start = performance.now()
      let now = start
      while (now - start < RUN_MS) {
        const t0 = now
        const reply = new Promise<void>((resolve) => {
          onReply = resolve
        })
        socket.send(msg, ctx.ready.udpEchoPort, '127.0.0.1')
        await reply
        now = performance.now()
        lat.push(now - t0)
      }
      if (warm) return
      rates.push((lat.length * 1000) / (now - start))
      p50.push(percentile(lat, 0.5) * 1000)
    },
    report() {
      emit('baseline.udp-pingpong.rate', median(rates), 'rtt/s')
      emit('baseline.udp-pingpong.p50', median(p50), 'us')
    },
  }
}

function sequential(ctx: Ctx): Case {
  let echo: Awaited<ReturnType<typeof echoStream>>
  const rates: number[] = []
  const p50: number[] = []
  const p99: number[] = []
  return {
    name: 'seq',
    async setup() {
      echo = await echoStream(await ctx.dial(ctx.auto, ctx.ready.autoPort))
    },
    async run(warm) {
      const lat: number[] = []
      const start = performance.now()
      let now = start
      let seq = 0
      while (now - start < RUN_MS) {
        const t0 = now
        await echo.stream.write(frame(seq))
        check(await echo.reader.read(), seq)
        seq++
        now = performance.now()
        lat.push(now - t0)
      }
      if (warm) return
      rates.push((seq * 1000) / (now - start))
      p50.push(percentile(lat, 0.5) * 1000)
      p99.push(percentile(lat, 0.99) * 1000)
    },
    report() {
      emit('rtt.seq.rate', median(rates), 'rtt/s')
      emit('rtt.seq.p50', median(p50), 'us')
      emit('rtt.seq.p99', median(p99), 'us')
    },
  }
}

/** 100 requests in flight: 100 long-lived streams with one request each, or one stream pipelining 100. */
function inflight(ctx: Ctx, layout: 'streams' | 'pipelined'): Case {
  let echos: Awaited<ReturnType<typeof echoStream>>[] = []
  const rates: number[] = []
  return {
    name: `inflight100.${layout}`,
    async setup() {
      const conn = await ctx.dial(ctx.auto, ctx.ready.autoPort)
      const n = layout === 'streams' ? 100 : 1
      echos = await Promise.all(Array.from({ length: n }, () => echoStream(conn)))
    },
    async run(warm) {
      const start = performance.now()
      const deadline = start + RUN_MS
      let done = 0
      if (layout === 'streams') {
        await Promise.all(
          echos.map(async ({ stream, reader }) => {
            for (let seq = 0; performance.now() < deadline; seq++) {
              await stream.write(frame(seq))
              check(await reader.read(), seq)
              done++
            }
          }),
        )
      } else {
        const { stream, reader } = echos[0]!
        let sent = 0
        while (sent < 100) await stream.write(frame(sent++))
        while (done < sent) {
          check(await reader.read(), done)
          done++
          if (performance.now() < deadline) await stream.write(frame(sent++))
        }
      }
      if (!warm) rates.push((done * 1000) / (performance.now() - start))
    },
    report() {
      emit(`rtt.inflight100.${layout}`, median(rates), 'rtt/s')
    },
  }
}

function streamPerRequest(ctx: Ctx, concurrency: number): Case {
  let conn: QuicConnection
  const rates: number[] = []
  return {
    name: `stream-per-request.c${concurrency}`,
    async setup() {
      conn = await ctx.dial(ctx.auto, ctx.ready.autoPort)
    },
    async run(warm) {
      const start = performance.now()
      const deadline = start + RUN_MS
      let done = 0
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (performance.now() < deadline) await requestOnNewStream(conn, done++)
        }),
      )
      if (!warm) rates.push((done * 1000) / (performance.now() - start))
    },
    report() {
      emit(`stream-per-request.c${concurrency}`, median(rates), 'req/s')
    },
  }
}

/** From before `openBidi` to the server reading the stream's first chunk, timed on the shared monotonic clock. */
function openFirstByte(ctx: Ctx): Case {
  let conn: QuicConnection
  const us: number[] = []
  return {
    name: 'open-first-byte',
    async setup() {
      conn = await ctx.dial(ctx.auto, ctx.ready.autoPort)
    },
    async run(warm) {
      const start = performance.now()
      while (performance.now() - start < RUN_MS) {
        const msg = Buffer.allocUnsafe(9)
        msg[0] = MODE_FIRST_BYTE
        msg.writeBigUInt64BE(process.hrtime.bigint(), 1)
        const s = await conn.openBidi()
        await s.end(msg)
        const reply = await new FrameReader(s[Symbol.asyncIterator]()).readToEnd()
        if (reply.length !== 8) throw new Error(`first-byte reply of ${reply.length} bytes`)
        if (!warm) us.push(Buffer.from(reply).readDoubleBE(0) / 1000)
      }
    },
    report() {
      emit('stream.open-first-byte.p50', percentile(us, 0.5), 'us')
      emit('stream.open-first-byte.p99', percentile(us, 0.99), 'us')
    },
  }
}

/** Fresh connections without a ticket: until `connect` resolves, and until the first reply on a stream. */
function handshake(ctx: Ctx): Case {
  let client: QuicEndpoint
  const connectMs: number[] = []
  const replyMs: number[] = []
  let opened = 0
  return {
    name: 'handshake',
    async setup() {
      client = await createEndpoint({ tls: { pinSha256: [ctx.ready.sha256] } })
      cleanups.push(() => client.close({ timeoutMs: 500 }))
    },
    async run(warm) {
      const start = performance.now()
      for (let seq = 0; seq < MAX_RECONNECTS && performance.now() - start < RUN_MS; seq++) {
        const t0 = performance.now()
        const conn = await ctx.dial(client, ctx.ready.autoPort, false)
        opened++
        const t1 = performance.now()
        await requestOnNewStream(conn, seq)
        const t2 = performance.now()
        if (conn.resumed) throw new Error('a connection without ticket was resumed')
        await conn.close()
        if (warm) continue
        connectMs.push(t1 - t0)
        replyMs.push(t2 - t0)
      }
    },
    async report() {
      emit('handshake.connect.p50', percentile(connectMs, 0.5), 'ms')
      emit('handshake.first-reply.p50', percentile(replyMs, 0.5), 'ms')
      emit('handshake.unclosed', await unclosed(client, opened), '%')
    },
  }
}

/**
 * Connections a case closed that its endpoint still holds 200 ms later (they should have drained by then), as a
 * percentage of those it opened.
 */
async function unclosed(client: QuicEndpoint, opened: number): Promise<number> {
  await sleep(200)
  return (client.connections.size * 100) / Math.max(1, opened)
}

/**
 * Reconnects that resume with a ticket and send the request as 0-RTT data: until the first reply. The connections
 * stay open until the report (at most {@link MAX_RECONNECTS} per run, well under the server's 1,000 per address).
 */
function zeroRtt(ctx: Ctx): Case {
  let client: QuicEndpoint
  const replyMs: number[] = []
  let early = 0
  let total = 0
  let opened = 0
  const held: QuicConnection[] = []
  return {
    name: 'zero-rtt',
    async setup() {
      client = await createEndpoint({ tls: { pinSha256: [ctx.ready.sha256] } })
      cleanups.push(() => client.close({ timeoutMs: 500 }))
      // A first full handshake leaves a session ticket in the client endpoint.
      const conn = await ctx.dial(client, ctx.ready.autoPort)
      await requestOnNewStream(conn, 0)
      await sleep(20)
      await conn.close()
    },
    async run(warm) {
      const start = performance.now()
      for (let seq = 0; seq < MAX_RECONNECTS && performance.now() - start < RUN_MS; seq++) {
        const t0 = performance.now()
        const conn = await ctx.dial(client, ctx.ready.autoPort, true)
        opened++
        await requestOnNewStream(conn, seq)
        const t1 = performance.now()
        // Closed at the end, not now: the reply can arrive before the server confirmed the handshake, and closing
        // a resumed client connection in that window leaves it half-open on both sides, or makes the engine emit
        // CONNECTION_CLOSE packets forever, blocking the event loop (a transport bug, reported to the driver).
        held.push(conn)
        if (warm) continue
        replyMs.push(t1 - t0)
        total++
        if (conn.earlyData) early++
      }
    },
    async report() {
      emit('zero-rtt.first-reply.p50', percentile(replyMs, 0.5), 'ms')
      emit('zero-rtt.accepted', (early * 100) / Math.max(1, total), '%')
      await Promise.all(held.map((c) => c.close()))
      emit('zero-rtt.unclosed', await unclosed(client, opened), '%')
    },
  }
}

/** Client-to-server bytes on `streams` streams; each run is sized from the warm-up to take about 300 ms. */
function bulk(ctx: Ctx, metric: string, payload: 'auto' | 'small', streams: number): Case {
  let conn: QuicConnection
  let bytes = 16 * MiB
  const rates: number[] = []
  return {
    name: metric,
    async setup() {
      conn =
        payload === 'auto'
          ? await ctx.dial(ctx.auto, ctx.ready.autoPort)
          : await ctx.dial(ctx.small, ctx.ready.smallPort)
    },
    async run(warm) {
      const per = Math.floor(bytes / streams)
      const chunk = randomBytes(Math.min(256 * 1024, per))
      const start = performance.now()
      await Promise.all(
        Array.from({ length: streams }, async () => {
          const s = await conn.openBidi()
          const reader = new FrameReader(s[Symbol.asyncIterator]())
          await s.write(Uint8Array.of(MODE_SINK))
          for (let sent = 0; sent < per; sent += chunk.length) {
            await s.write(sent + chunk.length <= per ? chunk : chunk.subarray(0, per - sent))
          }
          await s.end()
          const reply = Buffer.from(await reader.readToEnd())
          if (reply.length !== 8 || reply.readDoubleBE(0) !== per) throw new Error(`server counted ${reply} bytes`)
        }),
      )
      const rate = (per * streams) / (performance.now() - start) / 1000
      if (warm) bytes = Math.min(256 * MiB, Math.max(8 * MiB, rate * 1e6 * 0.3))
      else rates.push(rate)
    },
    report() {
      emit(metric, median(rates), 'MB/s')
    },
  }
}

/**
 * Resident memory of 1,000 idle connections, on both sides: RSS after a full GC, before and after dialing them.
 * Runs first, before the other cases have grown the heaps, and after a few connections warmed the code paths.
 */
async function idleMemory(ctx: Ctx): Promise<void> {
  const client = await createEndpoint({ tls: { pinSha256: [ctx.ready.sha256] } })
  cleanups.push(() => client.close({ timeoutMs: 2_000 }))
  const dialMany = async (n: number, concurrency: number): Promise<QuicConnection[]> => {
    const conns: QuicConnection[] = []
    for (let i = 0; i < n; i += concurrency) {
      const batch = Math.min(concurrency, n - i)
      conns.push(...(await Promise.all(Array.from({ length: batch }, () => ctx.dial(client, ctx.ready.idlePort)))))
    }
    return conns
  }
  const warm = await dialMany(20, 10)
  await Promise.all(warm.map((c) => c.close()))
  // The baseline is taken once the warm-up connections are gone on both sides (or after 5 s).
  const drainStart = performance.now()
  while (performance.now() - drainStart < 5_000) {
    if (client.connections.size === 0 && (await serverMemory()).connections === 0) break
    await sleep(50)
  }
  gc()
  const clientBefore = process.memoryUsage()
  const serverBefore = await serverMemory()
  const dialStart = performance.now()
  const conns = await dialMany(IDLE_CONNECTIONS, 25)
  const dialed = performance.now()
  // A client's connect resolves before the server has read the client's last handshake flight: let it catch up.
  let serverAfter = await serverMemory()
  while (serverAfter.accepted - serverBefore.accepted < IDLE_CONNECTIONS && performance.now() - dialed < 10_000) {
    await sleep(100)
    serverAfter = await serverMemory()
  }
  const caughtUp = performance.now()
  await sleep(200)
  gc()
  const clientAfter = process.memoryUsage()
  serverAfter = await serverMemory()
  if (serverAfter.connections < IDLE_CONNECTIONS) {
    const closed = JSON.stringify(serverAfter.closeReasons)
    throw new Error(`server holds ${serverAfter.connections} of ${IDLE_CONNECTIONS} connections; closes: ${closed}`)
  }
  if (conns.some((c) => !c.isOpen)) throw new Error('an idle connection closed')
  emit('idle.dial-1000', dialed - dialStart, 'ms')
  emit('idle.server-lag', caughtUp - dialed, 'ms')
  const perConn = (a: number, b: number) => (a - b) / IDLE_CONNECTIONS / 1024
  emit('rss.idle-conn.server', perConn(serverAfter.rss, serverBefore.rss), 'KiB')
  emit('rss.idle-conn.client', perConn(clientAfter.rss, clientBefore.rss), 'KiB')
  emit('heap.idle-conn.server', perConn(serverAfter.heapUsed, serverBefore.heapUsed), 'KiB')
  emit('heap.idle-conn.client', perConn(clientAfter.heapUsed, clientBefore.heapUsed), 'KiB')
  await client.close({ timeoutMs: 2_000 })
  await sleep(200)
}

// ---- main ----

const cleanups: (() => Promise<void>)[] = []

async function main(): Promise<void> {
  emit('load.1m.start', loadavg()[0]!, 'load')
  const ready = await startServer()
  const tls = { pinSha256: [ready.sha256] }
  const auto = await createEndpoint({ tls })
  const small = await createEndpoint({ tls, maxUdpPayload: 1350 } satisfies EndpointOptions)
  cleanups.push(
    () => auto.close({ timeoutMs: 500 }),
    () => small.close({ timeoutMs: 500 }),
  )
  const ctx: Ctx = {
    ready,
    auto,
    small,
    dial: (endpoint, port, earlyData) =>
      endpoint.connect({ host: '127.0.0.1', port, ...(earlyData === undefined ? {} : { earlyData }) }),
  }

  if (selected('rss')) await withTimeout(idleMemory(ctx), 30_000, 'idle memory').catch((e) => fail('rss', e))

  const cases = [
    udpBaseline(ctx),
    sequential(ctx),
    inflight(ctx, 'streams'),
    inflight(ctx, 'pipelined'),
    streamPerRequest(ctx, 1),
    streamPerRequest(ctx, 64),
    openFirstByte(ctx),
    handshake(ctx),
    zeroRtt(ctx),
    bulk(ctx, 'bulk.1350', 'small', 1),
    bulk(ctx, 'bulk.auto', 'auto', 1),
    bulk(ctx, 'bulk.100streams', 'auto', 100),
  ].filter((c) => selected(c.name))

  const attempt = async (c: Case, what: string, p: () => Promise<void>) => {
    if (c.failed) return
    try {
      await withTimeout(p(), RUN_TIMEOUT_MS, `${c.name} ${what}`)
    } catch (e) {
      c.failed = e
      fail(c.name, e)
    }
  }
  for (const c of cases) {
    await attempt(c, 'setup', () => c.setup())
    await attempt(c, 'warm-up', () => c.run(true))
  }
  // Runs are interleaved across cases so that load from other processes spreads evenly over them.
  for (let r = 0; r < RUNS; r++) for (const c of cases) await attempt(c, `run ${r + 1}`, () => c.run(false))
  for (const c of cases) if (!c.failed) await attempt(c, 'report', async () => c.report())
  emit('load.1m.end', loadavg()[0]!, 'load')
}

// The watchdog lives on its own thread, so it also fires when the main thread is stuck (a synchronous loop, or a heap
// near its limit that spends all its time in GC). Killing this process closes the IPC channel, which ends the server.
const watchdog = new Worker(
  `const { workerData } = require('node:worker_threads')
  const { writeSync } = require('node:fs')
  setTimeout(() => {
    writeSync(2, workerData.message)
    process.kill(workerData.pid, 'SIGKILL')
  }, workerData.ms)`,
  {
    eval: true,
    workerData: {
      pid: process.pid,
      ms: WATCHDOG_MS,
      message: `${BENCH}: still running after ${WATCHDOG_MS} ms, killed\n`,
    },
  },
)
watchdog.unref()

main()
  .catch((e: unknown) => fail('setup', e))
  .finally(async () => {
    await Promise.allSettled(cleanups.map((c) => withTimeout(c(), 3_000, 'endpoint close')))
    await stopServer()
    process.exit(process.exitCode ?? 0)
  })
