// ZeroMQ 6 (bundled libzmq) over TCP: REQ/REP for sequential requests and setup, DEALER/ROUTER with replies matched
// by number for requests in flight, PUSH/PULL one-way and bulk, PUB/SUB fan-out to ten SUB sockets. A zeromq socket
// takes one send at a time, so its senders are not run concurrently.
import * as zmq from 'zeromq'
import { bulkChunk, checkReply, payload, ReplyMatcher } from '../framing.js'
import type { Requester, ServerContext, ServerLink, SystemClient, SystemModule } from '../system.js'
import { packageVersion } from '../versions.js'
import { FANOUT, HOST } from '../wire.js'

type Closable = { close(): void }

async function bind<S extends zmq.Socket>(socket: S): Promise<S> {
  await socket.bind(`tcp://${HOST}:*`)
  return socket
}

function drain(socket: zmq.Pull | zmq.Subscriber, onMessage: (m: Buffer) => void): void {
  void (async () => {
    for await (const [m] of socket) if (m) onMessage(m)
  })().catch(() => {})
}

/** Connects ten SUB sockets to the client's PUB; resolves once each has received a (probe) message. */
async function attachSubscribers(ctx: ServerContext, endpoint: string, subs: zmq.Subscriber[]): Promise<void> {
  const heard = new Set<number>()
  let all: () => void = () => {}
  const ready = new Promise<void>((r) => {
    all = r
  })
  for (let i = 0; i < FANOUT; i++) {
    const sub = new zmq.Subscriber()
    sub.connect(endpoint)
    sub.subscribe()
    subs.push(sub)
    drain(sub, () => {
      ctx.count('deliveries')
      if (heard.size < FANOUT && !heard.has(i)) {
        heard.add(i)
        if (heard.size === FANOUT) all()
      }
    })
  }
  await ready
}

async function startServer(ctx: ServerContext) {
  const rep = await bind(new zmq.Reply())
  const router = await bind(new zmq.Router())
  const pullMsgs = await bind(new zmq.Pull())
  const pullBytes = await bind(new zmq.Pull())
  const subs: zmq.Subscriber[] = []
  void (async () => {
    for await (const [m] of rep) await rep.send(m ?? Buffer.alloc(0))
  })().catch(() => {})
  void (async () => {
    for await (const [id, m] of router) await router.send([id ?? Buffer.alloc(0), m ?? Buffer.alloc(0)])
  })().catch(() => {})
  drain(pullMsgs, () => ctx.count('msgs'))
  drain(pullBytes, (m) => ctx.count('bytes', m.length))
  const sockets: Closable[] = [rep, router, pullMsgs, pullBytes]
  return {
    info: {
      rep: rep.lastEndpoint ?? '',
      router: router.lastEndpoint ?? '',
      pullMsgs: pullMsgs.lastEndpoint ?? '',
      pullBytes: pullBytes.lastEndpoint ?? '',
    },
    async call(name: string, arg: unknown) {
      if (name !== 'attach') throw new Error(`unknown call ${name}`)
      await attachSubscribers(ctx, String(arg), subs)
      return true
    },
    async stop() {
      for (const s of [...sockets, ...subs]) s.close()
    },
  }
}

async function reqRep(endpoint: string): Promise<Requester> {
  const req = new zmq.Request()
  req.connect(endpoint)
  return {
    async request(seq) {
      await req.send(payload(seq))
      const [reply] = await req.receive()
      checkReply(reply ?? Buffer.alloc(0), seq)
    },
    async close() {
      req.close()
    },
  }
}

async function dealer(endpoint: string): Promise<Requester> {
  const d = new zmq.Dealer()
  d.connect(endpoint)
  const matcher = new ReplyMatcher()
  void (async () => {
    for await (const [m] of d) if (m) matcher.deliver(m)
  })().catch((e: Error) => matcher.failAll(e))
  let sending: Promise<void> = Promise.resolve()
  return {
    request(seq) {
      const reply = matcher.wait(seq)
      sending = sending.then(() => d.send(payload(seq)))
      return Promise.all([reply, sending]).then(() => {})
    },
    async close() {
      d.close()
    },
  }
}

async function startClient(server: ServerLink): Promise<SystemClient> {
  const info = server.info
  const push = (endpoint: string) => {
    const p = new zmq.Push()
    p.connect(endpoint)
    return p
  }
  return {
    seq: () => reqRep(String(info.rep)),
    inflight: () => dealer(String(info.router)),
    async oneway() {
      const p = push(String(info.pullMsgs))
      return { senders: 1, send: (seq) => p.send(payload(seq)), close: async () => p.close() }
    },
    async bulk() {
      const p = push(String(info.pullBytes))
      return { chunkSize: bulkChunk.length, write: () => p.send(bulkChunk), end: async () => p.close() }
    },
    async fanout() {
      const pub = await bind(new zmq.Publisher())
      // Subscriptions reach a PUB socket asynchronously: probe until every subscriber has heard one.
      const probe = setInterval(() => void pub.send(payload(0)).catch(() => {}), 10)
      try {
        await server.call('attach', pub.lastEndpoint)
      } finally {
        clearInterval(probe)
      }
      return {
        senders: 1,
        perSend: FANOUT,
        lossy: true,
        send: (seq) => pub.send(payload(seq)),
        close: async () => pub.close(),
      }
    },
    async connect() {
      const r = await reqRep(String(info.rep))
      await r.request(0)
      return r
    },
    versions: () => ({ zeromq: packageVersion('zeromq'), libzmq: zmq.version }),
    async close() {},
  }
}

/** ZeroMQ. */
export const system: SystemModule = { startServer, startClient }
