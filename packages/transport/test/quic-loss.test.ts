import { createHash, randomBytes } from 'node:crypto'
import { type ImpairmentProxy, readAll, serverCert, startImpairmentProxy } from '@qms/test-utils'
import { createEndpoint, type QuicConnection, type QuicEndpoint } from '@quic-multistream/transport'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

// Every datagram in both directions crosses a proxy that drops 10%, reorders 5%, duplicates 1% and adds jitter.
let server: QuicEndpoint
let client: QuicEndpoint
let proxy: ImpairmentProxy
let conn: QuicConnection

beforeAll(async () => {
  const cert = await serverCert()
  server = await createEndpoint({ tls: { cert: cert.cert, key: cert.key } })
  client = await createEndpoint({ tls: { pinSha256: [cert.sha256] } })
  proxy = await startImpairmentProxy({
    target: server.address,
    seed: 9000,
    loss: 0.1,
    reorder: 0.05,
    duplicate: 0.01,
    delayMs: 1,
    jitterMs: 2,
  })
  // Serve: each stream gets back the SHA-256 of what it carried, or an echo for small ones.
  void (async () => {
    for await (const c of server.incomingConnections) {
      void (async () => {
        for await (const s of c.incomingStreams) {
          void (async () => {
            const hash = createHash('sha256')
            let size = 0
            const small: Uint8Array[] = []
            for await (const chunk of s) {
              hash.update(chunk)
              size += chunk.length
              if (size <= 4096) small.push(chunk)
            }
            await s.end(size <= 4096 ? Buffer.concat(small) : Buffer.from(hash.digest('hex')))
          })().catch(() => {})
        }
      })()
    }
  })()
  conn = await client.connect({ ...proxy.address, timeoutMs: 10_000 })
}, 30_000)

afterAll(async () => {
  await client?.close({ timeoutMs: 500 })
  await server?.close({ timeoutMs: 500 })
  await proxy?.close()
})

describe('through 10% loss, reordering and duplication', () => {
  it('carries 64 MiB over one stream byte-exact', async () => {
    const data = randomBytes(64 * 1024 * 1024)
    const s = await conn.openBidi()
    const reply = readAll(s)
    for (let off = 0; off < data.length; off += 1 << 20) await s.write(data.subarray(off, off + (1 << 20)))
    await s.end()
    expect((await reply).toString()).toBe(createHash('sha256').update(data).digest('hex'))
    const st = proxy.stats()
    expect(st.toServer.dropped).toBeGreaterThan(0)
    expect(st.toServer.reordered).toBeGreaterThan(0)
    expect(conn.stats().packetsLost).toBeGreaterThan(0)
  }, 120_000)

  it('completes 1,000 concurrent small streams byte-exact', async () => {
    const payloads = Array.from({ length: 1000 }, () => randomBytes(1024))
    const results = await Promise.all(
      payloads.map(async (p) => {
        const s = await conn.openBidi()
        await s.end(p)
        return readAll(s)
      }),
    )
    for (const [i, r] of results.entries()) expect(r.equals(payloads[i] as Buffer)).toBe(true)
  }, 120_000)
})
