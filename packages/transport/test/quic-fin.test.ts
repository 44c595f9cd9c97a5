import { readAll, serverCert, spawnTs } from '@qms/test-utils'
import { createEndpoint, type QuicEndpoint } from '@quic-multistream/transport'
import { afterEach, describe, expect, it } from 'vitest'

const CLIENT = new URL('./fixtures/fin-client.ts', import.meta.url).pathname
let server: QuicEndpoint | undefined

afterEach(async () => {
  await server?.close({ timeoutMs: 500 })
  server = undefined
})

/** Blocks this event loop; datagrams that arrive meanwhile wait in the socket until the next poll. */
function busy(ms: number): void {
  const until = performance.now() + ms
  while (performance.now() < until) {
    // Spin.
  }
}

describe('ending a stream whose data is already on the wire', () => {
  it("delivers the FIN when the ACK of the stream's last data is the next thing the endpoint reads", async () => {
    const cert = await serverCert()
    server = await createEndpoint({ tls: { cert: cert.cert, key: cert.key } })
    const incoming = server.incomingConnections[Symbol.asyncIterator]()
    const client = spawnTs(CLIENT, [String(server.address.port), cert.sha256])
    const conn = (await incoming.next()).value
    let stream: Awaited<ReturnType<typeof conn.openBidi>> | undefined
    for await (const s of conn.incomingStreams) {
      stream = s
      break
    }
    if (!stream) throw new Error('no stream')
    expect((await readAll(stream)).toString()).toBe('ping')
    await stream.write(Buffer.from('pong'))
    // 'pong' leaves in the flush queued by the write (it runs before this callback). The client, another process,
    // acknowledges it while this loop is busy, so that ACK is the first thing the endpoint reads after end(). quiche
    // 0.18 then finds every byte of the stream acknowledged, the FIN written and both sides done, collects the
    // stream, and never sends the FIN: unless end() sent it at once.
    await new Promise<void>((r) => setImmediate(r))
    busy(200)
    await stream.end()
    const line = await client.waitForLine(/^(reply|timeout):.*$/, 10_000)
    expect(line[0]).toBe('reply:pong')
    await client.exited
  })
})
