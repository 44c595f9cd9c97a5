import { killAll, serverCert, spawnTs } from '@qms/test-utils'
import { Agent } from '@quic-multistream/agent'
import { StaticRegistry } from '@quic-multistream/mesh'
import { afterEach, expect, it } from 'vitest'
import { TLS_ENV } from '../shared-tls.js'
import { compareStreamed, dtw, noisySine } from '../src/index.js'

const SERVE = 'examples/temporal-compare/serve.ts'
/** Generous: the child compiles its sources with tsx on a machine shared with other test runs. */
const START_MS = 30_000

let client: Agent | undefined

afterEach(async () => {
  await client?.stop()
  client = undefined
  await killAll('SIGKILL')
})

it('compares sequences streamed to a service running in another process, as the one-shot dtw does', {
  timeout: 60_000,
}, async () => {
  const cert = await serverCert()
  const tls = { cert: cert.cert, key: cert.key, sha256: cert.sha256 }
  const child = spawnTs(SERVE, ['--lifeline'], { env: { [TLS_ENV]: JSON.stringify(tls) } })
  const [, id, address, pin] = await child.waitForLine(/^ready (\S+) (\S+) (\S+)$/, START_MS)
  expect(pin).toBe(cert.sha256)

  client = await Agent.start({
    id: 'client',
    registry: new StaticRegistry({ [id!]: address! }),
    tls: { cert: cert.cert, key: cert.key, pinSha256: [cert.sha256] },
  })
  const a = noisySine(1_500, { period: 90, seed: 7 })
  const b = noisySine(1_200, { period: 80, shift: 11, seed: 8 })
  let updates = 0
  const result = await compareStreamed(client, id!, a, b, { chunkSize: 250, window: 40, onProgress: () => updates++ })
  const oneShot = dtw(a, b, { window: 40 })
  expect(result).toMatchObject({ distance: oneShot.distance, pathLength: oneShot.pathLength, chunks: 6, updates: 6 })
  expect(updates).toBe(6)

  // A clean stop: the child leaves the registry, closes its endpoint and exits 0 on its own.
  expect(await child.kill('SIGTERM', 10_000)).toEqual({ code: 0, signal: null })
  expect(child.stdout.at(-1)).toBe('stopped {"completed":1,"failed":0,"active":0}')
})
