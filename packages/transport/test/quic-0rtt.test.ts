import { type QuicTestbed, readAll, startQuicTestbed } from '@qms/test-utils'
import type { ConnectOptions, QuicConnection } from '@quic-multistream/transport'
import { afterEach, describe, expect, it } from 'vitest'

/** Server side: answers each stream with `early` or `late`, depending on whether its data came in 0-RTT. */
function replyWithPhase(conn: QuicConnection): void {
  void (async () => {
    for await (const s of conn.incomingStreams) {
      const early = conn.earlyData
      await readAll(s)
      await s.end(Buffer.from(early ? 'early' : 'late'))
    }
  })()
}

/** Connects once and leaves, so the client holds a session ticket for the server (it arrives just after the handshake). */
async function visitOnce(bed: QuicTestbed, tls?: ConnectOptions['tls']): Promise<QuicConnection> {
  const first = await bed.client.connect({ ...bed.server.address, ...(tls ? { tls } : {}) })
  await bed.accept()
  await new Promise((r) => setTimeout(r, 50))
  await first.close()
  return first
}

describe('0-RTT resumption', () => {
  let close: (() => Promise<void>) | undefined
  afterEach(async () => close?.())

  it('a client reconnecting to a server it has seen sends stream data in 0-RTT', async () => {
    const bed = await startQuicTestbed()
    close = bed.close
    const first = await visitOnce(bed)
    expect(first.resumed).toBe(false)
    expect(first.earlyData).toBe(false)

    const client = await bed.client.connect(bed.server.address)
    // Usable before the handshake completes: the stream is written in 0-RTT.
    const s = await client.openBidi()
    await s.end(Buffer.from('hello early'))
    const server = await bed.accept()
    replyWithPhase(server)
    expect((await readAll(s)).toString()).toBe('early')
    expect(server.earlyData).toBe(true)
    expect(client.earlyData).toBe(true)
    expect(client.resumed).toBe(true)
    expect(server.resumed).toBe(true)
  })

  it.each([
    ['a server with earlyData disabled makes the client wait for the handshake, and data still arrives', 'server'],
    ['a client with earlyData disabled never sends 0-RTT', 'client'],
  ] as const)('%s', async (_name, side) => {
    const bed = await startQuicTestbed({ [side]: { earlyData: false } })
    close = bed.close
    await visitOnce(bed)
    const client = await bed.client.connect(bed.server.address)
    const server = await bed.accept()
    replyWithPhase(server)
    const s = await client.openBidi()
    await s.end(Buffer.from('hello'))
    expect((await readAll(s)).toString()).toBe('late')
    expect(server.earlyData).toBe(false)
    expect(client.earlyData).toBe(false)
  })
})

describe('0-RTT and certificate verification', () => {
  it('a resumed connection is still verified: a pin that does not match fails with ERR_TLS_PIN_MISMATCH', async () => {
    const bed = await startQuicTestbed()
    try {
      await visitOnce(bed, { insecure: true })
      const wrongPin = 'ab'.repeat(32)
      const outcome = await bed.client.connect({ ...bed.server.address, tls: { pinSha256: [wrongPin] } }).then(
        (c) => c.closed.then((i) => i.error),
        (e: unknown) => e,
      )
      expect(outcome).toMatchObject({ code: 'ERR_TLS_PIN_MISMATCH' })
    } finally {
      await bed.close()
    }
  })

  it('a resumed connection with the right pin stays open after its handshake completes', async () => {
    const bed = await startQuicTestbed()
    try {
      await visitOnce(bed)
      const again = await bed.client.connect(bed.server.address)
      // Written before anything else happens, so it can only travel in 0-RTT.
      const s = await again.openBidi()
      await s.end(Buffer.from('x'))
      replyWithPhase(await bed.accept())
      expect((await readAll(s)).toString()).toBe('early')
      await new Promise((r) => setTimeout(r, 50))
      expect(again.resumed).toBe(true)
      expect(again.isOpen).toBe(true)
      expect(Buffer.from(again.peerCertificate ?? []).length).toBeGreaterThan(0)
    } finally {
      await bed.close()
    }
  })
})
