/** Real QUIC endpoints on 127.0.0.1 for tests: a server with the shared dev certificate and a client pinned to it. */
import {
  createEndpoint,
  type EndpointOptions,
  type QuicConnection,
  type QuicEndpoint,
} from '@quic-multistream/transport'
import { serverCert } from './certs.js'

export interface QuicTestbed {
  server: QuicEndpoint
  client: QuicEndpoint
  /** The next connection the server accepts. */
  accept(): Promise<QuicConnection>
  /** Dials the server and returns both ends. */
  pair(): Promise<{ client: QuicConnection; server: QuicConnection }>
  close(): Promise<void>
}

/** Starts a server and a client endpoint; options are merged over the defaults (dev certificate, pinned). */
export async function startQuicTestbed(
  options: { server?: EndpointOptions; client?: EndpointOptions } = {},
): Promise<QuicTestbed> {
  const cert = await serverCert()
  const server = await createEndpoint({
    ...options.server,
    tls: { cert: cert.cert, key: cert.key, ...options.server?.tls },
  })
  const client = await createEndpoint({ ...options.client, tls: { pinSha256: [cert.sha256], ...options.client?.tls } })
  const incoming = server.incomingConnections[Symbol.asyncIterator]()
  const accept = async () => {
    const r = await incoming.next()
    if (r.done) throw new Error('server stopped accepting')
    return r.value
  }
  return {
    server,
    client,
    accept,
    async pair() {
      const c = await client.connect(server.address)
      return { client: c, server: await accept() }
    },
    async close() {
      await client.close({ timeoutMs: 500 })
      await server.close({ timeoutMs: 500 })
    },
  }
}
