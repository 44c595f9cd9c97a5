import { randomBytes } from 'node:crypto'
import { createEndpoint, type QuicConnection } from '@quic-multistream/transport'
import { anyAddressFor, parseHostPort, showAddress } from '../address.js'
import { type Command, numberFlag, requireTarget } from '../command.js'
import { withDeadline } from '../deadline.js'
import { drain, echoRoundTrip } from '../echo.js'
import { ExitCode } from '../exit-codes.js'
import { type LatencySummary, mbPerSecond, ms, summarize } from '../format.js'
import { println } from '../io.js'
import { ProgressBar } from '../progress.js'
import { CLIENT_TLS_FLAGS, clientTls } from '../tls.js'

const BULK_CHUNK = 64 * 1024
const REDRAW_MS = 200

/** What `qms bench` measured (`--json` prints this). */
export interface BenchResult {
  target: string
  handshakeMs: number
  requests: { count: number; seconds: number; perSecond: number; size: number; concurrency: number } & LatencySummary
  bulk: { bytes: number; seconds: number; mbPerSecond: number }
}

/** `qms bench`: request/response rate and latency, then bulk throughput, against `qms serve`. */
export const benchCommand: Command = {
  name: 'bench',
  args: '<host:port>',
  summary: 'Quick throughput and latency against `qms serve`: request/response on streams, then bulk MB/s.',
  details:
    'Phase 1 runs --concurrency loops, each sending --size bytes on a new stream and waiting for the echo. Phase 2\n' +
    'writes 64 KiB chunks on one stream while reading the echo back. Each phase lasts --seconds. A progress bar\n' +
    'shows on a terminal; with --json or when piped only the results are printed.',
  flags: {
    ...CLIENT_TLS_FLAGS,
    seconds: { type: 'string', short: 's', value: '<s>', default: '3', description: 'duration of each phase' },
    size: { type: 'string', value: '<bytes>', default: '1024', description: 'request and reply size' },
    concurrency: { type: 'string', short: 'c', value: '<n>', default: '16', description: 'requests in flight' },
    timeout: { type: 'string', value: '<ms>', default: '5000', description: 'handshake and reply deadline' },
    json: { type: 'boolean', description: 'print the result as JSON' },
  },
  examples: ['qms bench 127.0.0.1:4433 --pin 3a:1f:...:9c --seconds 5 --concurrency 64'],
  async run({ positionals, flags, io }) {
    const target = parseHostPort(requireTarget(positionals))
    const tls = clientTls(flags)
    const seconds = numberFlag(flags, 'seconds', 0.1, 3_600, false)
    const size = numberFlag(flags, 'size', 1, 16 << 20)
    const concurrency = numberFlag(flags, 'concurrency', 1, 10_000)
    const timeoutMs = numberFlag(flags, 'timeout', 1, 600_000)
    const bar = new ProgressBar(flags.json === true ? { write: () => true } : io.stderr)
    const endpoint = await createEndpoint({ host: anyAddressFor(target.host), tls })
    try {
      const started = performance.now()
      const conn = await endpoint.connect({ ...target, timeoutMs })
      const handshakeMs = performance.now() - started
      const stopped = () => io.signal?.aborted === true
      const requests = await requestPhase(conn, { seconds, size, concurrency, timeoutMs, bar, stopped })
      const bulk = await bulkPhase(conn, { seconds, timeoutMs, bar, stopped })
      bar.clear()
      await conn.close(0, 'bench done')
      const result: BenchResult = { target: showAddress(target), handshakeMs, requests, bulk }
      println(io.stdout, flags.json === true ? JSON.stringify(result) : report(result))
      return ExitCode.OK
    } finally {
      bar.clear()
      await endpoint.close({ timeoutMs: 500 })
    }
  },
}

interface PhaseOptions {
  seconds: number
  timeoutMs: number
  bar: ProgressBar
  stopped(): boolean
}

/** Redraws the bar every {@link REDRAW_MS} until the returned function is called. */
function animate(bar: ProgressBar, label: string, seconds: number, status: (elapsed: number) => string): () => void {
  const started = performance.now()
  const draw = () => {
    const elapsed = (performance.now() - started) / 1000
    bar.update(label, elapsed / seconds, status(elapsed))
  }
  const timer = setInterval(draw, REDRAW_MS)
  draw()
  return () => clearInterval(timer)
}

async function requestPhase(
  conn: QuicConnection,
  o: PhaseOptions & { size: number; concurrency: number },
): Promise<BenchResult['requests']> {
  const payload = randomBytes(o.size)
  const latencies: number[] = []
  const started = performance.now()
  const until = started + o.seconds * 1000
  const stopAnimation = animate(o.bar, 'requests', o.seconds, (t) => `${Math.round(latencies.length / t)} req/s`)
  try {
    await Promise.all(
      Array.from({ length: o.concurrency }, async () => {
        while (performance.now() < until && !o.stopped()) {
          latencies.push(await withDeadline(echoRoundTrip(conn, payload), o.timeoutMs, 'an echo'))
        }
      }),
    )
  } finally {
    stopAnimation()
  }
  const seconds = (performance.now() - started) / 1000
  return {
    count: latencies.length,
    seconds,
    perSecond: latencies.length / seconds,
    size: o.size,
    concurrency: o.concurrency,
    ...summarize(latencies),
  }
}

async function bulkPhase(conn: QuicConnection, o: PhaseOptions): Promise<BenchResult['bulk']> {
  const chunk = randomBytes(BULK_CHUNK)
  const stream = await conn.openBidi()
  const started = performance.now()
  const until = started + o.seconds * 1000
  let sent = 0
  const stopAnimation = animate(o.bar, 'bulk', o.seconds, (t) => `${mbPerSecond(sent, t).toFixed(1)} MB/s`)
  try {
    const echoed = withDeadline(drain(stream), o.seconds * 1000 + o.timeoutMs, 'the bulk echo')
    echoed.catch(() => {}) // awaited below; a failure while the writer is busy must not go unhandled
    while (performance.now() < until && !o.stopped()) {
      await stream.write(chunk)
      sent += chunk.length
    }
    await stream.end()
    const bytes = await echoed
    const seconds = (performance.now() - started) / 1000
    return { bytes, seconds, mbPerSecond: mbPerSecond(bytes, seconds) }
  } finally {
    stopAnimation()
  }
}

function report(r: BenchResult): string {
  const q = r.requests
  const n = (x: number) => Math.round(x).toLocaleString('en-US')
  return [
    `qms bench ${r.target}: handshake ${ms(r.handshakeMs)}`,
    `requests  ${n(q.perSecond)} req/s (${n(q.count)} in ${q.seconds.toFixed(2)} s, ${q.size} B each way, ${q.concurrency} in flight)`,
    `latency   min ${ms(q.minMs)}  p50 ${ms(q.p50Ms)}  p99 ${ms(q.p99Ms)}  max ${ms(q.maxMs)}`,
    `bulk      ${r.bulk.mbPerSecond.toFixed(1)} MB/s echoed (${(r.bulk.bytes / 1e6).toFixed(1)} MB in ${r.bulk.seconds.toFixed(2)} s, one stream)`,
  ].join('\n')
}
