// The transport alone (our QUIC endpoint, no agent layer): length-framed 1 KiB messages on bidirectional streams,
// each opened with a mode byte (framing.ts), and 1 KiB QUIC datagrams echoed by the server (`datagramSystem`).
// Shows what the agent layer costs on top of the transport.
import {
  createEndpoint,
  generateDevCertificate,
  type QuicConnection,
  type QuicEndpoint,
  type QuicStream,
} from '@quic-multistream/transport'
import {
  bulkChunk,
  checkReply,
  FrameSplitter,
  framedPayload,
  MODE,
  payload,
  ReplyMatcher,
  rawServerSide,
} from '../framing.js'
import type { BulkWriter, Requester, ServerContext, ServerLink, SystemClient, SystemModule } from '../system.js'
import { HOST, UDP_SMALL } from '../wire.js'

function ignore(): void {
  // A client may close its connection while a stream still has bytes in flight: nothing to do.
}

async function serveStream(ctx: ServerContext, stream: QuicStream): Promise<void> {
  let out: Buffer[] = []
  const onChunk = rawServerSide(ctx, (bytes) => out.push(bytes))
  for await (const chunk of stream) {
    onChunk(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length))
    if (out.length > 0) {
      const reply = out.length === 1 ? out[0]! : Buffer.concat(out)
      out = []
      await stream.write(reply)
    }
  }
  await stream.end()
}

async function serveConnection(ctx: ServerContext, conn: QuicConnection): Promise<void> {
  void (async () => {
    for await (const d of conn.incomingDatagrams) conn.sendDatagram(d)
  })().catch(ignore)
  for await (const stream of conn.incomingStreams) serveStream(ctx, stream).catch(ignore)
}

async function startServer(ctx: ServerContext) {
  const cert = await generateDevCertificate()
  const endpoint = await createEndpoint({
    tls: { cert: cert.cert, key: cert.key },
    maxConnections: 20_000,
    maxConnectionsPerIp: 20_000,
  })
  void (async () => {
    for await (const conn of endpoint.incomingConnections) serveConnection(ctx, conn).catch(ignore)
  })()
  return {
    info: { port: endpoint.address.port, sha256: cert.sha256 },
    stop: () => endpoint.close({ timeoutMs: 500 }),
  }
}

async function openStream(conn: QuicConnection, mode: number): Promise<QuicStream> {
  const s = await conn.openBidi()
  await s.write(Uint8Array.of(mode))
  return s
}

async function requester(conn: QuicConnection): Promise<Requester> {
  const s = await openStream(conn, MODE.echo)
  const matcher = new ReplyMatcher()
  const splitter = new FrameSplitter()
  void (async () => {
    for await (const chunk of s)
      splitter.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length), (f) => matcher.deliver(f))
  })().catch((e: Error) => matcher.failAll(e))
  return {
    request(seq) {
      const reply = matcher.wait(seq)
      return Promise.all([reply, s.write(framedPayload(seq))]).then(() => {})
    },
    close: () => s.end().catch(ignore),
  }
}

async function bulkWriter(conn: QuicConnection): Promise<BulkWriter> {
  const s = await openStream(conn, MODE.bytes)
  return { chunkSize: bulkChunk.length, write: () => s.write(bulkChunk), end: () => s.end().catch(ignore) }
}

interface Client {
  auto: QuicEndpoint
  small: QuicEndpoint
  dial(endpoint?: QuicEndpoint): Promise<QuicConnection>
}

async function connectTo(server: ServerLink): Promise<Client> {
  const tls = { pinSha256: [String(server.info.sha256)] }
  const auto = await createEndpoint({ tls })
  const small = await createEndpoint({ tls, maxUdpPayload: UDP_SMALL })
  const port = Number(server.info.port)
  return {
    auto,
    small,
    dial: (endpoint = auto) => endpoint.connect({ host: HOST, port, earlyData: false }),
  }
}

function closeAll(c: Client): Promise<void> {
  return Promise.all([c.auto.close({ timeoutMs: 500 }), c.small.close({ timeoutMs: 500 })]).then(() => {})
}

async function startClient(server: ServerLink): Promise<SystemClient> {
  const c = await connectTo(server)
  const main = await c.dial()
  return {
    seq: () => requester(main),
    inflight: () => requester(main),
    async oneway() {
      const s = await openStream(main, MODE.sink)
      return { send: (seq) => s.write(framedPayload(seq)), close: () => s.end().catch(ignore) }
    },
    bulk: async () => bulkWriter(await c.dial()),
    bulk1350: async () => bulkWriter(await c.dial(c.small)),
    async connect(timer) {
      timer.start()
      const conn = await c.dial()
      const r = await requester(conn)
      await r.request(0)
      return { close: () => conn.close() }
    },
    close: () => closeAll(c),
  }
}

/** QUIC streams through the transport alone. */
export const system: SystemModule = { startServer, startClient }

/** 1 KiB QUIC datagrams, each echoed by the server: the transport's unreliable ping-pong. */
export const datagramSystem: SystemModule = {
  startServer,
  async startClient(server) {
    const c = await connectTo(server)
    const conn = await c.dial()
    const replies = conn.incomingDatagrams[Symbol.asyncIterator]()
    return {
      async seq() {
        return {
          async request(seq) {
            conn.sendDatagram(payload(seq))
            const r = await replies.next()
            if (r.done) throw new Error('connection closed while waiting for a datagram')
            checkReply(r.value, seq)
          },
          async close() {},
        }
      },
      close: () => closeAll(c),
    }
  },
}
