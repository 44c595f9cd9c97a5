/**
 * Priorities on the wire: a bulk upload on a BACKGROUND stream is in progress when a small message goes out on a
 * CRITICAL stream of the same QUIC connection. QUIC's scheduler sends the critical bytes ahead of the upload's
 * queued ones (RFC 9218 urgency 0 before 7), so the message arrives long before the upload completes.
 *
 *   npm start -- [--size 16]        # upload size in MiB, 8-32
 *
 * Prints a timeline in milliseconds since the upload started, and exits 0 when the critical message was delivered
 * before the upload finished, 1 otherwise, 2 for bad arguments.
 */
import { randomBytes } from 'node:crypto'
import { parseArgs } from 'node:util'
import { bytes, Columns, count, ExitCode, exitCodeFor, millis, parseInteger } from '@quic-multistream/example-echo'
import { Priority } from '@quic-multistream/protocol'
import {
  createEndpoint,
  type EndpointOptions,
  generateDevCertificate,
  type QuicStream,
} from '@quic-multistream/transport'
import { Arrivals } from './src/arrivals.js'

const MiB = 1024 * 1024
const CHUNK = 64 * 1024
/** The critical message goes out once this share of the upload has arrived: the upload is visibly under way. */
const SEND_CRITICAL_AT = 0.25

/**
 * 1,350-byte packets (instead of 64 KiB ones on loopback) make the upload thousands of packets long, so the
 * scheduler has many chances to choose. Windows larger than the upload keep flow control out of the decision:
 * only priority picks which stream's bytes come next.
 */
const transport = {
  maxUdpPayload: 1350,
  streamWindow: 32 * MiB,
  connectionWindow: 64 * MiB,
} satisfies EndpointOptions

async function upload(stream: QuicStream, data: Buffer): Promise<void> {
  for (let offset = 0; offset < data.length; offset += CHUNK) await stream.write(data.subarray(offset, offset + CHUNK))
  await stream.end()
}

async function run(sizeMiB: number): Promise<number> {
  const cert = await generateDevCertificate()
  const server = await createEndpoint({ ...transport, tls: { cert: cert.cert, key: cert.key } })
  const client = await createEndpoint({ ...transport, tls: { pinSha256: [cert.sha256] } })
  try {
    let started = 0
    const clock = () => performance.now() - started
    const arrivals = new Arrivals(clock)
    void (async () => {
      for await (const conn of server.incomingConnections) arrivals.serve(conn)
    })()
    const conn = await client.connect(server.address)

    const data = randomBytes(sizeMiB * MiB)
    const message = Buffer.from('CRITICAL: stop the line, sensor 7 reads out of range')
    console.log(
      `one QUIC connection, ${count(transport.maxUdpPayload)}-byte packets:\n` +
        `  background  ${bytes(data.length)} upload, priority ${Priority.BACKGROUND} (BACKGROUND)\n` +
        `  critical    ${message.length}-byte message, priority ${Priority.CRITICAL} (CRITICAL), ` +
        `sent once ${SEND_CRITICAL_AT * 100}% of the upload has arrived\n`,
    )
    const table = new Columns([
      { header: 'ms', width: 9 },
      { header: 'event', width: 28, align: 'left' },
      { header: 'upload arrived', width: 14 },
    ])
    console.log(table.header())
    const event = (at: number, what: string, uploadArrived: number) =>
      console.log(table.row(millis(at, 1), what, bytes(uploadArrived)))

    started = performance.now()
    const bulk = await conn.openUni({ priority: Priority.BACKGROUND })
    const uploading = upload(bulk, data)
    event(0, 'background upload started', 0)

    await arrivals.until(() => (arrivals.bytes(bulk.id) >= data.length * SEND_CRITICAL_AT ? true : undefined))
    const sentAt = clock()
    const arrivedAtSend = arrivals.bytes(bulk.id)
    const urgent = await conn.openUni({ priority: Priority.CRITICAL })
    await urgent.end(message)
    event(sentAt, 'critical message sent', arrivedAtSend)

    const deliveredAt = await arrivals.until(() => arrivals.doneAt(urgent.id))
    event(deliveredAt, 'critical message delivered', arrivals.bytes(bulk.id))
    await uploading
    const uploadDoneAt = await arrivals.until(() => arrivals.doneAt(bulk.id))
    event(uploadDoneAt, 'background upload done', arrivals.bytes(bulk.id))
    await conn.close(0, 'done')

    const uploadRate = data.length / MiB / (uploadDoneAt / 1_000)
    console.log(`\nupload ${uploadRate.toFixed(1)} MiB/s; critical message ${message.length} bytes`)
    if (arrivedAtSend >= data.length) {
      console.log('INCONCLUSIVE: the upload had fully arrived before the critical message was sent')
      return ExitCode.FAILED
    }
    if (deliveredAt >= uploadDoneAt) {
      console.log(`FAILED: the critical message arrived ${millis(deliveredAt - uploadDoneAt, 1)} ms after the upload`)
      return ExitCode.FAILED
    }
    console.log(
      `ok: critical overtook the upload, delivered ${millis(deliveredAt - sentAt, 1)} ms after it was sent and ` +
        `${millis(uploadDoneAt - deliveredAt, 1)} ms before the upload finished`,
    )
    return ExitCode.OK
  } finally {
    await client.close()
    await server.close()
  }
}

try {
  const { values } = parseArgs({ options: { size: { type: 'string', default: '16' } } })
  process.exitCode = await run(parseInteger(values.size, 'size', 8, 32))
} catch (e) {
  process.exitCode = exitCodeFor(e)
  console.error(`prioritized-streams: ${(e as Error).message}`)
}
