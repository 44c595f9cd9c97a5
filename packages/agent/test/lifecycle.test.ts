import { freeUdpPort, type ImpairmentProxy, startImpairmentProxy } from '@qms/test-utils'
import { formatAddress, StaticRegistry } from '@quic-multistream/mesh'
import { afterEach, describe, expect, it } from 'vitest'
import { type Cluster, createCluster, Event, gate, Result, RunTask, transports } from './harness.js'

describe.each(transports)('agent lifecycle over %s', (kind) => {
  let cluster: Cluster
  afterEach(async () => {
    await cluster.close()
  })

  it('publishes its address, capabilities and subscriptions in the registry', async () => {
    const registry = new StaticRegistry()
    cluster = createCluster(kind, { registry })
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
    cluster = createCluster(kind)
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
    cluster = createCluster(kind)
    await expect(cluster.agent('no spaces')).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' })
  })
})

describe('agent behind a relay over quic', () => {
  let cluster: Cluster
  let relay: ImpairmentProxy | undefined
  afterEach(async () => {
    await cluster.close()
    await relay?.close()
  })

  it('registers the advertised address instead of the bound one, and peers reach it there', async () => {
    cluster = createCluster('quic')
    // Like a NAT or a UDP relay: the agent listens on one address and is reachable at another.
    const port = await freeUdpPort()
    relay = await startImpairmentProxy({ target: { host: '127.0.0.1', port }, seed: 1 })
    const advertised = formatAddress(relay.address)
    const b = await cluster.agent('b', { listen: `127.0.0.1:${port}`, advertise: advertised })
    b.handle(RunTask, (t) => Result.of({ id: t.id, doubled: t.n * 2 }))
    expect(b.address).toBe(advertised)
    expect((await cluster.registry.lookup('b'))?.addresses).toEqual([advertised])
    const a = await cluster.agent('a')
    expect(await a.request('b', RunTask, { id: 'r', n: 4 })).toEqual({ id: 'r', doubled: 8 })
    expect(relay.stats().toServer.forwarded).toBeGreaterThan(0)
  })
})
