import { caSignedServerCert, clientCert, devCa } from '@qms/test-utils'
import { ConnectionPool } from '@quic-multistream/mesh'
import { createEnvelope, defineMessage, type Envelope, FrameDecoder } from '@quic-multistream/protocol'
import { afterEach, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { type Cluster, createCluster, Result, RunTask, transports, until } from './harness.js'

const Stranger = defineMessage('stranger', z.object({ x: z.number() }))

describe.each(transports)('authentication over %s', (kind) => {
  let cluster: Cluster
  afterEach(async () => {
    await cluster.close()
  })

  it('rejects a peer with the wrong token with ERR_AUTH, counts it, and keeps serving the others', async () => {
    cluster = createCluster(kind)
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

describe('mutual TLS over quic', () => {
  let cluster: Cluster
  afterEach(async () => {
    await cluster.close()
  })

  /** TLS of an agent in a mesh that requires CA-signed certificates both ways. */
  async function meshTls(cert: { cert: string; key: string }) {
    return { cert: cert.cert, key: cert.key, ca: (await devCa()).cert, requireClientCert: true }
  }

  it('lets agents with CA-signed certificates talk both ways, and rejects one without, counting it', async () => {
    cluster = createCluster('quic')
    const trusted = await meshTls(await caSignedServerCert())
    const server = await cluster.agent('server', { tls: trusted })
    const friend = await cluster.agent('friend', { tls: trusted })
    server.handle(RunTask, (t) => Result.of({ id: t.id, doubled: t.n * 2 }))
    friend.handle(RunTask, (t) => Result.of({ id: t.id, doubled: t.n * 3 }))
    expect(await friend.request('server', RunTask, { id: 'f', n: 2 })).toEqual({ id: 'f', doubled: 4 })
    expect(await server.request('friend', RunTask, { id: 's', n: 2 })).toEqual({ id: 's', doubled: 6 })

    // Trusts the CA (so it could verify the server) but presents a self-signed certificate of its own.
    const stranger = await cluster.agent('stranger', { tls: await meshTls(await clientCert()) })
    await expect(stranger.request('server', RunTask, { id: 'x', n: 1 })).rejects.toMatchObject({ code: 'ERR_AUTH' })
    expect(stranger.stats().errors.ERR_AUTH).toBe(1)
    expect(stranger.stats().pool.authFailed).toBe(1)
    expect(server.stats().pool.accepted).toBe(1)
    expect(await friend.request('server', RunTask, { id: 'g', n: 5 })).toEqual({ id: 'g', doubled: 10 })
  })

  it('rejects an agent that presents no certificate at all', async () => {
    cluster = createCluster('quic')
    const server = await cluster.agent('server', { tls: await meshTls(await caSignedServerCert()) })
    server.handle(RunTask, (t) => Result.of({ id: t.id, doubled: t.n * 2 }))
    // A dial-only agent: it verifies the server through the CA but has nothing to show for itself.
    const anonymous = await cluster.agent('anonymous', { tls: { ca: (await devCa()).cert } })
    await expect(anonymous.request('server', RunTask, { id: 'x', n: 1 })).rejects.toMatchObject({ code: 'ERR_AUTH' })
    expect(anonymous.stats().pool.authFailed).toBe(1)
    expect(server.stats().pool.accepted).toBe(0)
  })
})

describe.each(transports)('bad input over %s', (kind) => {
  let cluster: Cluster
  afterEach(async () => {
    await cluster.close()
  })

  it('answers undecodable frames with a typed error, counts them, and keeps serving', async () => {
    cluster = createCluster(kind)
    const victim = await cluster.agent('victim')
    const friend = await cluster.agent('friend')
    victim.handle(RunTask, (t) => Result.of({ id: t.id, doubled: t.n * 2 }))
    const endpoint = await cluster.endpoint('rogue')
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

  it('refuses an envelope that claims another sender than the authenticated peer, and does not run its handler', async () => {
    cluster = createCluster(kind)
    const victim = await cluster.agent('victim')
    let runs = 0
    victim.handle(RunTask, (t) => {
      runs++
      return Result.of({ id: t.id, doubled: t.n * 2 })
    })
    const endpoint = await cluster.endpoint('rogue')
    const answers: Envelope[] = []
    const rogue = new ConnectionPool({
      endpoint,
      selfId: 'rogue',
      resolve: async () => [victim.address],
      handlers: {
        envelope: (e) => void answers.push(e),
        stream: () => {},
        datagram: () => {},
        protocolError: () => {},
      },
    })
    rogue.start()
    const link = await rogue.get('victim')
    const forged = createEnvelope({
      kind: 'request',
      type: 'task',
      from: 'friend',
      to: 'victim',
      body: { id: 'x', n: 1 },
    })
    await link.send(forged, 'normal')
    await until(() => answers.length === 1, 'the refusal')
    expect(answers[0]).toMatchObject({ kind: 'error', corr: forged.id, error: { code: 'ERR_AUTH' } })
    expect(runs).toBe(0)
    expect(victim.stats().errors.ERR_AUTH).toBe(1)
    await rogue.close()
    await endpoint.close()
  })

  it('answers a message type the receiver does not know with ERR_UNKNOWN_TYPE, counted on both sides', async () => {
    cluster = createCluster(kind)
    const a = await cluster.agent('a')
    const b = await cluster.agent('b')
    await a.send('b', Stranger, { x: 1 })
    await until(() => a.stats().errors.ERR_UNKNOWN_TYPE === 1, 'the refusal to come back')
    expect(b.stats().errors.ERR_UNKNOWN_TYPE).toBe(1)
  })
})
