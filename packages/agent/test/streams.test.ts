import { getEventListeners } from 'node:events'
import { defineMessage } from '@quic-multistream/protocol'
import { afterEach, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { type Cluster, createCluster, Event, gate, Task, transports, until } from './harness.js'

const Chunk = defineMessage('chunk', z.object({ seq: z.number(), data: z.string() }))

describe.each(transports)('named streams over %s', (kind) => {
  let cluster: Cluster
  afterEach(async () => {
    await cluster.close()
  })

  it('carries typed messages both ways', async () => {
    cluster = createCluster(kind)
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

  it('leaves no abort listener behind on a signal shared by many opens', async () => {
    cluster = createCluster(kind)
    const a = await cluster.agent('a')
    const b = await cluster.agent('b')
    b.onStream('short', async (stream) => {
      await stream.end()
    })
    const shared = new AbortController()
    for (let i = 0; i < 20; i++) {
      const s = await a.openStream('b', 'short', { signal: shared.signal })
      await s.end()
      for await (const _ of s) break
    }
    expect(getEventListeners(shared.signal, 'abort')).toHaveLength(0)
  })

  it('gives raw byte access after the opening exchange', async () => {
    cluster = createCluster(kind)
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
    cluster = createCluster(kind)
    const a = await cluster.agent('a')
    const b = await cluster.agent('b', { endpoint: { streamWindow: 256 } })
    const startReading = gate()
    const read: number[] = []
    b.onStream('slow', async (stream) => {
      await startReading.promise
      for await (const m of stream.messages(Chunk)) read.push(m.seq)
    })
    const s = await a.openStream('b', 'slow')
    // 6.4 MiB: more than the reader's flow-control window and its transport's read buffer together.
    const total = 100
    const data = 'x'.repeat(64 * 1024)
    let sent = 0
    const writer = (async () => {
      for (let seq = 0; seq < total; seq++) {
        await s.send(Chunk, { seq, data })
        sent++
      }
      await s.end()
    })()
    writer.catch(() => {}) // awaited below; a failure must not also surface as unhandled during cleanup
    // Asserting that something does not happen needs a pause: the writer gets ample time to run ahead, and must not.
    await new Promise((r) => setTimeout(r, 200))
    expect(sent).toBeLessThan(total)
    startReading.open()
    await writer
    expect(sent).toBe(total)
    await until(() => read.length === total, 'the reader to catch up')
    expect(read).toEqual(Array.from({ length: total }, (_, i) => i))
  })

  it('refuses a stream name nobody handles with ERR_NO_RESPONDERS', async () => {
    cluster = createCluster(kind)
    const a = await cluster.agent('a')
    await cluster.agent('b')
    await expect(a.openStream('b', 'nope')).rejects.toMatchObject({ code: 'ERR_NO_RESPONDERS' })
  })
})

describe.each(transports)('datagrams (notify) over %s', (kind) => {
  let cluster: Cluster
  afterEach(async () => {
    await cluster.close()
  })

  it('delivers to onNotify handlers and refuses payloads that can never fit', async () => {
    cluster = createCluster(kind)
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
    // Larger than any UDP datagram, so it can never fit whatever the path allows.
    await expect(a.notify('b', Task, { id: 'x'.repeat(70_000), n: 1 })).rejects.toMatchObject({
      code: 'ERR_DATAGRAM_TOO_LARGE',
    })
    expect(await a.notify('nobody', Event, { seq: 3 })).toBe(false)
    expect(a.stats().notifications).toMatchObject({ sent: 2, dropped: 1 })
  })
})
