import { describe, expect, it } from 'vitest'
import { ComparisonSession, dtw, euclidean, progressBody } from '../src/index.js'

const limits = { maxLength: 1_000, maxCells: 100_000 }

describe('ComparisonSession', () => {
  it('answers the DTW of the prefixes received after each chunk, and the one-shot result at the end', () => {
    // a = [0, 1, 1, 2], b = [0, 1, 2] (hand-computed in dtw.test.ts: D22 = 0, D33 = 1, D43 = 0).
    const session = new ComparisonSession(
      { algorithm: 'dtw', cost: 'absolute', window: null, lengthA: 4, lengthB: 3 },
      limits,
    )
    expect(session.push([0, 1], [0, 1])).toEqual({ receivedA: 2, receivedB: 2, distance: 0, pathLength: 2 })
    expect(session.push([1], [2])).toEqual({ receivedA: 3, receivedB: 3, distance: 1, pathLength: 3 })
    expect(session.push([2], [])).toEqual({ receivedA: 4, receivedB: 3, distance: 0, pathLength: 4 })
    expect(session.finish()).toMatchObject({ distance: dtw([0, 1, 1, 2], [0, 1, 2]).distance, pathLength: 4 })
    expect(session.chunks).toBe(3)
  })

  it('reports no distance while one side has not arrived yet', () => {
    const session = new ComparisonSession(
      { algorithm: 'dtw', cost: 'absolute', window: null, lengthA: 2, lengthB: 2 },
      limits,
    )
    const early = session.push([1, 2], [])
    expect(early.distance).toBe(Number.POSITIVE_INFINITY)
    expect(progressBody(early)).toEqual({ receivedA: 2, receivedB: 0, distance: null, pathLength: 0 })
    expect(session.push([], [1, 2]).distance).toBe(0)
  })

  it('sums Euclidean distance over the paired prefix', () => {
    const session = new ComparisonSession(
      { algorithm: 'euclidean', cost: 'absolute', window: null, lengthA: 3, lengthB: 3 },
      limits,
    )
    // Only the first value is paired: |0 - 3| = 3.
    expect(session.push([0, 0], [3])).toMatchObject({ distance: 3, pathLength: 1 })
    // Now two: √(9 + 16) = 5.
    expect(session.push([], [4])).toMatchObject({ distance: 5, pathLength: 2 })
    expect(session.push([7], [7]).distance).toBe(euclidean([0, 0, 7], [3, 4, 7]))
    expect(session.finish().distance).toBe(5)
  })

  it('refuses declarations it cannot honour with typed errors', () => {
    const open = { algorithm: 'dtw', cost: 'absolute', window: null, lengthA: 3, lengthB: 3 } as const
    expect(() => new ComparisonSession({ ...open, algorithm: 'euclidean', lengthB: 2 }, limits)).toThrow(
      expect.objectContaining({ code: 'ERR_COMPARE_LENGTH_MISMATCH' }),
    )
    expect(() => new ComparisonSession({ ...open, lengthA: 2_000 }, limits)).toThrow(
      expect.objectContaining({ code: 'ERR_COMPARE_TOO_LARGE' }),
    )
    // 1,000 × 1,000 cells without a window exceed 100,000; a window of 10 keeps it to about 1,000 × 21.
    expect(() => new ComparisonSession({ ...open, lengthA: 1_000, lengthB: 1_000 }, limits)).toThrow(
      expect.objectContaining({ code: 'ERR_COMPARE_TOO_LARGE' }),
    )
    expect(() => new ComparisonSession({ ...open, lengthA: 1_000, lengthB: 1_000, window: 10 }, limits)).not.toThrow()
    expect(() => new ComparisonSession({ ...open, lengthA: 0 }, limits)).toThrow(
      expect.objectContaining({ code: 'ERR_COMPARE_EMPTY' }),
    )
  })

  it('refuses more values than declared, and a finish before every value arrived', () => {
    const session = new ComparisonSession(
      { algorithm: 'dtw', cost: 'absolute', window: null, lengthA: 2, lengthB: 2 },
      limits,
    )
    expect(() => session.push([1, 2, 3], [])).toThrow(expect.objectContaining({ code: 'ERR_COMPARE_PROTOCOL' }))
    session.push([1, 2], [1])
    expect(() => session.finish()).toThrow(expect.objectContaining({ code: 'ERR_COMPARE_PROTOCOL' }))
  })
})
