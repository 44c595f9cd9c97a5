import { otherCert } from '@qms/test-utils'
import { CloseCode, isQmsError } from '@quic-multistream/mesh'
import { LANES, laneToPriority } from '@quic-multistream/protocol'
import { afterEach, describe, expect, it } from 'vitest'
import { createMesh, env, type MemoryMesh, type Mesh, meshTransports, until } from './harness.js'

describe.each(meshTransports)('ConnectionPool over %s', (kind) => {
  let mesh: Mesh
  afterEach(async () => {
    await mesh.close()
  })

  it('dials lazily once for concurrent callers and identifies both ends by agent id', async () => {
    mesh = createMesh(kind)
    const a = await mesh.node('a')
    const b = await mesh.node('b')
    expect(a.pool.peek('b')).toBeUndefined()
    const [l1, l2] = await Promise.all([a.pool.get('b'), a.pool.get('b')])
    expect(l1).toBe(l2)
    expect(l1.peerId).toBe('b')
    expect(await a.pool.get('b')).toBe(l1)
    await until(() => b.pool.peek('a') !== undefined, 'b to adopt the link')
    expect(a.pool.stats()).toMatchObject({ dials: 1, connections: 1 })
    expect(b.pool.stats()).toMatchObject({ accepted: 1, connections: 1 })
  })

  it('carries each lane on a stream with that lane’s priority, both ways', async () => {
    mesh = createMesh(kind)
    const a = await mesh.node('a')
    const b = await mesh.node('b')
    const link = await a.pool.get('b')
    const sent = LANES.map((lane) => ({ lane, e: env('a', 'b', lane) }))
    await Promise.all(sent.map(({ lane, e }) => link.send(e, lane)))
    await until(() => a.received.filter((e) => e.kind === 'reply').length === LANES.length, 'replies')
    for (const { lane, e } of sent) expect(b.arrivedOn.get(e.id)).toBe(laneToPriority(lane))
    expect(a.pool.stats().lanes.critical.written).toBe(1)
  })

  it('rejects a peer with the wrong token with ERR_AUTH, counts it, and keeps serving others', async () => {
    mesh = createMesh(kind)
    const a = await mesh.node('a', { token: 'secret' })
    const intruder = await mesh.node('intruder', { token: 'guess' })
    const friend = await mesh.node('friend', { token: 'secret' })
    const err = await intruder.pool.get('a').catch((e: unknown) => e)
    expect(isQmsError(err, 'ERR_AUTH')).toBe(true)
    expect(intruder.pool.stats().authFailed).toBe(1)
    await until(() => a.pool.stats().authRejected === 1, 'rejection count')
    const link = await friend.pool.get('a')
    expect(link.peerId).toBe('a')
  })

  it('rejects a peer without a token when one is required', async () => {
    mesh = createMesh(kind)
    await mesh.node('a', { token: 'secret' })
    const anon = await mesh.node('anon')
    await expect(anon.pool.get('a')).rejects.toMatchObject({ code: 'ERR_AUTH' })
  })

  it('fails with ERR_UNKNOWN_PEER for an id no registry knows, and ERR_PEER_UNREACHABLE when nobody answers', async () => {
    mesh = createMesh(kind)
    const a = await mesh.node('a', { dialTimeoutMs: 100 })
    await expect(a.pool.get('ghost')).rejects.toMatchObject({ code: 'ERR_UNKNOWN_PEER' })
    await mesh.registry.register({ id: 'gone', addresses: ['127.0.0.1:9'], capabilities: [], subscriptions: [] })
    await expect(a.pool.get('gone')).rejects.toMatchObject({ code: 'ERR_PEER_UNREACHABLE' })
    expect(a.pool.stats().dialFailures).toBe(4)
  })

  it('keeps the connection dialed by the lower id when two agents dial each other at once', async () => {
    mesh = createMesh(kind)
    const a = await mesh.node('a', { retireAfterMs: 20 })
    const b = await mesh.node('b', { retireAfterMs: 20 })
    const [fromA, fromB] = await Promise.all([a.pool.get('b'), b.pool.get('a')])
    expect(a.pool.stats().dials + b.pool.stats().dials).toBe(2)
    await until(() => a.pool.stats().duplicates === 1 && b.pool.stats().duplicates === 1, 'both sides to see both')
    expect(fromA.dialer).toBe('a')
    expect(fromB.dialer).toBe('a')
    expect(a.pool.peek('b')?.dialer).toBe('a')
    expect(b.pool.peek('a')?.dialer).toBe('a')
    await until(() => a.pool.stats().retired === 0 && b.pool.stats().retired === 0, 'the loser to be closed')
    expect(a.pool.links()).toHaveLength(1)
    // Both links came from the same two pools: a tie to break, not a restart.
    expect(a.pool.stats().replaced + b.pool.stats().replaced).toBe(0)
    await fromB.send(env('b', 'a'), 'normal')
    await until(() => b.received.some((e) => e.kind === 'reply'), 'reply on the kept link')
  })

  it('replaces the link of a peer that restarted under the same id as soon as the new instance says hello', async () => {
    mesh = createMesh(kind)
    const a = await mesh.node('a')
    const old = await mesh.node('b')
    const oldLink = await old.pool.get('a')
    await until(() => a.pool.peek('b') !== undefined, 'a to adopt the first link')
    const first = a.pool.peek('b')!
    // A second pool with the same id is what a restarted process looks like: same agent, new instance.
    const restarted = await mesh.node('b')
    const newLink = await restarted.pool.get('a')
    expect(await first.closed).toMatchObject({ code: CloseCode.REPLACED, remote: false })
    // The old instance, if it is in fact still alive, hears why.
    expect(await oldLink.closed).toMatchObject({ code: CloseCode.REPLACED, remote: true })
    const current = a.pool.peek('b')!
    expect(current).not.toBe(first)
    expect(current.peerInstance).toBeDefined()
    expect(current.peerInstance).not.toBe(first.peerInstance)
    expect(a.pool.stats()).toMatchObject({ replaced: 1, duplicates: 0, connections: 1 })
    await newLink.send(env('b', 'a'), 'normal')
    await until(() => restarted.received.some((e) => e.kind === 'reply'), 'a reply on the new link')
  })

  it('closes idle connections and redials on next use', async () => {
    mesh = createMesh(kind)
    const a = await mesh.node('a', { idleTimeoutMs: 40 })
    await mesh.node('b')
    const first = await a.pool.get('b')
    const info = await first.closed
    expect(info.code).toBe(CloseCode.IDLE)
    expect(a.pool.stats().evictedIdle).toBe(1)
    expect((await a.pool.get('b')).isOpen).toBe(true)
  })

  it('does not close an idle connection while a call holds it', async () => {
    mesh = createMesh(kind)
    const a = await mesh.node('a', { idleTimeoutMs: 20 })
    await mesh.node('b')
    const link = await a.pool.get('b')
    link.retain()
    const sweeps = a.pool.stats().evictedIdle
    await new Promise((r) => setTimeout(r, 120))
    expect(link.isOpen).toBe(true)
    expect(a.pool.stats().evictedIdle).toBe(sweeps)
    link.release()
    await link.closed
  })

  it('evicts the least recently used connection past maxConnections', async () => {
    mesh = createMesh(kind)
    const a = await mesh.node('a', { maxConnections: 2 })
    await Promise.all(['b', 'c', 'd'].map((id) => mesh.node(id)))
    const b = await a.pool.get('b')
    b.lastActive = 0
    b.active = false
    await a.pool.get('c')
    await a.pool.get('d')
    expect((await b.closed).code).toBe(CloseCode.EVICTED)
    expect(a.pool.stats()).toMatchObject({ connections: 2, evictedLimit: 1 })
  })

  it('answers an undecodable frame with an error envelope and counts it, without dropping the connection', async () => {
    mesh = createMesh(kind)
    const a = await mesh.node('a')
    const b = await mesh.node('b')
    const link = await a.pool.get('b')
    const raw = await link.openStream(laneToPriority('normal'))
    await raw.write(new Uint8Array([0, 0, 0, 3, 0xc1, 0xc1, 0xc1]))
    const chunks: Uint8Array[] = []
    for await (const c of raw) chunks.push(c)
    expect(chunks.length).toBeGreaterThan(0)
    expect(link.isOpen).toBe(true)
    expect(b.protocolErrors).toEqual(['ERR_FRAME_MALFORMED'])
    await link.send(env('a', 'b'), 'normal')
    await until(() => a.received.some((e) => e.kind === 'reply'), 'the link still serves')
  })
})

