import { transportConformance } from '@qms/test-utils/conformance'
import {
  createEndpoint,
  generateDevCertificate,
  type QuicConnection,
  withWebTransport,
} from '@quic-multistream/transport'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type HarnessBrowser, openHarnessPage } from './support/harness-page.js'

// The browser is the client (a page cannot accept connections); the server is our endpoint with WebTransport on.
let page: HarnessBrowser
let server: Awaited<ReturnType<typeof startServer>>

async function startServer() {
  const cert = await generateDevCertificate()
  const endpoint = await createEndpoint({ alpn: ['qms/1', 'h3'], tls: { cert: cert.cert, key: cert.key } })
  const wt = withWebTransport(endpoint, { paths: ['/conformance'] })
  const sessions = wt.incomingConnections[Symbol.asyncIterator]()
  return {
    url: `https://127.0.0.1:${endpoint.address.port}/conformance`,
    hash: cert.sha256,
    async nextSession(): Promise<QuicConnection> {
      const r = await sessions.next()
      if (r.done) throw new Error('server stopped accepting')
      return r.value
    },
    close: () => wt.close({ timeoutMs: 500 }),
  }
}

beforeAll(async () => {
  server = await startServer()
  page = await openHarnessPage()
}, 60_000)

afterAll(async () => {
  await page?.close()
  await server?.close()
})

// Every byte crosses the Node-page boundary as base64 in a CDP message, so the sizes are smaller than native QUIC's.
transportConformance(
  'browser WebTransport (Chromium) to withWebTransport',
  async () => {
    // A server (so a fresh QUIC connection) per test: Chromium pools WebTransport sessions to one origin on one
    // HTTP/3 connection, and each test should start from a clean connection.
    const own = await startServer()
    const [client, accepted] = await Promise.all([page.harness.connect(own.url, [own.hash]), own.nextSession()])
    return {
      client,
      server: accepted,
      async close() {
        await Promise.all([client.close(0, 'test done'), accepted.close(0, 'test done')])
        await own.close()
      },
    }
  },
  { largeTransferBytes: 4 * 1024 * 1024, concurrentStreams: 200, lifetimeStreams: 1000 },
)

describe('browser WebTransport specifics', () => {
  it('refuses a session whose certificate does not match the pinned hash', async () => {
    const wrong = 'ab'.repeat(32)
    await expect(page.harness.connect(server.url, [wrong])).rejects.toMatchObject({ code: 'ERR_CONNECTION_CLOSED' })
  })

  it('refuses a session on a path the server does not serve', async () => {
    const elsewhere = server.url.replace('/conformance', '/nowhere')
    await expect(page.harness.connect(elsewhere, [server.hash])).rejects.toMatchObject({
      code: expect.stringMatching(/^ERR_/),
    })
  })
})
