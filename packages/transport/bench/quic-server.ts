// Server process of quic.bench.ts (forked by it, never run by the bench runner): three QUIC endpoints that serve
// every stream according to its first byte (see quic-wire.ts), and answer memory queries over the IPC channel.
// Exits when told to, when its parent goes away, or after a hard deadline, so a broken run never leaves it behind.

import { createSocket } from 'node:dgram'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import {
  createEndpoint,
  type EndpointOptions,
  generateDevCertificate,
  type QuicConnection,
  type QuicEndpoint,
  type QuicStream,
} from '../src/index.js'
import {
  FrameSplitter,
  MODE_ECHO,
  MODE_FIRST_BYTE,
  MODE_SINK,
  type ServerCommand,
  type ServerMessage,
} from './quic-wire.js'

/** Longer than the bench's own watchdog: normally the bench ends first and this process follows its parent. */
const HARD_DEADLINE_MS = 100_000

setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void

function send(m: ServerMessage): void {
  process.send?.(m)
}

function ignore(): void {
  // The client may close a connection while its streams still have bytes in flight (teardown): nothing to do.
}

function float64(v: number): Buffer {
  const b = Buffer.allocUnsafe(8)
  b.writeDoubleBE(v)
  return b
}

async function echo(stream: QuicStream, it: AsyncIterator<Uint8Array>, first: Uint8Array): Promise<void> {
  const splitter = new FrameSplitter()
  let chunk = first
  for (;;) {
    if (chunk.length > 0) {
      const frames = splitter.push(chunk)
      if (frames) await stream.write(frames)
    }
    const r = await it.next()
    if (r.done) break
    chunk = r.value
  }
  await stream.end()
}

async function sink(stream: QuicStream, it: AsyncIterator<Uint8Array>, first: Uint8Array): Promise<void> {
  let n = first.length
  for (;;) {
    const r = await it.next()
    if (r.done) break
    n += r.value.length
  }
  await stream.end(float64(n))
}

async function firstByte(stream: QuicStream, it: AsyncIterator<Uint8Array>, first: Uint8Array): Promise<void> {
  const arrived = process.hrtime.bigint()
  let head = Buffer.from(first)
  while (head.length < 8) {
    const r = await it.next()
    if (r.done) throw new Error('first-byte stream ended before its timestamp')
    head = Buffer.concat([head, r.value])
  }
  const sent = head.readBigUInt64BE(0)
  await stream.write(float64(Number(arrived - sent)))
  for (;;) if ((await it.next()).done) break
  await stream.end()
}

async function serveStream(stream: QuicStream): Promise<void> {
  const it = stream[Symbol.asyncIterator]()
  const r = await it.next()
  if (r.done) return void (await stream.end())
  const mode = r.value[0]
  const rest = r.value.subarray(1)
  if (mode === MODE_ECHO) return echo(stream, it, rest)
  if (mode === MODE_SINK) return sink(stream, it, rest)
  if (mode === MODE_FIRST_BYTE) return firstByte(stream, it, rest)
  stream.reset(1)
}

/** How connections ended, by reason, so a bench that finds connections missing can say why. */
const closeReasons: Record<string, number> = {}

async function serveConnection(conn: QuicConnection): Promise<void> {
  void conn.closed.then((info) => {
    const why = `${info.remote ? 'peer' : 'local'} ${info.code} ${info.error?.message ?? info.reason}`
    closeReasons[why] = (closeReasons[why] ?? 0) + 1
  })
  for await (const stream of conn.incomingStreams) serveStream(stream).catch(ignore)
}

async function accept(endpoint: QuicEndpoint): Promise<void> {
  for await (const conn of endpoint.incomingConnections) serveConnection(conn).catch(ignore)
}

const endpoints: QuicEndpoint[] = []

/** A plain UDP echo socket: the floor that QUIC figures are compared with. */
async function udpEcho(): Promise<number> {
  const socket = createSocket('udp4')
  socket.on('message', (msg, from) => socket.send(msg, from.port, from.address))
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve))
  return socket.address().port
}

async function shutdown(code: number): Promise<never> {
  const deadline = setTimeout(() => process.exit(code), 2_000)
  deadline.unref()
  await Promise.allSettled(endpoints.map((e) => e.close({ timeoutMs: 500 })))
  process.exit(code)
}

async function main(): Promise<void> {
  setTimeout(() => {
    console.error('quic-server: hard deadline reached, exiting')
    process.exit(2)
  }, HARD_DEADLINE_MS).unref()
  process.on('disconnect', () => void shutdown(0))
  process.on('message', (m: ServerCommand) => {
    if (m.type === 'exit') void shutdown(0)
    else if (m.type === 'memory') {
      gc()
      const mem = process.memoryUsage()
      const accepted = endpoints.reduce((n, e) => n + e.stats().connectionsAccepted, 0)
      const connections = endpoints.reduce((n, e) => n + e.connections.size, 0)
      send({ type: 'memory', rss: mem.rss, heapUsed: mem.heapUsed, accepted, connections, closeReasons })
    }
  })

  const cert = await generateDevCertificate()
  const make = async (o: EndpointOptions) => {
    const e = await createEndpoint({ ...o, tls: { cert: cert.cert, key: cert.key } })
    endpoints.push(e)
    accept(e).catch(ignore)
    return e.address.port
  }
  const autoPort = await make({})
  const smallPort = await make({ maxUdpPayload: 1350 })
  const idlePort = await make({ maxConnections: 5_000, maxConnectionsPerIp: 5_000 })
  send({ type: 'ready', sha256: cert.sha256, autoPort, smallPort, idlePort, udpEchoPort: await udpEcho() })
}

main().catch((e: unknown) => {
  console.error('quic-server failed:', e)
  process.exit(1)
})
