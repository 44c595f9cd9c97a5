import { defineMessage } from '@quic-multistream/protocol'
import { afterEach, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { type Cluster, createCluster, Event, gate, until } from './harness.js'

const Alarm = defineMessage('alarm', z.object({ level: z.number() }))

describe('priority lanes', () => {
  let cluster: Cluster
  afterEach(async () => {
    await cluster.close()
  })

  it('sends each message on the lane asked for', async () => {
    cluster = createCluster()
    const a = await cluster.agent('a')
    const b = await cluster.agent('b')
    const lanes: string[] = []
    b.on(Event, (_e, ctx) => {
      lanes.push(ctx.lane)
    })
    for (const priority of ['high', 'normal', 'low', 'background'] as const)
      await a.send('b', Event, { seq: 1 }, { priority })
    await until(() => lanes.length === 4, 'deliveries')
    expect(lanes.sort()).toEqual(['background', 'high', 'low', 'normal'])
    expect(a.stats().lanes.low.sent).toBe(1)
    expect(b.stats().lanes.background.received).toBe(1)
  })

  it('when a lane is full, waits (abortable) or fails fast, while critical messages still get through', async () => {
    cluster = createCluster()
    const a = await cluster.agent('a', { pool: { laneCapacity: { normal: 2 } } })
    // b runs one handler at a time and buffers little, so a jammed handler backs up a's normal lane.
    const b = await cluster.agent('b', { maxConcurrentHandlers: 1, endpoint: { streamWindow: 256 } })
    const release = gate()
    b.on(Event, () => release.promise)
    const alarms: number[] = []
    b.on(Alarm, ({ level }) => {
      alarms.push(level)
    })

    // Each send resolves only once the transport took it, so the jammed ones stay pending; keep adding until one
    // is refused.
    let full: unknown
    const accepted: Promise<void>[] = []
    for (let i = 0; i < 500 && !full; i++) {
      const sending = a.send('b', Event, { seq: i }, { failFast: true })
      sending.catch((e: unknown) => {
        full = e
      })
      accepted.push(sending.catch(() => {}))
      await new Promise((r) => setImmediate(r))
    }
    expect(full).toMatchObject({ code: 'ERR_QUEUE_FULL' })
    expect(a.stats().lanes.normal.rejectedFull).toBe(1)

    const ac = new AbortController()
    const waiting = a.send('b', Event, { seq: -1 }, { signal: ac.signal })
    ac.abort()
    await expect(waiting).rejects.toMatchObject({ code: 'ERR_ABORTED' })

    await a.sendCritical('b', Alarm, { level: 9 })
    expect(alarms).toEqual([9])

    release.open()
    await Promise.all(accepted)
    await a.send('b', Event, { seq: 1_000 })
  })
})
