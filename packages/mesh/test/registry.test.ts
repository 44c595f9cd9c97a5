import {
  type AgentEntry,
  type RegistryEvent,
  RegistryServer,
  RegistryStore,
  RemoteRegistry,
  StaticRegistry,
} from '@quic-multistream/mesh'
import { afterEach, describe, expect, it } from 'vitest'
import { createMesh, type MemoryMesh, type Node, until, untilAsync } from './harness.js'

const entry = (id: string, extra: Partial<AgentEntry> = {}): AgentEntry => ({
  id,
  addresses: [`127.0.0.1:${id.length}`],
  capabilities: [],
  subscriptions: [],
  ...extra,
})

const addressOf = (n: Node) => `${n.endpoint.address.host}:${n.endpoint.address.port}`

describe('RegistryStore', () => {
  it('expires an entry whose heartbeats stop and announces it as down', async () => {
    const store = new RegistryStore({ sweepMs: 5 })
    const events: RegistryEvent[] = []
    store.watch((e) => events.push(e))
    store.put(entry('kept'), 60)
    store.put(entry('dropped'), 60)
    const beat = setInterval(() => store.touch('kept'), 10)
    await until(() => events.some((e) => e.type === 'down'), 'expiry')
    clearInterval(beat)
    expect(events.filter((e) => e.type === 'down')).toEqual([{ type: 'down', id: 'dropped', reason: 'expired' }])
    expect(store.get('kept')).toBeDefined()
    store.close()
  })

  it('announces update only when an entry changed', () => {
    const store = new RegistryStore()
    const events: string[] = []
    store.watch((e) => events.push(e.type))
    store.put(entry('a'))
    store.put(entry('a'))
    store.put(entry('a', { capabilities: ['task'] }))
    expect(events).toEqual(['up', 'update'])
  })
})

describe('StaticRegistry', () => {
  it('resolves configured addresses and keeps them when an agent registers without one', async () => {
    const reg = new StaticRegistry({ planner: '10.0.0.1:4000', worker: { addresses: ['10.0.0.2:4000'] } })
    expect((await reg.lookup('planner'))?.addresses).toEqual(['10.0.0.1:4000'])
    await reg.register(entry('planner', { addresses: [], capabilities: ['task'] }))
    expect(await reg.lookup('planner')).toMatchObject({ addresses: ['10.0.0.1:4000'], capabilities: ['task'] })
    expect((await reg.list()).map((e) => e.id).sort()).toEqual(['planner', 'worker'])
    expect(await reg.lookup('nobody')).toBeUndefined()
  })
})

describe('embedded registry (RegistryServer + RemoteRegistry)', () => {
  let mesh: MemoryMesh
  const clients: RemoteRegistry[] = []
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()))
    await mesh.close()
  })

  async function setup(serverOptions = {}) {
    mesh = createMesh()
    const hub = await mesh.node('hub')
    const server = new RegistryServer(serverOptions)
    server.attach({ selfId: 'hub', pool: hub.pool })
    await server.register(entry('hub'))
    const client = async (id: string, options = {}) => {
      const node = await mesh.node(id)
      const reg = new RemoteRegistry({ address: addressOf(hub), id: 'hub', ...options })
      reg.attach({ selfId: id, pool: node.pool })
      clients.push(reg)
      return { node, reg }
    }
    return { hub, server, client }
  }

  it('lets agents register over the transport and see each other, with watch pushes', async () => {
    const { server, client } = await setup()
    const w = await client('w1')
    const p = await client('p1')
    const seen: RegistryEvent[] = []
    p.reg.watch((e) => seen.push(e))
    await w.reg.register(entry('w1', { capabilities: ['task'], subscriptions: [{ pattern: 'jobs.>', queue: 'q' }] }))
    await until(() => seen.some((e) => e.type === 'up' && e.entry.id === 'w1'), 'p1 to see w1')
    expect(await p.reg.lookup('w1')).toMatchObject({
      capabilities: ['task'],
      subscriptions: [{ pattern: 'jobs.>', queue: 'q' }],
    })
    expect((await server.lookup('w1'))?.id).toBe('w1')
    expect((await p.reg.list()).map((e) => e.id).sort()).toEqual(['hub', 'w1'])
    await w.reg.unregister('w1')
    await until(() => seen.some((e) => e.type === 'down'), 'the down event')
    expect(await p.reg.lookup('w1')).toBeUndefined()
  })

  it('refuses to let an agent register under another agent’s id', async () => {
    const { client } = await setup()
    const m = await client('mallory')
    await expect(m.reg.register(entry('hub'))).rejects.toMatchObject({ code: 'ERR_AUTH' })
  })

  it('expires an agent that stops heartbeating', async () => {
    const { server, client } = await setup({ sweepMs: 5 })
    const w = await client('w1', { ttlMs: 50, heartbeatMs: 10 })
    const events: RegistryEvent[] = []
    server.watch((e) => events.push(e))
    await w.reg.register(entry('w1'))
    // Heartbeats keep it alive for many TTLs...
    await new Promise((r) => setTimeout(r, 150))
    expect(await server.lookup('w1')).toBeDefined()
    // ...and when the agent is cut off, it expires.
    mesh.network.partition(addressOf(w.node))
    await until(() => events.some((e) => e.type === 'down'), 'expiry')
    expect(events.find((e) => e.type === 'down')).toMatchObject({ id: 'w1', reason: 'expired' })
  })

  it('reconnects after losing the registry connection and registers again', async () => {
    const { server, client, hub } = await setup({ sweepMs: 5 })
    const w = await client('w1', { ttlMs: 40, heartbeatMs: 10 })
    await w.reg.register(entry('w1'))
    mesh.network.partition(addressOf(hub))
    await untilAsync(async () => (await server.lookup('w1')) === undefined, 'w1 to expire while cut off')
    mesh.network.heal(addressOf(hub))
    await untilAsync(async () => (await server.lookup('w1')) !== undefined, 'w1 registered again')
  })
})
