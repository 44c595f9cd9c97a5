import { ConnectionPool } from '@quic-multistream/mesh'
import { defineMessage, FrameDecoder } from '@quic-multistream/protocol'
import { createMemoryEndpoint } from '@quic-multistream/transport'
import { afterEach, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { type Cluster, createCluster, Result, RunTask, until } from './harness.js'

const Stranger = defineMessage('stranger', z.object({ x: z.number() }))

describe('authentication', () => {
  let cluster: Cluster
  afterEach(async () => {
    await cluster.close()
  })

  it('rejects a peer with the wrong token with ERR_AUTH, counts it, and keeps serving the others', async () => {
    cluster = createCluster()
    const server = await cluster.agent('server', { token: 'sesame' })
    const friend = await cluster.agent('friend', { token: 'sesame' })
    const intruder = await cluster.agent('intruder', { token: 'guess' })
    server.handle(RunTask, (t) => Result.of({ id: t.id, doubled: t.n * 2 }))
    await expect(intruder.request('server', RunTask, { id: 't', n: 1 })).rejects.toMatchObject({ code: 'ERR_AUTH' })
    expect(await friend.request('server', RunTask, { id: 't', n: 2 })).toEqual({ id: 't', doubled: 4 })
    expect(server.stats().errors.ERR_AUTH).toBe(1)
    expect(server.stats().pool.authRejected).toBe(1)
    expect(intruder.stats().errors.ERR_AUTH).toBe(1)
  })
})

describe('bad input', () => {
  let cluster: Cluster
  afterEach(async () => {
    await cluster.close()
  })

  it('answers undecodable frames with a typed error, counts them, and keeps serving', async () => {
    cluster = createCluster()
    const victim = await cluster.agent('victim')
    const friend = await cluster.agent('friend')
    victim.handle(RunTask, (t) => Result.of({ id: t.id, doubled: t.n * 2 }))
    const endpoint = await createMemoryEndpoint({ network: cluster.network })
    const rogue = new ConnectionPool({
      endpoint,
      selfId: 'rogue',
      resolve: async () => [victim.address],
      handlers: { envelope: () => {}, stream: () => {}, datagram: () => {}, protocolError: () => {} },
    })
    rogue.start()
    const link = await rogue.get('victim')
    const raw = await link.openStream(128)
    await raw.write(new Uint8Array([0, 0, 0, 2, 0xc1, 0xc1]))
    const decoder = new FrameDecoder()
    const answers = []
    for await (const chunk of raw) answers.push(...decoder.push(chunk))
    expect(answers[0]).toMatchObject({ kind: 'error', error: { code: 'ERR_FRAME_MALFORMED' } })
    expect(victim.stats().errors.ERR_FRAME_MALFORMED).toBe(1)
    expect(await friend.request('victim', RunTask, { id: 'ok', n: 1 })).toEqual({ id: 'ok', doubled: 2 })
    await rogue.close()
    await endpoint.close()
  })

  it('answers a message type the receiver does not know with ERR_UNKNOWN_TYPE, counted on both sides', async () => {
    cluster = createCluster()
    const a = await cluster.agent('a')
    const b = await cluster.agent('b')
    await a.send('b', Stranger, { x: 1 })
    await until(() => a.stats().errors.ERR_UNKNOWN_TYPE === 1, 'the refusal to come back')
    expect(b.stats().errors.ERR_UNKNOWN_TYPE).toBe(1)
  })
})
