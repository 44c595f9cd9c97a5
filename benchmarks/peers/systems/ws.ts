// `ws` WebSockets (binary messages, no compression; bufferutil masks frames when installed). The URL path says what
// the server does with a connection's messages; replies are matched to requests by number.
import { once } from 'node:events'
import WebSocket, { WebSocketServer } from 'ws'
import { bulkChunk, matchingRequester, payload, ReplyMatcher } from '../framing.js'
import type { Requester, ServerLink, SystemClient, SystemModule } from '../system.js'
import { packageVersion } from '../versions.js'
import { FANOUT, HOST } from '../wire.js'

/** Bytes a client lets `ws` buffer before waiting for them to be written. */
const HIGH_WATER = 1 << 20

async function open(port: number, path: string): Promise<WebSocket> {
  const ws = new WebSocket(`ws://${HOST}:${port}${path}`, { perMessageDeflate: false })
  await once(ws, 'open')
  return ws
}

/** Sends `data`; returns a promise when `ws` buffers more than {@link HIGH_WATER}, resolved once it is written. */
function sendWithBackpressure(ws: WebSocket, data: Buffer): Promise<void> | undefined {
  if (ws.bufferedAmount < HIGH_WATER) {
    ws.send(data)
    return undefined
  }
  return new Promise((resolve, reject) => ws.send(data, (e) => (e ? reject(e) : resolve())))
}

async function requester(port: number): Promise<Requester> {
  const ws = await open(port, '/echo')
  const matcher = new ReplyMatcher()
  ws.on('message', (d: Buffer) => matcher.deliver(d))
  ws.on('close', () => matcher.failAll(new Error('ws closed')))
  return matchingRequester(
    matcher,
    (seq) => ws.send(payload(seq)),
    () => ws.terminate(),
  )
}

async function startClient(server: ServerLink): Promise<SystemClient> {
  const port = Number(server.info.port)
  return {
    seq: () => requester(port),
    inflight: () => requester(port),
    async oneway() {
      const ws = await open(port, '/sink')
      return { send: (seq) => sendWithBackpressure(ws, payload(seq)), close: async () => ws.terminate() }
    },
    async bulk() {
      const ws = await open(port, '/bytes')
      return {
        chunkSize: bulkChunk.length,
        write: () => sendWithBackpressure(ws, bulkChunk),
        end: async () => ws.terminate(),
      }
    },
    async fanout() {
      const subs = await Promise.all(Array.from({ length: FANOUT }, () => open(port, '/sub')))
      return {
        perSend: FANOUT,
        send(seq) {
          const msg = payload(seq)
          let wait: Promise<void> | undefined
          for (const ws of subs) wait = sendWithBackpressure(ws, msg) ?? wait
          return wait
        },
        async close() {
          for (const ws of subs) ws.terminate()
        },
      }
    },
    async connect() {
      const r = await requester(port)
      await r.request(0)
      return r
    },
    versions: () => ({ ws: packageVersion('ws'), bufferutil: packageVersion('bufferutil') }),
    async close() {},
  }
}

/** `ws` WebSockets. */
export const system: SystemModule = {
  async startServer(ctx) {
    const wss = new WebSocketServer({ host: HOST, port: 0, perMessageDeflate: false, maxPayload: 16 << 20 })
    wss.on('connection', (ws, req) => {
      ws.on('error', () => {})
      if (req.url === '/echo') ws.on('message', (d: Buffer) => ws.send(d))
      else if (req.url === '/sink') ws.on('message', () => ctx.count('msgs'))
      else if (req.url === '/bytes') ws.on('message', (d: Buffer) => ctx.count('bytes', d.length))
      else ws.on('message', () => ctx.count('deliveries'))
    })
    await once(wss, 'listening')
    const address = wss.address()
    return {
      info: { port: typeof address === 'string' || address === null ? 0 : address.port },
      async stop() {
        wss.close()
      },
    }
  },
  startClient,
}
