import { isQmsError } from '@quic-multistream/agent'
import { afterEach, describe, expect, it } from 'vitest'
import { type Cluster, createCluster, Event, transports, until } from './harness.js'

describe.each(transports)('sendCritical over %s', (kind) => {
  let cluster: Cluster
  afterEach(async () => {
    await cluster.close()
  })

  it('resolves once the peer’s handler has run', async () => {
    cluster = createCluster(kind)
    const a = await cluster.agent('a')
    const b = await cluster.agent('b')
    const seen: number[] = []
    b.on(Event, async ({ seq }, ctx) => {
      expect(ctx.lane).toBe('critical')
      await new Promise((r) => setTimeout(r, 5))
      seen.push(seq)
    })
    await a.sendCritical('b', Event, { seq: 1 })
    expect(seen).toEqual([1])
    expect(a.stats().critical).toMatchObject({ sent: 1, acked: 1 })
    expect(a.stats().lanes.critical.sent).toBe(1)
  })

  it('redelivers when the connection drops before the ack, and the handler still runs once', async () => {
    cluster = createCluster(kind)
    const a = await cluster.agent('a')
    const b = await cluster.agent('b')
    let runs = 0
    b.on(Event, () => {
      runs++
      // The handler has run, but the path dies before its acknowledgement can leave.
      cluster.cut('a')
    })
    const sending = a.sendCritical('b', Event, { seq: 7 })
    await until(() => a.stats().critical.retries >= 1, 'the sender to notice the loss and retry')
    cluster.heal('a')
    await sending
    expect(runs).toBe(1)
    expect(b.stats().dedupHits).toBe(1)
    expect(a.stats().pool.reconnects).toBeGreaterThanOrEqual(1)
  })

  it('keeps trying while the peer is cut off and delivers once it is back', async () => {
    cluster = createCluster(kind)
    const a = await cluster.agent('a')
    const b = await cluster.agent('b')
    const seen: number[] = []
    b.on(Event, ({ seq }) => {
      seen.push(seq)
    })
    cluster.cut('b')
    const sending = a.sendCritical('b', Event, { seq: 3 })
    await until(() => a.stats().pool.dialFailures >= 2, 'failed dials while cut off')
    cluster.heal('b')
    await sending
    expect(seen).toEqual([3])
  })

  it('fails at once with ERR_NO_RESPONDERS when the peer knows the type but has no handler for it', async () => {
    cluster = createCluster(kind)
    const a = await cluster.agent('a')
    const b = await cluster.agent('b', { messages: [Event] })
    await expect(a.sendCritical('b', Event, { seq: 1 })).rejects.toMatchObject({ code: 'ERR_NO_RESPONDERS' })
    expect(a.stats().critical.retries).toBe(0)
    expect(b.stats().errors.ERR_NO_RESPONDERS).toBe(1)
  })

  it('reports a throwing handler as ERR_REMOTE', async () => {
    cluster = createCluster(kind)
    const a = await cluster.agent('a')
    const b = await cluster.agent('b')
    b.on(Event, () => {
      throw new Error('disk full')
    })
    const err = await a.sendCritical('b', Event, { seq: 1 }).catch((e: unknown) => e)
    expect(isQmsError(err, 'ERR_REMOTE')).toBe(true)
  })

  it('gives up with ERR_TIMEOUT when no acknowledgement arrives in time', async () => {
    cluster = createCluster(kind)
    const a = await cluster.agent('a')
    const b = await cluster.agent('b')
    b.on(Event, () => {})
    cluster.cut('b')
    await expect(a.sendCritical('b', Event, { seq: 1 }, { timeout: 50 })).rejects.toMatchObject({ code: 'ERR_TIMEOUT' })
  })
})