describe('ConnectionPool over memory', () => {
  let mesh: MemoryMesh
  afterEach(async () => {
    await mesh.close()
  })

  it('redials after the connection is severed, and counts the reconnect', async () => {
    mesh = createMesh()
    const a = await mesh.node('a')
    await mesh.node('b')
    const first = await a.pool.get('b')
    mesh.network.sever(first.connection)
    await first.closed
    const second = await a.pool.get('b')
    expect(second).not.toBe(first)
    expect(second.isOpen).toBe(true)
    expect(a.pool.stats().reconnects).toBe(1)
  })
})

describe('ConnectionPool over quic', () => {
  let mesh: Mesh
  afterEach(async () => {
    await mesh.close()
  })

  // A QUIC close discards what the peer has not acknowledged yet (the memory transport has no such window).
  it('on close, lets the peer read everything written before it, then closes the connection', async () => {
    mesh = createMesh('quic')
    const a = await mesh.node('a')
    const b = await mesh.node('b')
    const link = await a.pool.get('b')
    const requests = Array.from({ length: 100 }, () => env('a', 'b'))
    await Promise.all(requests.map((e) => link.send(e, 'normal')))
    await until(() => b.received.length === requests.length, 'the requests')
    // b has queued its replies, but nothing says they have reached a yet.
    await b.pool.close()
    expect(a.received.filter((e) => e.kind === 'reply')).toHaveLength(requests.length)
    expect((await link.closed).remote).toBe(true)
  })

  it('reports a server whose certificate fails verification as ERR_AUTH, without retrying', async () => {
    mesh = createMesh('quic')
    await mesh.node('a')
    const stranger = await mesh.node('stranger', {}, { pinSha256: [(await otherCert()).sha256] })
    const err = await stranger.pool.get('a').catch((e: unknown) => e)
    expect(err).toMatchObject({ code: 'ERR_AUTH', cause: { code: 'ERR_TLS_PIN_MISMATCH' } })
    expect(stranger.pool.stats()).toMatchObject({ dials: 1, authFailed: 1 })
  })

  it('stops dials in progress when closed', async () => {
    mesh = createMesh('quic')
    // Nothing answers there, and the dial would wait a minute for a handshake.
    const a = await mesh.node('a', { dialTimeoutMs: 60_000 })
    await mesh.registry.register({ id: 'silent', addresses: ['127.0.0.1:9'], capabilities: [], subscriptions: [] })
    const dialing = a.pool.get('silent')
    await until(() => a.pool.stats().dials === 1, 'the dial to start')
    await a.pool.close()
    await expect(dialing).rejects.toMatchObject({ code: 'ERR_CLOSED' })
    expect(a.endpoint.connections.size).toBe(0)
  })
})
