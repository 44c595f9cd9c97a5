import { serverCert } from '@qms/test-utils'
import { transportConformance } from '@qms/test-utils/conformance'
import {
  connectWebTransport,
  createEndpoint,
  type QuicConnection,
  type QuicEndpoint,
  type WebTransportEndpoint,
  withWebTransport,
} from '@quic-multistream/transport'
import { afterAll, beforeAll } from 'vitest'

// WebTransport sessions (Node client → our HTTP/3 server) over real UDP on 127.0.0.1 run the shared suite.
let server: WebTransportEndpoint
let client: QuicEndpoint
let incoming: AsyncIterator<QuicConnection>
let pin: string

beforeAll(async () => {
  const cert = await serverCert()
  pin = cert.sha256
  // One bidi stream per session is the CONNECT stream, so the QUIC limit leaves room for the suite's 1,000 at once.
  const endpoint = await createEndpoint({
    alpn: ['qms/1', 'h3'],
    maxStreamsBidi: 1_100,
    tls: { cert: cert.cert, key: cert.key },
  })
  server = withWebTransport(endpoint, { paths: ['/wt'] })
  incoming = server.incomingConnections[Symbol.asyncIterator]()
  client = await createEndpoint({ maxStreamsBidi: 1_100, tls: { pinSha256: [pin] } })
})

afterAll(async () => {
  await client?.close({ timeoutMs: 500 })
  await server?.close({ timeoutMs: 500 })
})

transportConformance('WebTransport over HTTP/3', async () => {
  const session = await connectWebTransport(client, { host: '127.0.0.1', port: server.address.port, path: '/wt' })
  const accepted = await incoming.next()
  if (accepted.done) throw new Error('server stopped accepting')
  return { client: session, server: accepted.value, close: () => session.close(0, 'test done') }
})
