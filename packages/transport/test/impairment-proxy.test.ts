import { createSocket, type Socket } from 'node:dgram'
import { type ImpairmentProxy, type ImpairmentProxyOptions, startImpairmentProxy } from '@qms/test-utils'
import { afterEach, describe, expect, it } from 'vitest'

/** A UDP echo server and a client socket that records the 32-bit sequence numbers echoed back to it. */
interface Rig {
  proxy: ImpairmentProxy
  echo: Socket
  /** Sequence numbers the echo server received, in arrival order. */
  atServer: number[]
  clients: Client[]
}

interface Client {
  socket: Socket
  /** Sequence numbers echoed back to this client, in arrival order. */
  received: number[]
  send(seq: number): void
}

const open: Rig[] = []

function bound(socket: Socket): Promise<Socket> {
  return new Promise((resolve) => socket.bind(0, '127.0.0.1', () => resolve(socket)))
}

async function rig(options: Omit<ImpairmentProxyOptions, 'target'>, clientCount = 1): Promise<Rig> {
  const echo = await bound(createSocket('udp4'))
  const atServer: number[] = []
  echo.on('message', (msg, from) => {
    atServer.push(msg.readUInt32BE(0))
    echo.send(msg, from.port, from.address)
  })
  const proxy = await startImpairmentProxy({ ...options, target: { host: '127.0.0.1', port: echo.address().port } })
  const clients: Client[] = []
  for (let i = 0; i < clientCount; i++) {
    const socket = await bound(createSocket('udp4'))
    const received: number[] = []
    socket.on('message', (msg) => received.push(msg.readUInt32BE(0)))
    const send = (seq: number) => {
      const buf = Buffer.alloc(16)
      buf.writeUInt32BE(seq)
      socket.send(buf, proxy.address.port, proxy.address.host)
    }
    clients.push({ socket, received, send })
  }
  const r = { proxy, echo, atServer, clients }
  open.push(r)
  return r
}

async function until(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 5))
  }
}

/** Sends `count` datagrams in small bursts, waiting for the proxy to take each burst so no socket buffer overflows. */
async function pump(r: Rig, client: Client, count: number, burst = 100): Promise<void> {
  const start = r.proxy.stats().toServer.received
  for (let seq = 0; seq < count; seq += burst) {
    const end = Math.min(count, seq + burst)
    for (let s = seq; s < end; s++) client.send(s)
    await until(() => r.proxy.stats().toServer.received >= start + end, `burst up to ${end}`)
  }
}

const settle = () => new Promise((r) => setTimeout(r, 50))

afterEach(async () => {
  for (const r of open.splice(0)) {
    await r.proxy.close()
    r.echo.close()
    for (const c of r.clients) c.socket.close()
  }
})

