// node:dgram UDP, the floor under any QUIC in Node: 1 KiB ping-pong, and one-way blasts of 1 KiB, 1,350-byte and
// 65,000-byte datagrams counted where they arrive (what was lost does not count).
import { createSocket, type Socket } from 'node:dgram'
import { once } from 'node:events'
import { checkReply, payload } from '../framing.js'
import type { BulkWriter, Sender, ServerLink, SystemClient, SystemModule } from '../system.js'
import { HOST, UDP_LARGE, UDP_SMALL } from '../wire.js'

/** Socket buffers of the blasts: the default drops most of a burst on loopback. */
const BUFFER_BYTES = 8 << 20
/** Datagrams sent before yielding to the event loop, so the socket drains and arrivals are processed. */
const BURST = 64

async function bound(): Promise<Socket> {
  const s = createSocket({ type: 'udp4', recvBufferSize: BUFFER_BYTES, sendBufferSize: BUFFER_BYTES })
  s.bind(0, HOST)
  await once(s, 'listening')
  return s
}

/** Sends `datagram` to `port`, yielding after every {@link BURST}. */
function blaster(s: Socket, port: number, datagram: () => Buffer): () => Promise<void> | undefined {
  let n = 0
  return () => {
    s.send(datagram(), port, HOST)
    return ++n % BURST === 0 ? new Promise<void>((r) => setImmediate(r)) : undefined
  }
}

async function startClient(server: ServerLink): Promise<SystemClient> {
  const echoPort = Number(server.info.echoPort)
  const sinkPort = Number(server.info.sinkPort)
  const socket = await bound()
  const bulk = (size: number): BulkWriter => {
    const datagram = Buffer.alloc(size, 7)
    return { chunkSize: size, lossy: true, write: blaster(socket, sinkPort, () => datagram), async end() {} }
  }
  return {
    async seq() {
      let onReply: ((b: Buffer) => void) | undefined
      const listener = (b: Buffer) => onReply?.(b)
      socket.on('message', listener)
      return {
        async request(seq) {
          const reply = new Promise<Buffer>((r) => {
            onReply = r
          })
          socket.send(payload(seq), echoPort, HOST)
          checkReply(await reply, seq)
        },
        async close() {
          socket.off('message', listener)
        },
      }
    },
    async oneway(): Promise<Sender> {
      return { senders: 1, lossy: true, send: blaster(socket, sinkPort, () => payload(0)), async close() {} }
    },
    bulk: async () => bulk(UDP_LARGE),
    bulk1350: async () => bulk(UDP_SMALL),
    versions: () => ({ node: process.version }),
    async close() {
      socket.close()
    },
  }
}

/** UDP, the floor under QUIC. */
export const system: SystemModule = {
  async startServer(ctx) {
    const echo = await bound()
    echo.on('message', (m, from) => echo.send(m, from.port, from.address))
    const sink = await bound()
    sink.on('message', (m) => {
      ctx.count('msgs')
      ctx.count('bytes', m.length)
    })
    return {
      info: { echoPort: echo.address().port, sinkPort: sink.address().port },
      async stop() {
        echo.close()
        sink.close()
      },
    }
  },
  startClient,
}
