import { StaticRegistry } from '@quic-multistream/mesh'
import { afterEach, describe, expect, it } from 'vitest'
import { type Cluster, createCluster, Event, gate, Result, RunTask } from './harness.js'

describe('agent lifecycle', () => {
  let cluster: Cluster
  afterEach(async () => {
    await cluster.close()
  })

  it('publishes its address, capabilities and subscriptions in the registry', async () => {
    const registry = new StaticRegistry()
    cluster = createCluster(registry)
    const a = await cluster.agent('a', { meta: { role: 'planner' } })
    a.handle(RunTask, (t) => Result.of({ id: t.id, doubled: 0 }))
    a.on(Event, () => {})
    await a.subscribe('tasks.>', () => {}, { queue: 'q' }).ready
    expect(await registry.lookup('a')).toEqual({
      id: 'a',
      addresses: [a.address],
      capabilities: ['task', 'event'],
      subscriptions: [{ pattern: 'tasks.>', queue: 'q' }],
      meta: { role: 'planner' },
    })
  })

  it('stop lets in-flight requests finish, then leaves the registry and refuses new calls', async () => {
    cluster = createCluster()
    const a = await cluster.agent('a')
    const b = await cluster.agent('b')
    const started = gate()
    const finish = gate()
    b.handle(RunTask, async (t) => {
      started.open()
      await finish.promise
      return Result.of({ id: t.id, doubled: t.n * 2 })
    })
    const inflight = a.request('b', RunTask, { id: 'slow', n: 21 })
    await started.promise
    const stopping = b.stop()
    finish.open()
    expect(await inflight).toEqual({ id: 'slow', doubled: 42 })
    await stopping
    expect(await cluster.registry.lookup('b')).toBeUndefined()
    await expect(b.send('a', Event, { seq: 1 })).rejects.toMatchObject({ code: 'ERR_STOPPED' })
    await expect(a.request('b', RunTask, { id: 'x', n: 1 })).rejects.toMatchObject({ code: 'ERR_UNKNOWN_PEER' })
  })

  it('refuses an invalid agent id', async () => {
    cluster = createCluster()
    await expect(cluster.agent('no spaces')).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' })
  })
})
