import { isQmsError } from '@quic-multistream/agent'
import { afterEach, describe, expect, it } from 'vitest'
import {
  type Cluster,
  createCluster,
  Found,
  gate,
  Result,
  RunLookup,
  RunTask,
  Task,
  transports,
  until,
} from './harness.js'

describe.each(transports)('request/reply over %s', (kind) => {
  let cluster: Cluster
  afterEach(async () => {
    await cluster.close()
  })

  it('correlates concurrent requests with their own replies', async () => {
    cluster = createCluster(kind)
    const a = await cluster.agent('a')
    const b = await cluster.agent('b')
    b.handle(RunTask, async (task, ctx) => {
      expect(ctx.from).toBe('a')
      return Result.of({ id: task.id, doubled: task.n * 2 })
    })
    const replies = await Promise.all(
      Array.from({ length: 50 }, (_, i) => a.request('b', RunTask, { id: `t${i}`, n: i })),
    )
    expect(replies).toEqual(Array.from({ length: 50 }, (_, i) => ({ id: `t${i}`, doubled: i * 2 })))
    expect(a.stats().requests).toMatchObject({ sent: 50, succeeded: 50, failed: 0, inflight: 0 })
    expect(b.stats().requests.served).toBe(50)
  })

  it('times out with ERR_TIMEOUT and aborts the remote handler’s signal', async () => {
    cluster = createCluster(kind)
    const a = await cluster.agent('a')
    const b = await cluster.agent('b')
    let remoteAborted = false
    b.handle(RunTask, async (task, ctx) => {
      if (task.id === 'warm-up') return Result.of({ id: task.id, doubled: 0 })
      await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve))
      remoteAborted = true
      return Result.of({ id: 'late', doubled: 0 })
    })
    // Connected beforehand, the request surely arrives before its deadline (later, b would refuse it unrun).
    await a.request('b', RunTask, { id: 'warm-up', n: 0 })
    const err = await a.request('b', RunTask, { id: 't', n: 1 }, { timeout: 200 }).catch((e: unknown) => e)
    expect(isQmsError(err, 'ERR_TIMEOUT')).toBe(true)
    await until(() => remoteAborted, 'the remote handler to see the cancel')
    expect(a.stats().requests.timedOut).toBe(1)
  })

  it('rejects with ERR_ABORTED when the caller aborts, and cancels the remote handler', async () => {
    cluster = createCluster(kind)
    const a = await cluster.agent('a')
    const b = await cluster.agent('b')
    const started = gate()
    let remoteAborted = false
    b.handle(RunTask, async (_task, ctx) => {
      started.open()
      await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve))
      remoteAborted = true
      return Result.of({ id: 'x', doubled: 0 })
    })
    const ac = new AbortController()
    const pending = a.request('b', RunTask, { id: 't', n: 1 }, { signal: ac.signal })
    await started.promise
    ac.abort()
    await expect(pending).rejects.toMatchObject({ code: 'ERR_ABORTED' })
    await until(() => remoteAborted, 'remote cancel')
  })

  it('fails with ERR_NO_RESPONDERS when the peer has no handler', async () => {
    cluster = createCluster(kind)
    const a = await cluster.agent('a')
    await cluster.agent('b')
    await expect(a.request('b', RunTask, { id: 't', n: 1 }, { timeout: 60_000 })).rejects.toMatchObject({
      code: 'ERR_NO_RESPONDERS',
    })
  })

  it('fails with ERR_UNKNOWN_PEER for an id no registry knows', async () => {
    cluster = createCluster(kind)
    const a = await cluster.agent('a')
    await expect(a.request('nobody', RunTask, { id: 't', n: 1 })).rejects.toMatchObject({ code: 'ERR_UNKNOWN_PEER' })
  })

  it('fails with ERR_PEER_UNREACHABLE when the peer does not answer dials', async () => {
    cluster = createCluster(kind)
    const a = await cluster.agent('a', { pool: { dialTimeoutMs: 100 } })
    await cluster.registry.register({ id: 'gone', addresses: ['127.0.0.1:9'], capabilities: [], subscriptions: [] })
    await expect(a.request('gone', RunTask, { id: 't', n: 1 })).rejects.toMatchObject({ code: 'ERR_PEER_UNREACHABLE' })
  })

  it('fails with ERR_PEER_UNREACHABLE when the connection dies mid-request', async () => {
    cluster = createCluster(kind)
    const a = await cluster.agent('a')
    const b = await cluster.agent('b', { drainTimeoutMs: 20 })
    const started = gate()
    b.handle(RunTask, async () => {
      started.open()
      return new Promise(() => {})
    })
    const pending = a.request('b', RunTask, { id: 't', n: 1 }, { timeout: 60_000 })
    await started.promise
    cluster.cut('b')
    await expect(pending).rejects.toMatchObject({ code: 'ERR_PEER_UNREACHABLE' })
  })

  it('keeps the connection of a request whose handler outlasts the pool’s idle timeout', async () => {
    cluster = createCluster(kind)
    const a = await cluster.agent('a', { pool: { idleTimeoutMs: 40 } })
    const b = await cluster.agent('b', { pool: { idleTimeoutMs: 40 } })
    b.handle(RunTask, async (t) => {
      // Several idle sweeps pass while nothing moves on the connection.
      await new Promise((r) => setTimeout(r, 300))
      return Result.of({ id: t.id, doubled: t.n * 2 })
    })
    expect(await a.request('b', RunTask, { id: 'slow', n: 2 })).toEqual({ id: 'slow', doubled: 4 })
    expect(a.stats().pool.evictedIdle).toBe(0)
  })

  it('reports a throwing handler as ERR_REMOTE with the remote code and message', async () => {
    cluster = createCluster(kind)
    const a = await cluster.agent('a')
    const b = await cluster.agent('b')
    b.handle(RunTask, async () => {
      throw Object.assign(new Error('out of stock'), { code: 'ERR_OUT_OF_STOCK' })
    })
    const err = await a.request('b', RunTask, { id: 't', n: 1 }).catch((e: unknown) => e)
    expect(isQmsError(err, 'ERR_REMOTE')).toBe(true)
    expect((err as { details: unknown }).details).toMatchObject({
      remoteCode: 'ERR_OUT_OF_STOCK',
      remoteMessage: 'out of stock',
    })
    expect(b.stats().errors.ERR_OUT_OF_STOCK).toBe(1)
  })

  it('refuses a body that violates the schema with ERR_SCHEMA, before sending and at the receiver', async () => {
    cluster = createCluster(kind)
    const a = await cluster.agent('a')
    const lax = await cluster.agent('lax', { validateOutgoing: false })
    const b = await cluster.agent('b')
    b.handle(RunTask, (task) => Result.of({ id: task.id, doubled: 0 }))
    const bad = { id: 't', n: 1.5 }
    await expect(a.request('b', RunTask, bad)).rejects.toMatchObject({ code: 'ERR_SCHEMA' })
    expect(a.stats().requests.sent).toBe(0)
    await expect(lax.request('b', RunTask, bad)).rejects.toMatchObject({ code: 'ERR_SCHEMA' })
    expect(b.stats().errors.ERR_SCHEMA).toBe(1)
  })

  it('rejects a reply of another type than the caller expects with ERR_SCHEMA', async () => {
    cluster = createCluster(kind)
    const a = await cluster.agent('a')
    const b = await cluster.agent('b')
    b.handle(Task, (task) => Result.of({ id: task.id, doubled: 1 }))
    await expect(a.request('b', Task, { id: 't', n: 1 }, { reply: Found })).rejects.toMatchObject({
      code: 'ERR_SCHEMA',
    })
    expect(await a.request('b', Task, { id: 't', n: 1 }, { reply: Result })).toEqual({ id: 't', doubled: 1 })
  })

  it('lets a handler call back the agent that called it (A -> B -> A)', async () => {
    cluster = createCluster(kind)
    const a = await cluster.agent('a')
    const b = await cluster.agent('b')
    a.handle(RunLookup, ({ key }) => Found.of({ value: `value-of-${key}` }))
    b.handle(RunTask, async (task, ctx) => {
      const found = await b.request(ctx.from, RunLookup, { key: task.id })
      return Result.of({ id: found.value, doubled: task.n * 2 })
    })
    const replies = await Promise.all(
      Array.from({ length: 20 }, (_, i) => a.request('b', RunTask, { id: `k${i}`, n: i })),
    )
    expect(replies[3]).toEqual({ id: 'value-of-k3', doubled: 6 })
    expect(replies).toHaveLength(20)
  })

  it('serves requests an agent sends to itself', async () => {
    cluster = createCluster(kind)
    const a = await cluster.agent('a')
    a.handle(RunLookup, ({ key }) => Found.of({ value: key.toUpperCase() }))
    expect(await a.request('a', RunLookup, { key: 'self' })).toEqual({ value: 'SELF' })
  })

  it('cancels its own handler when a request to itself times out', async () => {
    cluster = createCluster(kind)
    const a = await cluster.agent('a')
    let aborted = false
    a.handle(RunTask, async (t, ctx) => {
      await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve))
      aborted = true
      return Result.of({ id: t.id, doubled: 0 })
    })
    await expect(a.request('a', RunTask, { id: 't', n: 1 }, { timeout: 50 })).rejects.toMatchObject({
      code: 'ERR_TIMEOUT',
    })
    await until(() => aborted, 'the handler to see the cancel')
  })
})
