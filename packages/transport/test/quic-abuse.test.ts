import { randomBytes } from 'node:crypto'
import * as dgram from 'node:dgram'
import { echoStreams, readAll, serverCert, startQuicTestbed } from '@qms/test-utils'
import { createEndpoint, type QuicConnection } from '@quic-multistream/transport'
import { afterEach, describe, expect, it } from 'vitest'

async function echoWorks(conn: QuicConnection, text: string): Promise<boolean> {
  const s = await conn.openBidi()
  await s.end(Buffer.from(text))
  return (await readAll(s)).toString() === text
}

function udpSocket(): Promise<dgram.Socket> {
  return new Promise((resolve) => {
    const s = dgram.createSocket('udp4')
    s.bind(0, '127.0.0.1', () => resolve(s))
  })
}

function sendAll(sock: dgram.Socket, packets: Buffer[], port: number): Promise<void> {
  let left = packets.length
  return new Promise((resolve) => {
    if (left === 0) resolve()
    for (const p of packets)
      sock.send(p, port, '127.0.0.1', () => {
        if (--left === 0) resolve()
      })
  })
}

/** A UDP relay between one client and the server that records what passes and can inject datagrams as either side. */
async function startRecordingRelay(target: { host: string; port: number }) {
  const front = await udpSocket()
  const back = await udpSocket()
  const toServer: Buffer[] = []
  const toClient: Buffer[] = []
  let client: dgram.RemoteInfo | undefined
  front.on('message', (m, r) => {
    client = r
    toServer.push(m)
    back.send(m, target.port, target.host)
  })
  back.on('message', (m) => {
    toClient.push(m)
    if (client) front.send(m, client.port, client.address)
  })
  return {
    address: { host: '127.0.0.1', port: front.address().port },
    toServer,
    toClient,
    /** Sends as the client (from the relay's upstream address, which the server knows as the client's). */
    injectToServer: (packets: Buffer[]) => sendAll(back, packets, target.port),
    /** Sends as the server (from the relay's front address, which the client knows as the server's). */
    injectToClient: (packets: Buffer[]) => (client ? sendAll(front, packets, client.port) : Promise.resolve()),
    close: () => {
      front.close()
      back.close()
    },
  }
}

function mutate(p: Buffer, i: number): Buffer {
  const m = Buffer.from(p)
  switch (i % 4) {
    case 0: // flip one byte
      m[i % m.length] = (m[i % m.length] as number) ^ (1 + (i % 255))
      return m
    case 1: // truncate
      return m.subarray(0, i % m.length)
    case 2: // flip several bytes
      for (let k = 0; k < 8; k++) {
        const j = (i * 31 + k * 97) % m.length
        m[j] = (m[j] as number) ^ 0x5a
      }
      return m
    default: // extend with garbage
      return Buffer.concat([m, randomBytes(1 + (i % 64))])
  }
}

