// NATS: Debian's nats-server, started by the server process on 127.0.0.1 (a port it picks itself), with the `nats`
// client: request() against a responder, publish to one subscriber (one-way, bulk) and to ten subscriber
// connections (fan-out). The server process holds the responder and the subscribers; nats-server's CPU counts as
// the benchmark's own, and the idle-connection memory is nats-server's.
import { type ChildProcess, spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { connect, type NatsConnection } from 'nats'
import { withTimeout } from '../../lib/bench-kit.js'
import { bulkChunk, checkReply, payload } from '../framing.js'
import type { Requester, Sender, ServerContext, ServerLink, SystemClient, SystemModule } from '../system.js'
import { packageVersion } from '../versions.js'
import { FANOUT, HOST } from '../wire.js'
import { natsServerPath } from './nats-server-path.js'

const ECHO = 'peers.echo'
const ONEWAY = 'peers.oneway'
const BULK = 'peers.bulk'
const FAN = 'peers.fanout'
/** Publishes between flushes: the client buffers publishes until a flush or its own buffer fills. */
const FLUSH_EVERY = 1_000

async function startNatsServer(): Promise<{ child: ChildProcess; port: number }> {
  const bin = natsServerPath() ?? 'nats-server'
  // Port -1: nats-server picks a free port and logs it, so no port is guessed.
  const child = spawn(bin, ['-a', HOST, '-p', '-1'], { stdio: ['ignore', 'ignore', 'pipe'] })
  const lines = createInterface({ input: child.stderr! })
  const port = await withTimeout(
    new Promise<number>((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`nats-server exited (${code})`)))
      lines.on('line', (line) => {
        const m = line.match(/Listening for client connections on [\d.]+:(\d+)/)
        if (m) resolve(Number(m[1]))
      })
    }),
    10_000,
    'starting nats-server',
  )
  return { child, port }
}

async function startServer(ctx: ServerContext) {
  const { child, port } = await startNatsServer()
  const servers = `${HOST}:${port}`
  const conns: NatsConnection[] = []
  const open = async () => {
    const nc = await connect({ servers })
    conns.push(nc)
    return nc
  }
  const responder = await open()
  responder.subscribe(ECHO, { callback: (_, m) => m.respond(m.data) })
  const sink = await open()
  sink.subscribe(ONEWAY, { callback: () => ctx.count('msgs') })
  sink.subscribe(BULK, { callback: (_, m) => ctx.count('bytes', m.data.length) })
  for (let i = 0; i < FANOUT; i++) (await open()).subscribe(FAN, { callback: () => ctx.count('deliveries') })
  await Promise.all(conns.map((nc) => nc.flush()))
  return {
    info: { servers },
    pids: child.pid === undefined ? [] : [child.pid],
    ...(child.pid === undefined ? {} : { memoryPid: child.pid }),
    async stop() {
      await Promise.allSettled(conns.map((nc) => nc.close()))
      child.kill('SIGTERM')
    },
  }
}

function requester(nc: NatsConnection): Requester {
  return {
    async request(seq) {
      checkReply((await nc.request(ECHO, payload(seq), { timeout: 10_000 })).data, seq)
    },
    async close() {},
  }
}

/** Publishes to `subject`, flushing every `every` messages (the flush is the backpressure). */
function publisher(nc: NatsConnection, subject: string, data: (seq: number) => Uint8Array, every: number) {
  let n = 0
  return (seq: number) => {
    nc.publish(subject, data(seq))
    return ++n % every === 0 ? nc.flush() : undefined
  }
}

async function startClient(server: ServerLink): Promise<SystemClient> {
  const servers = String(server.info.servers)
  const nc = await connect({ servers })
  // Slow consumers may be cut off by nats-server (at most once), so what arrived is what counts.
  const sender = (subject: string, perSend = 1): Sender => ({
    senders: 1,
    perSend,
    lossy: true,
    send: publisher(nc, subject, payload, FLUSH_EVERY),
    flush: () => nc.flush(),
    async close() {},
  })
  return {
    seq: async () => requester(nc),
    inflight: async () => requester(nc),
    oneway: async () => sender(ONEWAY),
    fanout: async () => sender(FAN, FANOUT),
    async bulk() {
      const publish = publisher(nc, BULK, () => bulkChunk, 16)
      return { chunkSize: bulkChunk.length, lossy: true, write: () => publish(0), end: () => nc.flush() }
    },
    async connect(timer) {
      timer.start()
      const c = await connect({ servers })
      await requester(c).request(0)
      return { close: () => c.close() }
    },
    versions: () => ({ nats: packageVersion('nats') }),
    close: () => nc.close(),
  }
}

/** NATS through nats-server. */
export const system: SystemModule = { startServer, startClient }
