// Raw node:net TCP with 4-byte length frames and Nagle off: the floor under any protocol built on Node's TCP.
// Every connection starts with a mode byte (framing.ts); fan-out is ten connections written to one after another.
import { once } from 'node:events'
import * as net from 'node:net'
import {
  bulkChunk,
  FrameSplitter,
  framedPayload,
  MODE,
  matchingRequester,
  ReplyMatcher,
  rawServerSide,
} from '../framing.js'
import type { Connection, Requester, Sender, ServerLink, SystemClient, SystemModule } from '../system.js'
import { FANOUT, HOST } from '../wire.js'

async function dial(port: number, mode: number): Promise<net.Socket> {
  const s = net.connect(port, HOST)
  s.setNoDelay(true)
  await once(s, 'connect')
  s.write(Uint8Array.of(mode))
  return s
}

/** Resolves when `s` has room again, or undefined at once when it has. */
function backpressure(s: net.Socket, accepted: boolean): Promise<void> | undefined {
  return accepted ? undefined : (once(s, 'drain') as Promise<unknown> as Promise<void>)
}

async function requester(port: number): Promise<Requester> {
  const s = await dial(port, MODE.echo)
  const matcher = new ReplyMatcher()
  const splitter = new FrameSplitter()
  s.on('data', (d: Buffer) => splitter.push(d, (f) => matcher.deliver(f)))
  s.on('error', (e) => matcher.failAll(e))
  return matchingRequester(
    matcher,
    (seq) => s.write(framedPayload(seq)),
    () => s.destroy(),
  )
}

async function fanout(port: number): Promise<Sender> {
  const subs = await Promise.all(Array.from({ length: FANOUT }, () => dial(port, MODE.sub)))
  return {
    perSend: FANOUT,
    send(seq) {
      const msg = framedPayload(seq)
      let full: net.Socket | undefined
      for (const s of subs) if (!s.write(msg)) full = s
      return full && backpressure(full, false)
    },
    async close() {
      for (const s of subs) s.destroy()
    },
  }
}

async function startClient(server: ServerLink): Promise<SystemClient> {
  const port = Number(server.info.port)
  return {
    seq: () => requester(port),
    inflight: () => requester(port),
    async oneway() {
      const s = await dial(port, MODE.sink)
      return { send: (seq) => backpressure(s, s.write(framedPayload(seq))), close: async () => void s.destroy() }
    },
    async bulk() {
      const s = await dial(port, MODE.bytes)
      return {
        chunkSize: bulkChunk.length,
        write: () => backpressure(s, s.write(bulkChunk)),
        end: async () => void s.destroy(),
      }
    },
    fanout: () => fanout(port),
    async connect(): Promise<Connection> {
      const r = await requester(port)
      await r.request(0)
      return r
    },
    versions: () => ({ node: process.version }),
    async close() {},
  }
}

/** Raw TCP, the floor. */
export const system: SystemModule = {
  async startServer(ctx) {
    const server = net.createServer((sock) => {
      sock.setNoDelay(true)
      sock.on('error', () => {})
      sock.on(
        'data',
        rawServerSide(ctx, (bytes) => sock.write(bytes)),
      )
    })
    server.listen(0, HOST)
    await once(server, 'listening')
    return {
      info: { port: (server.address() as net.AddressInfo).port },
      async stop() {
        server.close()
      },
    }
  },
  startClient,
}
