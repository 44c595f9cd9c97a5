// A peer process that dies without a word (kill -9, power loss) leaves our QUIC connection to it open until the idle
// timeout. When the restarted peer says hello again, its new connection must take over at once.
import { afterEach, describe, expect, it } from 'vitest'
import { type Cluster, createCluster, Event, Found, gate, Result, RunLookup, RunTask, until } from './harness.js'

describe('a peer restarted under the same id (quic)', () => {
  let cluster: Cluster
  afterEach(async () => {
    await cluster.close()
  })

  it('replaces the dead connection as soon as the new process says hello: requests fail over, critical messages are redelivered', async () => {
    cluster = createCluster('quic')
    // Far longer than this test may take: only the new hello can retire the dead connection in time.
    const a = await cluster.agent('a', { endpoint: { idleTimeoutMs: 120_000 } })
    a.handle(RunLookup, ({ key }) => Found.of({ value: `a:${key}` }))
    const old = await cluster.agent('b')
    const stuck = gate()
    const oldStarted = { request: gate(), critical: gate() }
    old.handle(RunTask, async (t) => {
      oldStarted.request.open()
      await stuck.promise
      return Result.of({ id: t.id, doubled: 0 })
    })
    old.on(Event, async () => {
      oldStarted.critical.open()
      await stuck.promise
    })

    const request = a.request('b', RunTask, { id: 'r1', n: 1 }, { timeout: 60_000 }).catch((e: unknown) => e)
    const critical = a.sendCritical('b', Event, { seq: 1 }, { timeout: 60_000 })
    await Promise.all([oldStarted.request.promise, oldStarted.critical.promise])
    expect(a.stats().pool.connections).toBe(1)

    // The old process stops dead: nothing more leaves or reaches it, and it never closes its connection.
    cluster.cut('b')
    const handled: number[] = []
    const fresh = await cluster.agent('b', { transport: (o) => cluster.endpoint('b-restarted', o) })
    fresh.on(Event, ({ seq }) => {
      handled.push(seq)
    })
    fresh.handle(RunTask, (t) => Result.of({ id: t.id, doubled: t.n * 2 }))
    // Its first call to `a` is the hello that tells `a` about the restart.
    expect(await fresh.request('a', RunLookup, { key: 'k' })).toEqual({ value: 'a:k' })

    expect(await request).toMatchObject({ code: 'ERR_PEER_UNREACHABLE' })
    await critical
    expect(handled).toEqual([1])
    expect(a.stats().pool).toMatchObject({ replaced: 1, connections: 1 })
    expect(await a.request('b', RunTask, { id: 'r2', n: 21 })).toEqual({ id: 'r2', doubled: 42 })
    stuck.open()
  })

  it('holds a redelivered critical message until the restarted peer has registered its handler', async () => {
    cluster = createCluster('quic')
    const a = await cluster.agent('a', { endpoint: { idleTimeoutMs: 120_000 } })
    a.handle(RunLookup, ({ key }) => Found.of({ value: `a:${key}` }))
    const old = await cluster.agent('b')
    const started = gate()
    const stuck = gate()
    old.on(Event, async () => {
      started.open()
      await stuck.promise
    })
    const critical = a.sendCritical('b', Event, { seq: 9 }, { timeout: 60_000 })
    await started.promise
    cluster.cut('b')

    const fresh = await cluster.agent('b', { transport: (o) => cluster.endpoint('b-restarted', o) })
    // Connected, but no handler yet: the redelivery is refused as "not yet", not failed.
    await fresh.request('a', RunLookup, { key: 'k' })
    await until(() => a.stats().critical.retries >= 2, 'redeliveries to the new instance')
    expect(fresh.stats().errors.ERR_UNKNOWN_TYPE).toBeGreaterThanOrEqual(1)
    const handled: number[] = []
    fresh.on(Event, ({ seq }) => {
      handled.push(seq)
    })
    await critical
    expect(handled).toEqual([9])
    stuck.open()
  })
})
