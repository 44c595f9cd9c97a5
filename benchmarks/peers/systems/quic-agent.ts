// quic-multistream through its public Agent API: `request` for request/reply, `send` one-way, `publish` to ten
// subscriber agents, `openStream` + `writeBytes` for bulk. The server process runs the `server` agent (hosting the
// registry) and the subscribers; the client process its agents. Bodies carry 1 KiB of bytes and a sequence number.
import { Agent, defineRequest } from '@quic-multistream/agent'
import { RegistryServer, RemoteRegistry, StaticRegistry } from '@quic-multistream/mesh'
import { defineMessage } from '@quic-multistream/protocol'
import { generateDevCertificate } from '@quic-multistream/transport'
import { z } from 'zod'
import { bulkChunk, payload } from '../framing.js'
import type { BulkWriter, ServerLink, SystemClient, SystemModule } from '../system.js'
import { FANOUT, PAYLOAD, UDP_SMALL } from '../wire.js'

const body = z.object({ seq: z.number().int(), data: z.custom<Uint8Array>((v) => v instanceof Uint8Array) })
const Ping = defineMessage('peers.ping', body)
const Pong = defineMessage('peers.pong', body)
const Echo = defineRequest(Ping, Pong)
const Note = defineMessage('peers.note', body)
const Tick = defineMessage('peers.tick', body)
const TOPIC = 'peers.fanout'
const SERVER_ID = 'server'
const BULK_STREAM = 'peers.bulk'

function tlsFrom(info: Record<string, string | number>) {
  return { cert: String(info.cert), key: String(info.key), pinSha256: [String(info.sha256)] }
}

/** The quic-multistream Agent API. */
export const system: SystemModule = {
  async startServer(ctx) {
    const cert = await generateDevCertificate()
    const tls = { cert: cert.cert, key: cert.key, pinSha256: [cert.sha256] }
    const server = await Agent.start({
      id: SERVER_ID,
      registry: new RegistryServer(),
      tls,
      endpoint: { maxConnectionsPerIp: 20_000 },
    })
    const agents = [server]
    server.handle(Echo, (b) => Pong.of(b))
    server.on(Note, () => ctx.count('msgs'))
    server.onStream(BULK_STREAM, async (stream) => {
      for await (const chunk of stream.bytes()) ctx.count('bytes', chunk.length)
    })
    for (let i = 0; i < FANOUT; i++) {
      const sub = await Agent.start({
        id: `sub${i}`,
        registry: new RemoteRegistry({ address: server.address, id: SERVER_ID }),
        tls,
      })
      agents.push(sub)
      await sub.subscribe(TOPIC, Tick, () => ctx.count('deliveries')).ready
    }
    return {
      info: { address: server.address, cert: cert.cert, key: cert.key, sha256: cert.sha256 },
      stop: () => Promise.allSettled(agents.map((a) => a.stop())).then(() => {}),
    }
  },

  async startClient(server: ServerLink): Promise<SystemClient> {
    const address = String(server.info.address)
    const tls = tlsFrom(server.info)
    const client = await Agent.start({ id: 'client', registry: new RemoteRegistry({ address, id: SERVER_ID }), tls })
    // Publishers learn subscriptions through the registry: wait until all of them are here.
    const deadline = Date.now() + 20_000
    while (client.peers().filter((p) => p.subscriptions.length > 0).length < FANOUT) {
      if (Date.now() > deadline) throw new Error('the subscribers never showed up in the registry')
      await new Promise((r) => setTimeout(r, 10))
    }
    /** Agents dialing the server directly (no registry traffic), for bulk at 1,350 bytes and connection setup. */
    let extra = 0
    const direct = (endpoint: { maxUdpPayload?: number } = {}) =>
      Agent.start({
        id: `c${process.pid}-${extra++}`,
        registry: new StaticRegistry({ [SERVER_ID]: address }),
        tls,
        endpoint,
      })
    const others: Agent[] = []
    const requester = async () => ({
      async request(seq: number) {
        const reply = await client.request(SERVER_ID, Echo, { seq, data: payload(seq) })
        if (reply.seq !== seq || reply.data.length !== PAYLOAD) throw new Error(`bad reply to #${seq}`)
      },
      async close() {},
    })
    const bulkOn = async (agent: Agent): Promise<BulkWriter> => {
      const s = await agent.openStream(SERVER_ID, BULK_STREAM)
      return { chunkSize: bulkChunk.length, write: () => s.writeBytes(bulkChunk), end: () => s.end() }
    }
    return {
      seq: requester,
      inflight: requester,
      oneway: async () => ({
        send: (seq) => client.send(SERVER_ID, Note, { seq, data: payload(seq) }),
        async close() {},
      }),
      fanout: async () => ({
        perSend: FANOUT,
        send: (seq) => client.publish(TOPIC, Tick, { seq, data: payload(seq) }).then(() => {}),
        async close() {},
      }),
      bulk: () => bulkOn(client),
      async bulk1350() {
        const small = await direct({ maxUdpPayload: UDP_SMALL })
        others.push(small)
        return bulkOn(small)
      },
      async connect(timer) {
        const agent = await direct()
        timer.start()
        await agent.request(SERVER_ID, Echo, { seq: 0, data: payload(0) })
        return { close: () => agent.stop() }
      },
      versions: () => ({ node: process.version }),
      close: () => Promise.allSettled([client, ...others].map((a) => a.stop())).then(() => {}),
    }
  },
}
