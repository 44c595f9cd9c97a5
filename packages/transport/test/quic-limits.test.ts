import { echoStreams, readAll, serverCert, startQuicTestbed } from '@qms/test-utils'
import { createEndpoint, type QuicConnection } from '@quic-multistream/transport'
import { afterEach, describe, expect, it } from 'vitest'

/**
 * The refusal arrives one round trip after the client's handshake completes (the earliest a client can read it), so
 * `connect` may resolve first; either way the error code is what the caller sees.
 */
async function refusal(connecting: Promise<QuicConnection>): Promise<string | undefined> {
  try {
    const conn = await connecting
    const info = await conn.closed
    return (info.error as { code?: string } | undefined)?.code
  } catch (e) {
    return (e as { code?: string }).code
  }
}

describe('limits', () => {
  let close: (() => Promise<void>) | undefined
  afterEach(async () => close?.())

  it('refuses connections beyond maxConnections with ERR_CONNECTION_REFUSED and counts them', async () => {
    const bed = await startQuicTestbed({ server: { maxConnections: 2 } })
    close = bed.close
    await bed.client.connect(bed.server.address)
    await bed.client.connect(bed.server.address)
    const cert = await serverCert()
    // A fresh client endpoint has no ticket, so it cannot slip in on 0-RTT before being refused.
    const third = await createEndpoint({ tls: { pinSha256: [cert.sha256] } })
    try {
      expect(await refusal(third.connect({ ...bed.server.address, timeoutMs: 2000 }))).toBe('ERR_CONNECTION_REFUSED')
    } finally {
      await third.close()
    }
    expect(bed.server.stats().connectionsRejected).toBe(1)
  })

  it('refuses connections beyond maxConnectionsPerIp', async () => {
    const bed = await startQuicTestbed({ server: { maxConnectionsPerIp: 1 } })
    close = bed.close
    await bed.client.connect(bed.server.address)
    const cert = await serverCert()
    const second = await createEndpoint({ tls: { pinSha256: [cert.sha256] } })
    try {
      expect(await refusal(second.connect({ ...bed.server.address, timeoutMs: 2000 }))).toBe('ERR_CONNECTION_REFUSED')
    } finally {
      await second.close()
    }
  })

  it("waits for stream credit at the peer's limit and proceeds as streams close", async () => {
    const bed = await startQuicTestbed({ server: { maxStreamsBidi: 4 } })
    close = bed.close
    const { client, server } = await bed.pair()
    echoStreams(server)
    const open = await Promise.all([1, 2, 3, 4].map(() => client.openBidi()))
    // Streams exist for the peer once they carry a frame: write on each so all four count against its limit.
    await Promise.all(open.map((s) => s.write(Buffer.from('.'))))
    let fifthOpened = false
    const fifth = client.openBidi().then((s) => {
      fifthOpened = true
      return s
    })
    await new Promise((r) => setTimeout(r, 100))
    expect(fifthOpened).toBe(false)
    // Finishing one exchange frees a slot: the peer raises MAX_STREAMS.
    const first = open[0]!
    await first.end(Buffer.from('a'))
    expect((await readAll(first)).toString()).toBe('.a')
    const s5 = await fifth
    await s5.end(Buffer.from('e'))
    expect((await readAll(s5)).toString()).toBe('e')
  })

  it('an AbortSignal cancels waiting for stream credit', async () => {
    const bed = await startQuicTestbed({ server: { maxStreamsBidi: 1 } })
    close = bed.close
    const { client } = await bed.pair()
    await client.openBidi()
    const ac = new AbortController()
    const waiting = client.openBidi({ signal: ac.signal })
    ac.abort()
    await expect(waiting).rejects.toMatchObject({ code: 'ERR_ABORTED' })
  })

  it('closes an idle connection with ERR_IDLE_TIMEOUT', async () => {
    const opts = { idleTimeoutMs: 300, keepAliveMs: 0 }
    const bed = await startQuicTestbed({ server: opts, client: opts })
    close = bed.close
    const { client } = await bed.pair()
    const info = await client.closed
    expect(info.error).toMatchObject({ code: 'ERR_IDLE_TIMEOUT' })
  })

  it('keep-alives hold an otherwise idle connection open past the idle timeout', async () => {
    const opts = { idleTimeoutMs: 400, keepAliveMs: 100 }
    const bed = await startQuicTestbed({ server: opts, client: opts })
    close = bed.close
    const { client } = await bed.pair()
    await new Promise((r) => setTimeout(r, 1200))
    expect(client.isOpen).toBe(true)
  })

  it('validates client addresses with a Retry round trip when asked to', async () => {
    const bed = await startQuicTestbed({ server: { retry: true } })
    close = bed.close
    const { client, server } = await bed.pair()
    echoStreams(server)
    const s = await client.openBidi()
    await s.end(Buffer.from('after retry'))
    expect((await readAll(s)).toString()).toBe('after retry')
    expect(bed.server.stats().retriesSent).toBe(1)
  })

  it('fails to connect with ERR_CONNECT_TIMEOUT when nothing answers', async () => {
    const bed = await startQuicTestbed()
    close = bed.close
    const silent = await createEndpoint({ tls: { cert: (await serverCert()).cert, key: (await serverCert()).key } })
    const port = silent.address.port
    await silent.close()
    await expect(bed.client.connect({ host: '127.0.0.1', port, timeoutMs: 300 })).rejects.toMatchObject({
      code: 'ERR_CONNECT_TIMEOUT',
    })
  })

  it('rejects an invalid address with ERR_INVALID_ARGUMENT', async () => {
    const bed = await startQuicTestbed()
    close = bed.close
    await expect(bed.client.connect({ host: '127.0.0.1', port: 70000 })).rejects.toMatchObject({
      code: 'ERR_INVALID_ARGUMENT',
    })
  })

  it('selects the congestion controller (reno, cubic, bbr) and transfers with each', async () => {
    for (const congestionControl of ['reno', 'cubic', 'bbr'] as const) {
      const bed = await startQuicTestbed({ client: { congestionControl }, server: { congestionControl } })
      try {
        const { client, server } = await bed.pair()
        echoStreams(server)
        const s = await client.openBidi()
        await s.end(Buffer.alloc(1 << 20, 7))
        expect((await readAll(s)).length).toBe(1 << 20)
      } finally {
        await bed.close()
      }
    }
  })

  it('closing the endpoint closes its connections with the given code, and the peer sees it', async () => {
    const bed = await startQuicTestbed()
    close = bed.close
    const { client } = await bed.pair()
    await bed.server.close({ code: 7, reason: 'maintenance' })
    const info = await client.closed
    expect(info).toMatchObject({ code: 7, reason: 'maintenance', remote: true })
    await expect(bed.client.connect({ ...bed.server.address, timeoutMs: 300 })).rejects.toMatchObject({
      code: expect.stringMatching(/^ERR_/),
    })
  })

  it('reports connection and endpoint stats', async () => {
    const bed = await startQuicTestbed()
    close = bed.close
    const { client, server } = await bed.pair()
    echoStreams(server)
    const s = await client.openBidi()
    await s.end(Buffer.alloc(100_000))
    await readAll(s)
    const st = client.stats()
    expect(st.packetsSent).toBeGreaterThan(0)
    expect(st.bytesSent).toBeGreaterThan(100_000)
    expect(st.bytesReceived).toBeGreaterThan(100_000)
    // The engine reports RTT in whole milliseconds, so loopback often reads 0.
    expect(Number.isFinite(st.rttMs)).toBe(true)
    expect(st.cwnd).toBeGreaterThan(0)
    expect(st.streamsOpened).toBe(1)
    const es = bed.server.stats()
    expect(es.connectionsAccepted).toBe(1)
    expect(es.connectionsActive).toBe(1)
    expect(es.packetsReceived).toBeGreaterThan(0)
  })
})

describe('datagram queue', () => {
  it('counts datagrams dropped by a full send queue instead of reporting them sent', async () => {
    const bed = await startQuicTestbed()
    try {
      const { client } = await bed.pair()
      for (let i = 0; i < 5_000; i++) client.sendDatagram(Buffer.alloc(100))
      const st = client.stats()
      expect(st.datagramsSent + st.datagramsDropped).toBe(5_000)
      expect(st.datagramsDropped).toBeGreaterThan(0)
    } finally {
      await bed.close()
    }
  })

  it('reports a port already in use as ERR_BIND_FAILED', async () => {
    const bed = await startQuicTestbed()
    try {
      await expect(createEndpoint({ port: bed.server.address.port })).rejects.toMatchObject({ code: 'ERR_BIND_FAILED' })
    } finally {
      await bed.close()
    }
  })
})