describe('impairment proxy', () => {
  it('relays both ways untouched when no impairment is set', async () => {
    const r = await rig({ seed: 1 })
    await pump(r, r.clients[0]!, 500)
    await until(() => r.clients[0]!.received.length === 500, 'all echoes')
    expect(r.clients[0]!.received).toEqual([...Array(500).keys()])
    expect(r.proxy.stats().toClient).toMatchObject({ received: 500, forwarded: 500, dropped: 0 })
  })

  it('drops close to the configured share of 10,000 datagrams, reproducibly for a seed', async () => {
    const run = async () => {
      const r = await rig({ seed: 42, loss: 0.1 })
      await pump(r, r.clients[0]!, 10_000)
      await until(() => r.atServer.length === r.proxy.stats().toServer.forwarded, 'forwarded datagrams')
      return r
    }
    const a = await run()
    const { toServer } = a.proxy.stats()
    expect(toServer.received).toBe(10_000)
    expect(toServer.dropped / toServer.received).toBeGreaterThan(0.09)
    expect(toServer.dropped / toServer.received).toBeLessThan(0.11)
    expect(toServer.forwarded).toBe(10_000 - toServer.dropped)
    const b = await run()
    expect(b.atServer).toEqual(a.atServer)
  })

  it('applies loss independently on the way back', async () => {
    const r = await rig({ seed: 7, loss: 0.2 })
    await pump(r, r.clients[0]!, 2_000)
    await until(() => r.proxy.stats().toClient.received === r.proxy.stats().toServer.forwarded, 'echoes at the proxy')
    const { toClient } = r.proxy.stats()
    expect(toClient.dropped / toClient.received).toBeGreaterThan(0.15)
    expect(toClient.dropped / toClient.received).toBeLessThan(0.25)
    await until(() => r.clients[0]!.received.length === toClient.forwarded, 'echoes')
  })

  it('duplicates datagrams', async () => {
    const r = await rig({ seed: 3, duplicate: 0.25 })
    await pump(r, r.clients[0]!, 2_000)
    const { toServer } = r.proxy.stats()
    await until(() => r.atServer.length === 2_000 + toServer.duplicated, 'duplicates')
    expect(toServer.duplicated).toBeGreaterThan(400)
    expect(toServer.duplicated).toBeLessThan(600)
    expect(new Set(r.atServer).size).toBe(2_000)
  })

  it('reorders datagrams without losing any', async () => {
    const r = await rig({ seed: 5, reorder: 0.2 })
    await pump(r, r.clients[0]!, 2_000)
    await until(() => r.atServer.length === 2_000, 'all datagrams')
    const outOfOrder = r.atServer.filter((seq, i) => i > 0 && seq < r.atServer[i - 1]!).length
    expect(outOfOrder).toBeGreaterThan(100)
    expect([...r.atServer].sort((x, y) => x - y)).toEqual([...Array(2_000).keys()])
    expect(r.proxy.stats().toServer.reordered).toBeGreaterThan(100)
  })

  it('releases a held-back datagram that has no successor', async () => {
    const r = await rig({ seed: 9, reorder: 1 })
    r.clients[0]!.send(1)
    await until(() => r.atServer.length === 1, 'the lone datagram')
    expect(r.atServer).toEqual([1])
  })

  it('keeps order under a fixed delay and reorders under jitter', async () => {
    const steady = await rig({ seed: 11, delayMs: 5 })
    await pump(steady, steady.clients[0]!, 500)
    await until(() => steady.atServer.length === 500, 'delayed datagrams')
    expect(steady.atServer).toEqual([...Array(500).keys()])

    const jittery = await rig({ seed: 11, delayMs: 1, jitterMs: 20 })
    await pump(jittery, jittery.clients[0]!, 500)
    await until(() => jittery.atServer.length === 500, 'jittered datagrams')
    expect(jittery.atServer).not.toEqual([...Array(500).keys()])
  })

  it('caps the delay queue and counts what it had to drop', async () => {
    const r = await rig({ seed: 13, delayMs: 2_000, maxQueued: 10 })
    await pump(r, r.clients[0]!, 50, 50)
    const { toServer, queued } = r.proxy.stats()
    expect(queued).toBe(10)
    expect(toServer.overflowed).toBe(40)
    expect(toServer.dropped).toBe(40)
  })

  it('drops everything while blackholed and recovers when the link comes back', async () => {
    const r = await rig({ seed: 17 })
    r.proxy.setImpairment({ blackhole: true })
    await pump(r, r.clients[0]!, 100)
    await settle()
    expect(r.atServer).toEqual([])
    expect(r.proxy.stats().toServer.dropped).toBe(100)

    r.proxy.setImpairment({ blackhole: false })
    r.clients[0]!.send(100)
    await until(() => r.clients[0]!.received.length === 1, 'echo after recovery')
    expect(r.clients[0]!.received).toEqual([100])
  })

  it('keeps clients apart: each gets only its own echoes', async () => {
    const r = await rig({ seed: 19 }, 2)
    const [a, b] = r.clients as [Client, Client]
    for (let i = 0; i < 50; i++) {
      a.send(i)
      b.send(1_000 + i)
    }
    await until(() => a.received.length === 50 && b.received.length === 50, 'both clients')
    expect(a.received.every((s) => s < 1_000)).toBe(true)
    expect(b.received.every((s) => s >= 1_000)).toBe(true)
    expect(r.proxy.stats().clients).toBe(2)
  })

  it('rejects probabilities outside 0..1', async () => {
    await expect(startImpairmentProxy({ target: { host: '127.0.0.1', port: 9 }, seed: 1, loss: 1.5 })).rejects.toThrow(
      RangeError,
    )
    const r = await rig({ seed: 1 })
    expect(() => r.proxy.setImpairment({ duplicate: -0.1 })).toThrow(RangeError)
  })

  it('discards queued datagrams on close, and closing twice is harmless', async () => {
    const r = await rig({ seed: 23, delayMs: 100 })
    r.clients[0]!.send(1)
    await until(() => r.proxy.stats().queued === 1, 'queued datagram')
    await r.proxy.close()
    await r.proxy.close()
    expect(r.proxy.stats().queued).toBe(0)
    await new Promise((resolve) => setTimeout(resolve, 200))
    expect(r.atServer).toEqual([])
  })
})
