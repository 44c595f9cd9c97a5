import { defineMessage } from '@quic-multistream/protocol'
import { afterEach, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { type Cluster, createCluster, Event, gate, transports, until } from './harness.js'

const Alarm = defineMessage('alarm', z.object({ level: z.number() }))
const Bulk = defineMessage('bulk', z.object({ data: z.string() }))

describe.each(transports)('priority lanes over %s', (kind) => {
  let cluster: Cluster
  afterEach(async () => {
    await cluster.close()
  })

  it('sends each message on the lane asked for', async () => {
    cluster = createCluster(kind)
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
    cluster = createCluster(kind)
    const a = await cluster.agent('a', { pool: { laneCapacity: { normal: 2 } } })
    // b runs one handler at a time and buffers little, so a jammed handler backs up a's normal lane.
    const b = await cluster.agent('b', { maxConcurrentHandlers: 1, endpoint: { streamWindow: 256 } })
    const release = gate()
    b.on(Bulk, () => release.promise)
    const alarms: number[] = []
    b.on(Alarm, ({ level }) => {
      alarms.push(level)
    })

    // More than the receiver's transport buffers and flow-control window together: once those are full, a's lane
    // queue stops draining, and these sends wait for room.
    const blob = 'x'.repeat(64 * 1024)
    const backlog = Array.from({ length: 40 }, () => a.send('b', Bulk, { data: blob }))
    await until(() => a.stats().lanes.normal.queued === 2, 'the lane to fill up')
    // Nothing can drain the lane between the check above and these calls (no I/O runs in between).
    const refused = a.send('b', Bulk, { data: 'now' }, { failFast: true })
    const ac = new AbortController()
    const waiting = a.send('b', Bulk, { data: 'later' }, { signal: ac.signal })
    ac.abort()
    await expect(refused).rejects.toMatchObject({ code: 'ERR_QUEUE_FULL' })
    await expect(waiting).rejects.toMatchObject({ code: 'ERR_ABORTED' })
    expect(a.stats().lanes.normal.rejectedFull).toBe(1)

    await a.sendCritical('b', Alarm, { level: 9 })
    expect(alarms).toEqual([9])

    release.open()
    await Promise.all(backlog)
    await a.send('b', Bulk, { data: 'after' })
  })
})

describe('priority lanes over quic under a flood', () => {
  let cluster: Cluster
  afterEach(async () => {
    await cluster.close()
  })

  it('handles critical messages sent after 20,000 queued background messages before that backlog drains', async () => {
    cluster = createCluster('quic')
    // Queuing the flood keeps the event loop busy for a while: no idle timeout should fire meanwhile.
    const steady = { endpoint: { idleTimeoutMs: 30_000 } }
    const a = await cluster.agent('a', steady)
    const b = await cluster.agent('b', steady)
    const flood = 20_000
    let background = 0
    b.on(Bulk, () => {
      background++
    })
    // How many background messages had been handled when each critical message was sent, and when it was handled.
    const sentAt: number[] = []
    const handledAt: number[] = []
    b.on(Alarm, () => {
      handledAt.push(background)
    })
    const blob = 'x'.repeat(1_024)
    const backlog = Array.from({ length: flood }, () => a.send('b', Bulk, { data: blob }, { priority: 'background' }))
    await until(() => background > 0, 'the flood to reach b')
    for (let level = 0; level < 10; level++) {
      sentAt.push(background)
      await a.sendCritical('b', Alarm, { level })
    }
    await Promise.all(backlog)
    await until(() => background === flood, 'the backlog to drain')
    expect(handledAt).toHaveLength(10)
    // A critical message waits only for background bytes already in flight or buffered at b (bounded by the flow
    // control windows), never for the rest of the lane: on one FIFO lane it would wait for the whole backlog.
    for (let i = 0; i < 10; i++) expect(handledAt[i]! - sentAt[i]!).toBeLessThan((flood - sentAt[i]!) / 2)
  })
})
