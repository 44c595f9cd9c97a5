/**
 * A QUIC echo client: sends `--count` messages to an echo server (`server.ts`), each on a stream of its own (or as
 * datagrams with `--datagrams`), checks every reply byte for byte, and prints round-trip times and a summary.
 *
 *   npm run client -- --addr 127.0.0.1:4433 --pin <sha256> [--count 10] [--size 64] [--datagrams] [--timeout 5000]
 *   npm run client -- --addr 127.0.0.1:4433 --insecure     # no certificate check (development only)
 *
 * Exit codes: 0 every message echoed intact, 1 a reply differed or the connection was lost, 2 bad arguments or
 * address, 3 unreachable (no handshake within --timeout) or refused, 4 TLS failure (pin mismatch...).
 * Datagrams may be lost: a lost one is reported, and only a run where none came back counts as a failure.
 */
import { randomBytes } from 'node:crypto'
import { parseArgs } from 'node:util'
import {
  certificateSha256,
  createEndpoint,
  normalizePin,
  QmsError,
  type QuicConnection,
  type SocketAddress,
} from '@quic-multistream/transport'
import {
  Columns,
  count,
  ExitCode,
  exitCodeFor,
  formatAddress,
  keyValues,
  millis,
  parseAddress,
  parseInteger,
  quantile,
  readAll,
  wildcardFor,
} from './src/index.js'

/** How long a datagram's echo may take before it counts as lost. */
const DATAGRAM_LOSS_MS = 1_000

interface ClientOptions {
  address: SocketAddress
  tls: { pinSha256: string[] } | { insecure: true }
  count: number
  size: number
  datagrams: boolean
  timeoutMs: number
}

/** One message's fate: its round-trip time, or why it has none. */
type Outcome = { rttMs: number } | { failure: 'lost' | 'corrupted' }

function parseOptions(): ClientOptions {
  const { values } = parseArgs({
    options: {
      addr: { type: 'string' },
      pin: { type: 'string' },
      insecure: { type: 'boolean', default: false },
      count: { type: 'string', default: '10' },
      size: { type: 'string', default: '64' },
      datagrams: { type: 'boolean', default: false },
      timeout: { type: 'string', default: '5000' },
    },
  })
  if (values.addr === undefined) throw new QmsError('ERR_INVALID_ARGUMENT', 'missing --addr host:port')
  if ((values.pin === undefined) === !values.insecure) {
    throw new QmsError('ERR_INVALID_ARGUMENT', 'give either --pin <sha256> (the server prints it) or --insecure')
  }
  const datagrams = values.datagrams
  return {
    address: parseAddress(values.addr),
    // Normalized up front: a malformed pin is a typo to report as such, not a certificate that fails to match.
    tls: values.pin === undefined ? { insecure: true } : { pinSha256: [normalizePin(values.pin)] },
    count: parseInteger(values.count, 'count', 1, 100_000),
    // Datagram messages carry a 4-byte sequence number.
    size: parseInteger(values.size, 'size', datagrams ? 4 : 1, 1 << 20),
    datagrams,
    timeoutMs: parseInteger(values.timeout, 'timeout', 1, 600_000),
  }
}

async function echoOverStream(conn: QuicConnection, payload: Buffer): Promise<Outcome> {
  const started = performance.now()
  const stream = await conn.openBidi()
  await stream.end(payload)
  const reply = await readAll(stream)
  return reply.equals(payload) ? { rttMs: performance.now() - started } : { failure: 'corrupted' }
}

/** Sends datagrams one at a time, matching echoes to them by the sequence number in their first 4 bytes. */
function datagramEchoer(conn: QuicConnection): (seq: number, payload: Buffer) => Promise<Outcome> {
  const waiting = new Map<number, (reply: Buffer) => void>()
  void (async () => {
    for await (const datagram of conn.incomingDatagrams) {
      const reply = Buffer.from(datagram)
      if (reply.length >= 4) waiting.get(reply.readUInt32BE(0))?.(reply)
    }
  })()
  return (seq, payload) => {
    payload.writeUInt32BE(seq, 0)
    const started = performance.now()
    const outcome = new Promise<Outcome>((resolve) => {
      const timer = setTimeout(() => {
        waiting.delete(seq)
        resolve({ failure: 'lost' })
      }, DATAGRAM_LOSS_MS)
      waiting.set(seq, (reply) => {
        clearTimeout(timer)
        waiting.delete(seq)
        resolve(reply.equals(payload) ? { rttMs: performance.now() - started } : { failure: 'corrupted' })
      })
    })
    conn.sendDatagram(payload)
    return outcome
  }
}

