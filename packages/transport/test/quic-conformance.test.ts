import { serverCert, transportConformance } from '@qms/test-utils'
import { createEndpoint, type QuicConnection, type QuicEndpoint } from '@quic-multistream/transport'
import { afterAll, beforeAll } from 'vitest'

// The native endpoint, over real UDP sockets on 127.0.0.1, runs the shared conformance suite.
let server: QuicEndpoint
let client: QuicEndpoint
let accepted: AsyncIterator<QuicConnection>

beforeAll(async () => {
  const cert = await serverCert()
  server = await createEndpoint({ tls: { cert: cert.cert, key: cert.key } })
  client = await createEndpoint({ tls: { pinSha256: [cert.sha256] } })
  accepted = server.incomingConnections[Symbol.asyncIterator]()
})

afterAll(async () => {
  await client?.close()
  await server?.close()
})

transportConformance('native QUIC over UDP', async () => {
  const c = await client.connect(server.address)
  const s = await accepted.next()
  if (s.done) throw new Error('server stopped accepting')
  return {
    client: c,
    server: s.value,
    close: async () => {
      await c.close(0, 'test done')
    },
  }
})
