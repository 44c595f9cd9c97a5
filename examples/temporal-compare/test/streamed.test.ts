import type { Agent } from '@quic-multistream/agent'
import { afterEach, describe, expect, it } from 'vitest'
import {
  type CompareProgressBody,
  compareStreamed,
  dtw,
  euclidean,
  noisySine,
  startCompareService,
} from '../src/index.js'
import { type Agents, createAgents, transports } from './agents.js'

describe.each(transports)('streamed comparison over %s', (kind) => {
  let agents: Agents
  let service: Agent
  let client: Agent

  async function start(options: Parameters<typeof startCompareService>[1] = {}) {
    agents = createAgents(kind)
    service = await agents.start('compare-service')
    client = await agents.start('client')
    return startCompareService(service, options)
  }

  afterEach(async () => {
    await agents.close()
  })

  it('streams a DTW comparison whose result equals the one-shot dtw, with the prefix distance after each chunk', async () => {
    const running = await start()
    // Different lengths, so the last chunks carry values of `a` only.
    const a = noisySine(230, { period: 40, seed: 1 })
    const b = noisySine(170, { period: 30, seed: 2 })
    const progress: CompareProgressBody[] = []
    const result = await compareStreamed(client, 'compare-service', a, b, {
      chunkSize: 32,
      onProgress: (p) => progress.push(p),
    })
    const oneShot = dtw(a, b)
    expect(result).toMatchObject({
      algorithm: 'dtw',
      distance: oneShot.distance,
      pathLength: oneShot.pathLength,
      lengthA: 230,
      lengthB: 170,
      chunks: 8,
      updates: 8,
    })
    expect(result.elapsedMs).toBeGreaterThanOrEqual(0)
    // After chunk k the service has k·32 values of each side (fewer once b runs out): DTW of those prefixes.
    expect(progress).toHaveLength(8)
    for (const [k, p] of progress.entries()) {
      const receivedA = Math.min(230, (k + 1) * 32)
      const receivedB = Math.min(170, (k + 1) * 32)
      const prefix = dtw(a.subarray(0, receivedA), b.subarray(0, receivedB))
      expect(p).toEqual({ receivedA, receivedB, distance: prefix.distance, pathLength: prefix.pathLength })
    }
    expect(running.stats()).toEqual({ completed: 1, failed: 0, active: 0 })
  })

  it('applies the Sakoe-Chiba window and the squared cost exactly as the one-shot dtw does', async () => {
    await start()
    const a = noisySine(300, { period: 50, seed: 3 })
    const b = noisySine(300, { period: 50, shift: 7, seed: 4 })
    const result = await compareStreamed(client, 'compare-service', a, b, { chunkSize: 64, window: 5, cost: 'squared' })
    const oneShot = dtw(a, b, { window: 5, cost: 'squared' })
    expect(result.distance).toBe(oneShot.distance)
    expect(result.pathLength).toBe(oneShot.pathLength)
    // The window matters here: a 7-value shift cannot be fully absorbed within a radius of 5.
    expect(result.distance).toBeGreaterThan(dtw(a, b, { cost: 'squared' }).distance)
  })

  it('streams a Euclidean comparison whose result equals euclidean()', async () => {
    await start()
    const a = noisySine(500, { seed: 5 })
    const b = noisySine(500, { seed: 6 })
    const progress: CompareProgressBody[] = []
    const result = await compareStreamed(client, 'compare-service', a, b, {
      algorithm: 'euclidean',
      chunkSize: 100,
      onProgress: (p) => progress.push(p),
    })
    expect(result).toMatchObject({ algorithm: 'euclidean', distance: euclidean(a, b), pathLength: 500, updates: 5 })
    expect(progress[1]!.distance).toBe(euclidean(a.subarray(0, 200), b.subarray(0, 200)))
  })

  it('answers many comparisons at once, each with its own result', async () => {
    const running = await start()
    const pairs = [1, 2, 3, 4].map((seed) => [noisySine(120, { seed }), noisySine(90, { seed: seed + 10 })] as const)
    const results = await Promise.all(
      pairs.map(([a, b]) => compareStreamed(client, 'compare-service', a, b, { chunkSize: 16 })),
    )
    results.forEach((r, k) => {
      expect(r.distance).toBe(dtw(pairs[k]![0], pairs[k]![1]).distance)
    })
    expect(running.stats().completed).toBe(4)
  })

  it("relays the service's refusal as a typed error and keeps serving", async () => {
    const running = await start({ maxLength: 100 })
    await expect(
      compareStreamed(client, 'compare-service', [1, 2, 3], [1, 2], { algorithm: 'euclidean' }),
    ).rejects.toMatchObject({ code: 'ERR_COMPARE_LENGTH_MISMATCH' })
    await expect(
      compareStreamed(client, 'compare-service', noisySine(101), noisySine(50), { chunkSize: 10 }),
    ).rejects.toMatchObject({ code: 'ERR_COMPARE_TOO_LARGE' })
    expect((await compareStreamed(client, 'compare-service', [0, 1, 1, 2], [0, 1, 2])).distance).toBe(0)
    expect(running.stats()).toEqual({ completed: 1, failed: 2, active: 0 })
  })

  it('fails with ERR_NO_RESPONDERS when the peer runs no compare service', async () => {
    const running = await start()
    running.close()
    await expect(compareStreamed(client, 'compare-service', [1], [1])).rejects.toMatchObject({
      code: 'ERR_NO_RESPONDERS',
    })
  })
})
