/**
 * Many streams on one QUIC connection: opens `--streams` (default 1,000) bidirectional streams at once, sends a
 * distinct payload on each, and checks every echo byte for byte. Prints streams/s, per-stream latency and the
 * stream and connection counters.
 *
 *   npm start -- [--streams 1000] [--size 4096]                  # against an in-process echo server
 *   npm start -- --addr 127.0.0.1:4433 --pin <sha256>            # against examples/echo/server.ts
 *
 * Exit codes: 0 every reply byte-exact, 1 otherwise (or the connection failed), 2 bad arguments; with --addr, 3 and 4
 * as the echo client (unreachable, TLS failure).
 */
import { randomBytes } from 'node:crypto'
import { parseArgs } from 'node:util'
import {
  bytes,
  count,
  exitCodeFor,
  formatAddress,
  keyValues,
  millis,
  parseAddress,
  parseInteger,
  quantile,
  readAll,
  serveEcho,
  wildcardFor,
} from '@quic-multistream/example-echo'
import {
  createEndpoint,
  generateDevCertificate,
  normalizePin,
  QmsError,
  type QuicConnection,
  type QuicEndpoint,
  type SocketAddress,
  type StreamStats,
  type TlsOptions,
} from '@quic-multistream/transport'

const MIN_SIZE = 16

interface Options {
  streams: number
  size: number
  remote?: { address: SocketAddress; tls: TlsOptions }
}

interface StreamResult {
  exact: boolean
  latencyMs: number
  stats: StreamStats
}

function parseOptions(): Options {
  const { values } = parseArgs({
    options: {
      streams: { type: 'string', default: '1000' },
      size: { type: 'string', default: '4096' },
      addr: { type: 'string' },
      pin: { type: 'string' },
      insecure: { type: 'boolean', default: false },
    },
  })
  const options: Options = {
    streams: parseInteger(values.streams, 'streams', 1, 100_000),
    size: parseInteger(values.size, 'size', MIN_SIZE, 1 << 20),
  }
  if (values.addr === undefined) return options
  if ((values.pin === undefined) === !values.insecure) {
    throw new QmsError('ERR_INVALID_ARGUMENT', 'with --addr, give either --pin <sha256> or --insecure')
  }
  const tls = values.pin === undefined ? { insecure: true } : { pinSha256: [normalizePin(values.pin)] }
  return { ...options, remote: { address: parseAddress(values.addr), tls } }
}

/** Payload sizes spread over [MIN_SIZE, max]; the index in the first 4 bytes makes every payload distinct. */
function payloadFor(index: number, max: number): Buffer {
  const payload = randomBytes(MIN_SIZE + ((index * 7_919) % (max - MIN_SIZE + 1)))
  payload.writeUInt32BE(index, 0)
  return payload
}

/** Where to connect: the given server, or an echo server started here on a loopback port. */
async function target(options: Options): Promise<{ address: SocketAddress; tls: TlsOptions; server?: QuicEndpoint }> {
  if (options.remote !== undefined) return options.remote
  const cert = await generateDevCertificate()
  const server = await createEndpoint({ tls: { cert: cert.cert, key: cert.key } })
  serveEcho(server)
  return { address: server.address, tls: { pinSha256: [cert.sha256] }, server }
}

async function run(options: Options): Promise<number> {
  const { address, tls, server } = await target(options)
  const client = await createEndpoint({ host: wildcardFor(address.host), tls })
  try {
    const conn = await client.connect(address)
    const where = server === undefined ? '' : ' (in-process echo server)'
    console.log(`connected to ${formatAddress(conn.remoteAddress)}${where}, alpn ${conn.alpn}`)
    const payloads = Array.from({ length: options.streams }, (_, i) => payloadFor(i, options.size))
    const total = payloads.reduce((sum, p) => sum + p.length, 0)
    console.log(
      `opening ${count(options.streams)} bidirectional streams at once: ${bytes(total)} of distinct payloads ` +
        `(${MIN_SIZE}-${count(options.size)} bytes each)\n`,
    )
    return await exchange(conn, payloads, total)
  } finally {
    await client.close()
    await server?.close()
  }
}

async function exchange(conn: QuicConnection, payloads: readonly Buffer[], total: number): Promise<number> {
  let open = 0
  let peakOpen = 0
  const started = performance.now()
  const results = await Promise.all(
    payloads.map(async (payload): Promise<StreamResult> => {
      const streamStarted = performance.now()
      const stream = await conn.openBidi()
      peakOpen = Math.max(peakOpen, ++open)
      await stream.end(payload)
      const reply = await readAll(stream)
      open--
      const latencyMs = performance.now() - streamStarted
      await stream.closed
      return { exact: reply.equals(payload), latencyMs, stats: stream.stats() }
    }),
  )
  const elapsedMs = performance.now() - started
  const exact = results.filter((r) => r.exact).length
  const latencies = results.map((r) => r.latencyMs).sort((a, b) => a - b)
  const sum = (field: keyof StreamStats) => count(results.reduce((acc, r) => acc + r.stats[field], 0))
  const cs = conn.stats()
  console.log(
    keyValues([
      ['verified', `${count(exact)} of ${count(results.length)} replies byte-exact`],
      ['elapsed', `${millis(elapsedMs, 1)} ms`],
      ['streams/s', count(Math.round(results.length / (elapsedMs / 1_000)))],
      [
        'echoed',
        `${bytes(total)} each way, ${((2 * total) / (elapsedMs / 1_000) / 2 ** 20).toFixed(1)} MiB/s both ways`,
      ],
      ['peak open', `${count(peakOpen)} streams at once`],
      [
        'latency ms',
        ['p50', 'p90', 'p99']
          .map((p) => `${p} ${millis(quantile(latencies, Number(p.slice(1)) / 100), 1)}`)
          .join('   ') + `   max ${millis(latencies.at(-1)!, 1)}   (open to last reply byte)`,
      ],
      [
        'stream stats',
        `bytesWritten ${sum('bytesWritten')}   bytesRead ${sum('bytesRead')}   bytesBuffered ${sum('bytesBuffered')}   (summed)`,
      ],
      [
        'connection',
        `streamsOpened ${count(cs.streamsOpened)}   streamsClosed ${count(cs.streamsClosed)}   rtt ${cs.rttMs} ms`,
      ],
      [
        'packets',
        `sent ${count(cs.packetsSent)}   received ${count(cs.packetsReceived)}   lost ${count(cs.packetsLost)}   ` +
          `bytes sent ${count(cs.bytesSent)}   received ${count(cs.bytesReceived)}`,
      ],
    ]),
  )
  await conn.close(0, 'done')
  const ok = exact === results.length
  console.log(ok ? '\nok: every stream echoed its own payload' : `\nFAILED: ${results.length - exact} replies differ`)
  return ok ? 0 : 1
}

try {
  process.exitCode = await run(parseOptions())
} catch (e) {
  process.exitCode = exitCodeFor(e)
  console.error(`multistream: ${(e as Error).message}`)
}
