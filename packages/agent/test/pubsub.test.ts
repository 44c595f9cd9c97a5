import type { PublishContext, ReceivedMessage } from '@quic-multistream/agent'
import { RegistryServer, RemoteRegistry } from '@quic-multistream/mesh'
import { afterEach, describe, expect, it } from 'vitest'
import { type Cluster, createCluster, Done, Event, transports, until } from './harness.js'

describe.each(transports)('publish/subscribe over %s', (kind) => {
  let cluster: Cluster
  afterEach(async () => {
    await cluster.close()
  })

  it('fans out to every agent whose pattern matches, and to nobody else', async () => {
    cluster = createCluster(kind)
    const pub = await cluster.agent('pub')
    const got: Record<string, string[]> = { star: [], tail: [], exact: [], other: [] }
    const record = (name: string) => (m: ReceivedMessage, ctx: PublishContext) => {
      got[name]!.push(`${ctx.topic}:${(m.body as { id: string }).id}`)
    }
    const star = await cluster.agent('star')
    const tail = await cluster.agent('tail')
    const exact = await cluster.agent('exact')
    const other = await cluster.agent('other')
    await Promise.all([
      star.subscribe('tasks.*.done', record('star')).ready,
      tail.subscribe('tasks.>', record('tail')).ready,
      exact.subscribe('tasks.42.done', record('exact')).ready,
      other.subscribe('audit.*', record('other')).ready,
    ])
    expect(await pub.publish('tasks.42.done', Done, { id: 'a' })).toBe(3)
    expect(await pub.publish('tasks.7.done', Done, { id: 'b' })).toBe(2)
    expect(await pub.publish('tasks.7.started', Done, { id: 'c' })).toBe(1)
    await until(() => got.tail!.length === 3, 'deliveries')
    expect(got).toEqual({
      star: ['tasks.42.done:a', 'tasks.7.done:b'],
      tail: ['tasks.42.done:a', 'tasks.7.done:b', 'tasks.7.started:c'],
      exact: ['tasks.42.done:a'],
      other: [],
    })
  })

  it('delivers each message to exactly one member of a queue group, spreading the load', async () => {
    cluster = createCluster(kind)
    const pub = await cluster.agent('pub')
    const counts = new Map<string, number>()
    const seen = new Set<string>()
    for (const id of ['w1', 'w2', 'w3']) {
      const w = await cluster.agent(id)
      await w.subscribe(
        'jobs.>',
        Done,
        ({ id: job }) => {
          expect(seen.has(job)).toBe(false)
          seen.add(job)
          counts.set(w.id, (counts.get(w.id) ?? 0) + 1)
        },
        { queue: 'workers' },
      ).ready
    }
    for (let i = 0; i < 30; i++) expect(await pub.publish('jobs.new', Done, { id: `j${i}` })).toBe(1)
    await until(() => seen.size === 30, 'all jobs')
    expect([...counts.values()].reduce((x, y) => x + y)).toBe(30)
    expect(counts.size).toBe(3)
  })

  it('delivers to an agent’s own subscriptions and stops after unsubscribe', async () => {
    cluster = createCluster(kind)
    const a = await cluster.agent('a')
    const got: number[] = []
    const sub = a.subscribe('events', Event, ({ seq }) => {
      got.push(seq)
    })
    await sub.ready
    await a.publish('events', Event, { seq: 1 })
    await until(() => got.length === 1, 'local delivery')
    await sub.unsubscribe()
    expect(await a.publish('events', Event, { seq: 2 })).toBe(0)
    expect(got).toEqual([1])
  })

  it('propagates subscriptions through the embedded registry to agents in other places', async () => {
    const server = new RegistryServer()
    cluster = createCluster(kind, { registry: server })
    const hub = await cluster.agent('hub')
    const remote = (id: string) =>
      cluster.agent(id, { registry: new RemoteRegistry({ address: hub.address, id: 'hub' }) })
    const sub = await remote('sub')
    const pub = await remote('pub')
    const got: string[] = []
    await sub.subscribe('tasks.*.done', Done, ({ id }) => {
      got.push(id)
    }).ready
    await until(() => pub.peers().some((p) => p.id === 'sub' && p.subscriptions.length === 1), 'pub to learn of sub')
    expect(await pub.publish('tasks.1.done', Done, { id: 'x' })).toBe(1)
    await until(() => got.length === 1, 'delivery')
    expect(got).toEqual(['x'])
  })
})