describe('bad input on the wire', () => {
  let close: (() => Promise<void>) | undefined
  afterEach(async () => close?.())

  it('drops 100,000 garbage datagrams, counts them, and keeps serving an established connection', async () => {
    const bed = await startQuicTestbed()
    close = bed.close
    const { client, server } = await bed.pair()
    echoStreams(server)
    const attacker = await udpSocket()
    try {
      const port = bed.server.address.port
      for (let round = 0; round < 100; round++) {
        const batch = Array.from({ length: 1000 }, (_, i) => randomBytes(1 + ((round * 1000 + i) % 1400)))
        const target = bed.server.stats().packetsReceived + batch.length
        await sendAll(attacker, batch, port)
        // Pace the flood so the kernel's receive buffer (not the endpoint) is never what drops it.
        for (let w = 0; w < 50 && bed.server.stats().packetsReceived < target; w++)
          await new Promise((r) => setTimeout(r, 2))
        if (round % 10 === 0) expect(await echoWorks(client, `round ${round}`)).toBe(true)
      }
      expect(await echoWorks(client, 'after the flood')).toBe(true)
      // Let the socket drain what is queued, then every garbage datagram must have been counted.
      await new Promise((r) => setTimeout(r, 200))
      const st = bed.server.stats()
      expect(st.badPacketsDropped).toBeGreaterThanOrEqual(99_000)
      // Everything the server received that was not the client's traffic was counted as bad.
      expect(st.badPacketsDropped).toBeGreaterThanOrEqual(st.packetsReceived - bed.client.stats().packetsSent)
      expect(bed.server.stats().connectionsActive).toBe(1)
      expect(client.isOpen && server.isOpen).toBe(true)
    } finally {
      attacker.close()
    }
  })

  it('drops truncated and mutated copies of real packets sent from the peers own addresses', async () => {
    const cert = await serverCert()
    const server = await createEndpoint({ tls: { cert: cert.cert, key: cert.key } })
    const relay = await startRecordingRelay(server.address)
    const client = await createEndpoint({ tls: { pinSha256: [cert.sha256] } })
    close = async () => {
      await client.close({ timeoutMs: 300 })
      await server.close({ timeoutMs: 300 })
      relay.close()
    }
    const accepted = server.incomingConnections[Symbol.asyncIterator]().next()
    const conn = await client.connect(relay.address)
    const serverConn = (await accepted).value as QuicConnection
    echoStreams(serverConn)
    expect(await echoWorks(conn, 'warm up')).toBe(true)
    const seenToServer = relay.toServer.slice()
    const seenToClient = relay.toClient.slice()
    const badBefore = server.stats().badPacketsDropped + client.stats().badPacketsDropped
    for (let round = 0; round < 10; round++) {
      await relay.injectToServer(
        Array.from({ length: 250 }, (_, i) => mutate(seenToServer[i % seenToServer.length]!, round * 250 + i)),
      )
      await relay.injectToClient(
        Array.from({ length: 250 }, (_, i) => mutate(seenToClient[i % seenToClient.length]!, round * 250 + i)),
      )
      expect(await echoWorks(conn, `round ${round}`)).toBe(true)
    }
    await new Promise((r) => setTimeout(r, 100))
    expect(server.stats().badPacketsDropped + client.stats().badPacketsDropped).toBeGreaterThan(badBefore + 1000)
    expect(conn.isOpen && serverConn.isOpen).toBe(true)
  })

  it('answers a packet of an unknown QUIC version with Version Negotiation', async () => {
    const bed = await startQuicTestbed()
    close = bed.close
    const sock = await udpSocket()
    try {
      const pkt = Buffer.alloc(1200)
      pkt[0] = 0xc0 // long header, fixed bit
      pkt.writeUInt32BE(0x0a1a2a3a, 1) // a reserved (greasing) version nobody speaks
      pkt[5] = 8
      randomBytes(8).copy(pkt, 6) // dcid
      pkt[14] = 8
      randomBytes(8).copy(pkt, 15) // scid
      const reply = new Promise<Buffer>((resolve) => sock.once('message', (m) => resolve(m)))
      sock.send(pkt, bed.server.address.port, '127.0.0.1')
      const vn = await reply
      expect((vn[0] as number) & 0x80).toBe(0x80)
      expect(vn.readUInt32BE(1)).toBe(0) // version 0 marks Version Negotiation
      const versions: number[] = []
      const listStart = 1 + 4 + 1 + (vn[5] as number) + 1 + (vn[6 + (vn[5] as number)] as number)
      for (let off = listStart; off + 4 <= vn.length; off += 4) versions.push(vn.readUInt32BE(off))
      expect(versions).toContain(1)
      expect(bed.server.stats().versionNegotiationsSent).toBe(1)
    } finally {
      sock.close()
    }
  })

  it('ignores client Initials smaller than 1,200 bytes (anti-amplification)', async () => {
    const bed = await startQuicTestbed()
    close = bed.close
    const sock = await udpSocket()
    try {
      const pkt = Buffer.alloc(300)
      pkt[0] = 0xc0
      pkt.writeUInt32BE(1, 1)
      pkt[5] = 8
      pkt[14] = 8
      let answered = false
      sock.on('message', () => {
        answered = true
      })
      sock.send(pkt, bed.server.address.port, '127.0.0.1')
      await new Promise((r) => setTimeout(r, 100))
      expect(answered).toBe(false)
      expect(bed.server.stats().badPacketsDropped).toBe(1)
    } finally {
      sock.close()
    }
  })
})
