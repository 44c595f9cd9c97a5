// node:http2 over cleartext (h2c): a POST of 1 KiB answered with the same bytes, many such streams at once on one
// session for requests in flight, and one long POST for bulk. HTTP has no one-way messages or fan-out.
import { once } from 'node:events'
import * as http2 from 'node:http2'
import type { AddressInfo } from 'node:net'
import { bulkChunk, checkReply, payload } from '../framing.js'
import type { BulkWriter, Requester, SystemClient, SystemModule } from '../system.js'
import { HOST } from '../wire.js'

async function session(port: number): Promise<http2.ClientHttp2Session> {
  const s = http2.connect(`http://${HOST}:${port}`)
  s.on('error', () => {})
  await once(s, 'connect')
  return s
}

function post(s: http2.ClientHttp2Session, path: string): http2.ClientHttp2Stream {
  return s.request({ ':method': 'POST', ':path': path, 'content-type': 'application/octet-stream' })
}

/** The response body of `req`. */
async function body(req: http2.ClientHttp2Stream): Promise<Buffer> {
  const parts: Buffer[] = []
  for await (const d of req) parts.push(d as Buffer)
  return Buffer.concat(parts)
}

function requester(s: http2.ClientHttp2Session): Requester {
  return {
    async request(seq) {
      const req = post(s, '/echo')
      req.end(payload(seq))
      checkReply(await body(req), seq)
    },
    async close() {},
  }
}

async function bulk(s: http2.ClientHttp2Session): Promise<BulkWriter> {
  const req = post(s, '/bytes')
  const done = body(req)
  return {
    chunkSize: bulkChunk.length,
    write: () => (req.write(bulkChunk) ? undefined : (once(req, 'drain') as Promise<unknown> as Promise<void>)),
    async end() {
      req.end()
      await done
    },
  }
}

/** node:http2 over h2c. */
export const system: SystemModule = {
  async startServer(ctx) {
    const server = http2.createServer()
    server.on('stream', (stream, headers) => {
      stream.on('error', () => {})
      if (headers[':path'] === '/bytes') {
        stream.on('data', (d: Buffer) => ctx.count('bytes', d.length))
        stream.on('end', () => {
          stream.respond({ ':status': 200 })
          stream.end()
        })
        return
      }
      const parts: Buffer[] = []
      stream.on('data', (d: Buffer) => parts.push(d))
      stream.on('end', () => {
        stream.respond({ ':status': 200, 'content-type': 'application/octet-stream' })
        stream.end(Buffer.concat(parts))
      })
    })
    server.listen(0, HOST)
    await once(server, 'listening')
    return {
      info: { port: (server.address() as AddressInfo).port },
      async stop() {
        server.close()
      },
    }
  },
  async startClient(server): Promise<SystemClient> {
    const port = Number(server.info.port)
    const main = await session(port)
    return {
      seq: async () => requester(main),
      inflight: async () => requester(main),
      bulk: () => bulk(main),
      async connect() {
        const s = await session(port)
        await requester(s).request(0)
        return { close: async () => void s.close() }
      },
      versions: () => ({ node: process.version }),
      async close() {
        main.close()
      },
    }
  },
}
