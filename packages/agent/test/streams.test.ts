import { afterEach, describe, expect, it } from 'vitest'
import { type Cluster, createCluster, Event, gate, Task, until } from './harness.js'

describe('named streams', () => {
  let cluster: Cluster
  afterEach(async () => {
    await cluster.close()
  })

  it('carries typed messages both ways', async () => {
    cluster = createCluster()
    const a = await cluster.agent('a')
    const b = await cluster.agent('b')
    b.onStream('compare', async (stream, ctx) => {
      expect(ctx.from).toBe('a')
      for await (const task of stream.messages(Task)) await stream.send(Event, { seq: task.n * 10 })
    })
    const s = await a.openStream('b', 'compare')
    await s.send(Task, { id: 'x', n: 1 })
    await s.send(Task, { id: 'y', n: 2 })
    await s.end()
    const back: unknown[] = []
    for await (const m of s) back.push(m)
    expect(back).toEqual([
      { type: 'event', body: { seq: 10 } },
      { type: 'event', body: { seq: 20 } },
    ])
    expect(a.stats().streams.opened).toBe(1)
    expect(b.stats().streams.accepted).toBe(1)
  })

  it('gives raw byte access after the opening exchange', async () => {
    cluster = createCluster()
    const a = await cluster.agent('a')
    const b = await cluster.agent('b')
    b.onStream('blob', async (stream) => {
      let total = 0
      for await (const chunk of stream.bytes()) total += chunk.byteLength
      await stream.writeBytes(new TextEncoder().encode(String(total)))
    })
    const s = await a.openStream('b', 'blob')
    for (let i = 0; i < 10; i++) await s.writeBytes(new Uint8Array(1000))
    await s.end()
    let answer = ''
    for await (const chunk of s.bytes()) answer += new TextDecoder().decode(chunk)
    expect(answer).toBe('10000')
  })

  it('applies backpressure: send waits while the reader does not read', async () => {
    cluster = createCluster()
    const a = await cluster.agent('a')
    const b = await cluster.agent('b', { endpoint: { streamWindow: 256 } })
    const startReading = gate()
    const read: number[] = []
    b.onStream('slow', async (stream) => {
      await startReading.promise
      for await (const e of stream.messages(Event)) read.push(e.seq)
    })
    const s = await a.openStream('b', 'slow')
    let sent = 0
    const writer = (async () => {
      for (let i = 0; i < 50; i++) {
        await s.send(Event, { seq: i })
        sent++
      }
      await s.end()
    })()
    await new Promise((r) => setImmediate(r))
    await new Promise((r) => setImmediate(r))
    expect(sent).toBeLessThan(50)
    startReading.open()
    await writer
    expect(sent).toBe(50)
    await until(() => read.length === 50, 'the reader to catch up')
  })

  it('refuses a stream name nobody handles with ERR_NO_RESPONDERS', async () => {
    cluster = createCluster()
    const a = await cluster.agent('a')
    await cluster.agent('b')
    await expect(a.openStream('b', 'nope')).rejects.toMatchObject({ code: 'ERR_NO_RESPONDERS' })
  })
})

describe('datagrams (notify)', () => {
  let cluster: Cluster
  afterEach(async () => {
    await cluster.close()
  })

  it('delivers to onNotify handlers and refuses payloads that can never fit', async () => {
    cluster = createCluster()
    const a = await cluster.agent('a')
    const b = await cluster.agent('b')
    const got: number[] = []
    b.onNotify(Event, ({ seq }) => {
      got.push(seq)
    })
    expect(await a.notify('b', Event, { seq: 1 })).toBe(true)
    expect(await a.notify('b', Event, { seq: 2 })).toBe(true)
    await until(() => got.length === 2, 'datagrams')
    expect(got.sort()).toEqual([1, 2])
    await expect(a.notify('b', Task, { id: 'x'.repeat(5_000), n: 1 })).rejects.toMatchObject({
      code: 'ERR_DATAGRAM_TOO_LARGE',
    })
    expect(await a.notify('nobody', Event, { seq: 3 })).toBe(false)
    expect(a.stats().notifications).toMatchObject({ sent: 2, dropped: 1 })
  })
})
