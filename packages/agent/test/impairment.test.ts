import { afterEach, describe, expect, it } from 'vitest'
import { type Cluster, createCluster, Event, Result, RunTask } from './harness.js'

describe('agents over a damaged path (quic)', () => {
  let cluster: Cluster
  afterEach(async () => {
    await cluster.close()
  })

  it('loses no request and handles each critical message exactly once at 10% loss with reordering and jitter', async () => {
    cluster = createCluster('quic', { impairment: { loss: 0.1, reorder: 0.05, delayMs: 1, jitterMs: 2 }, seed: 4 })
    // Internet-sized packets (loopback allows 64 KB ones, which would carry everything in a handful of datagrams), and
    // timeouts that allow for the round trips of backoff loss costs handshakes and keep-alives.
    const patient = {
      pool: { dialTimeoutMs: 5_000 },
      endpoint: { maxUdpPayload: 1_350, idleTimeoutMs: 30_000, keepAliveMs: 5_000 },
    }
    const a = await cluster.agent('a', patient)
    const b = await cluster.agent('b', patient)
    b.handle(RunTask, (t) => Result.of({ id: t.id, doubled: t.n * 2 }))
    const handled = new Map<number, number>()
    b.on(Event, ({ seq }) => {
      handled.set(seq, (handled.get(seq) ?? 0) + 1)
    })

    // In waves, so that the traffic spans many round trips (and many lost and reordered packets), not a few bursts.
    const count = 1_000
    const wave = 50
    const options = { timeout: 30_000 }
    for (let start = 0; start < count; start += wave) {
      const ns = Array.from({ length: wave }, (_, i) => start + i)
      const replies = await Promise.all(ns.map((n) => a.request('b', RunTask, { id: `r${n}`, n }, options)))
      expect(replies).toEqual(ns.map((n) => ({ id: `r${n}`, doubled: 2 * n })))
      await Promise.all(ns.map((seq) => a.sendCritical('b', Event, { seq }, options)))
    }
    expect(a.stats().requests).toMatchObject({ sent: count, succeeded: count, failed: 0 })
    expect(a.stats().critical).toMatchObject({ sent: count, acked: count })
    expect(handled.size).toBe(count)
    expect([...handled.values()].every((runs) => runs === 1)).toBe(true)

    // The path really was damaged, both ways.
    const paths = cluster.paths()
    const total = (pick: (p: (typeof paths)[number]) => number) => paths.reduce((sum, p) => sum + pick(p), 0)
    expect(total((p) => p.toServer.dropped)).toBeGreaterThan(0)
    expect(total((p) => p.toClient.dropped)).toBeGreaterThan(0)
    expect(total((p) => p.toServer.reordered + p.toClient.reordered)).toBeGreaterThan(0)
  })
})