async function run(options: ClientOptions): Promise<number> {
  const endpoint = await createEndpoint({ host: wildcardFor(options.address.host), tls: options.tls })
  try {
    const started = performance.now()
    const conn = await endpoint.connect({ ...options.address, timeoutMs: options.timeoutMs })
    const handshakeMs = performance.now() - started
    const fingerprint = conn.peerCertificate === undefined ? 'none' : certificateSha256(conn.peerCertificate)
    console.log(`connected to ${formatAddress(conn.remoteAddress)} in ${millis(handshakeMs)} ms (alpn ${conn.alpn})`)
    console.log(`server certificate sha256 ${fingerprint}${'insecure' in options.tls ? ' (NOT verified)' : ''}`)
    if (options.datagrams && options.size > conn.maxDatagramSize) {
      throw new QmsError('ERR_INVALID_ARGUMENT', `--size ${options.size} exceeds this connection's datagram limit`, {
        details: { max: conn.maxDatagramSize },
      })
    }

    const via = options.datagrams ? 'datagrams' : 'streams'
    const sendDatagram = options.datagrams ? datagramEchoer(conn) : undefined
    const table = new Columns([
      { header: '#', width: String(options.count).length + 1 },
      { header: 'bytes', width: 7 },
      { header: 'rtt ms', width: 9 },
    ])
    console.log(`\nsending ${count(options.count)} messages of ${count(options.size)} bytes over ${via}`)
    console.log(table.header())
    const outcomes: Outcome[] = []
    for (let i = 1; i <= options.count; i++) {
      const payload = randomBytes(options.size)
      const outcome = sendDatagram ? await sendDatagram(i, payload) : await echoOverStream(conn, payload)
      outcomes.push(outcome)
      console.log(table.row(i, options.size, 'rttMs' in outcome ? millis(outcome.rttMs) : outcome.failure))
    }
    await conn.close(0, 'done')
    return summarize(outcomes, via)
  } finally {
    await endpoint.close()
  }
}

function summarize(outcomes: readonly Outcome[], via: string): number {
  const rtts = outcomes.flatMap((o) => ('rttMs' in o ? [o.rttMs] : [])).sort((a, b) => a - b)
  const lost = outcomes.filter((o) => 'failure' in o && o.failure === 'lost').length
  const corrupted = outcomes.filter((o) => 'failure' in o && o.failure === 'corrupted').length
  const lines: [string, string][] = [
    ['echoed', `${count(rtts.length)} of ${count(outcomes.length)} byte-exact over ${via}`],
  ]
  if (lost > 0) lines.push(['lost', count(lost)])
  if (corrupted > 0) lines.push(['corrupted', count(corrupted)])
  if (rtts.length > 0) {
    const avg = rtts.reduce((a, b) => a + b, 0) / rtts.length
    const stats = [`min ${millis(rtts[0]!)}`, `p50 ${millis(quantile(rtts, 0.5))}`, `avg ${millis(avg)}`]
    lines.push(['rtt ms', [...stats, `max ${millis(rtts.at(-1)!)}`].join('   ')])
  }
  console.log(`\n${keyValues(lines)}`)
  const ok = corrupted === 0 && (via === 'datagrams' ? rtts.length > 0 : lost === 0)
  return ok ? ExitCode.OK : ExitCode.FAILED
}

try {
  process.exitCode = await run(parseOptions())
} catch (e) {
  process.exitCode = exitCodeFor(e)
  const hint =
    process.exitCode === ExitCode.USAGE
      ? '\nusage: client.ts --addr <host:port> (--pin <sha256> | --insecure) [--count n] [--size bytes] [--datagrams] [--timeout ms]'
      : ''
  console.error(`echo client: ${(e as Error).message}${hint}`)
}
