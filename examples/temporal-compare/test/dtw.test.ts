import { describe, expect, it } from 'vitest'
import { dtw, squaredCost } from '../src/index.js'

describe('dtw', () => {
  it('absorbs a repeated value at zero cost and returns the warping path', () => {
    // a = [0, 1, 1, 2], b = [0, 1, 2], cost |x - y|. D (1-based, D[0][0] = 0, rest of row/column 0 infinite):
    //            b=0  b=1  b=2
    //   a=0  |    0    1    3        D11 = 0; D12 = 1 + 0; D13 = 2 + 1
    //   a=1  |    1    0    1        D21 = 1 + 0; D22 = 0 + min(0, 1, 1); D23 = 1 + min(1, 3, 0)
    //   a=1  |    2    0    1        D31 = 1 + 1; D32 = 0 + min(D21 1, D22 0, D31 2); D33 = 1 + min(0, 1, 0)
    //   a=2  |    4    1    0        D41 = 2 + 2; D42 = 1 + min(2, 0, 4); D43 = 0 + min(D32 0, D33 1, D42 1)
    // Back from (4,3): diagonal to (3,2); there min(diag D21 1, up D22 0, left D31 2) is up, to (2,2); then
    // diagonal to (1,1). 0-based pairs: [0,0] [1,1] [2,1] [3,2].
    const r = dtw([0, 1, 1, 2], [0, 1, 2], { path: true })
    expect(r.distance).toBe(0)
    expect(r.path).toEqual([
      [0, 0],
      [1, 1],
      [2, 1],
      [3, 2],
    ])
    expect(r.pathLength).toBe(4)
  })

  it('sums the costs along the cheapest path when no path is free', () => {
    // a = [1, 2, 3], b = [2, 2, 4], cost |x - y|:
    //            b=2  b=2  b=4
    //   a=1  |    1    2    5        D11 = 1; D12 = 1 + 1; D13 = 3 + 2
    //   a=2  |    1    1    3        D21 = 0 + 1; D22 = 0 + min(1, 2, 1); D23 = 2 + min(2, 5, 1)
    //   a=3  |    2    2    2        D31 = 1 + 1; D32 = 1 + min(1, 1, 2); D33 = 1 + min(D22 1, D23 3, D32 2)
    // The path is the diagonal: |1-2| + |2-2| + |3-4| = 2.
    const r = dtw([1, 2, 3], [2, 2, 4], { path: true })
    expect(r.distance).toBe(2)
    expect(r.path).toEqual([
      [0, 0],
      [1, 1],
      [2, 2],
    ])
  })

  it('aligns a shifted peak unless the Sakoe-Chiba window forbids the shift', () => {
    // a = [0, 1, 0, 0], b = [0, 0, 1, 0], cost |x - y|:
    //            b=0  b=0  b=1  b=0
    //   a=0  |    0    0    1    1
    //   a=1  |    1    1    0    1     D23 = 0 + min(D12 0, D13 1, D22 1)
    //   a=0  |    2    1    1    0     D34 = 0 + min(D23 0, D24 1, D33 1)
    //   a=0  |    2    1    2    0     D44 = 0 + min(D33 1, D34 0, D43 2)
    // Path back from (4,4): up to (3,4), diagonal to (2,3), diagonal to (1,2), left to (1,1), diagonal to (0,0).
    const free = dtw([0, 1, 0, 0], [0, 0, 1, 0], { path: true })
    expect(free.distance).toBe(0)
    expect(free.path).toEqual([
      [0, 0],
      [0, 1],
      [1, 2],
      [2, 3],
      [3, 3],
    ])
    // Every cell of that path has |i - j| <= 1, so a window of 1 still finds it.
    expect(dtw([0, 1, 0, 0], [0, 0, 1, 0], { window: 1 }).distance).toBe(0)
    // A window of 0 leaves only the diagonal: |0-0| + |1-0| + |0-1| + |0-0| = 2.
    expect(dtw([0, 1, 0, 0], [0, 0, 1, 0], { window: 0, path: true })).toEqual({
      distance: 2,
      pathLength: 4,
      path: [
        [0, 0],
        [1, 1],
        [2, 2],
        [3, 3],
      ],
    })
  })

  it('widens a window narrower than the length difference so that a path still exists', () => {
    // a = [1, 1, 1], b = [1]: with window 0 only the diagonal would be allowed, which cannot reach (3, 1). The band
    // is widened to |3 - 1| = 2: D11 = 0, D21 = 0 + 0, D31 = 0 + 0.
    expect(dtw([1, 1, 1], [1], { window: 0, path: true })).toEqual({
      distance: 0,
      pathLength: 3,
      path: [
        [0, 0],
        [1, 0],
        [2, 0],
      ],
    })
  })

  it('uses the cost function it is given, by name or as a function', () => {
    // a = [0, 3], b = [1]: the only path is (1,1), (2,1). Absolute: 1 + 2 = 3. Squared: 1 + 4 = 5.
    expect(dtw([0, 3], [1]).distance).toBe(3)
    expect(dtw([0, 3], [1], { cost: 'squared' }).distance).toBe(5)
    expect(dtw([0, 3], [1], { cost: squaredCost }).distance).toBe(5)
    // A 0/1 mismatch cost counts the aligned pairs that differ: (0,1) and (3,1) both do.
    expect(dtw([0, 3], [1], { cost: (x, y) => (x === y ? 0 : 1) }).distance).toBe(2)
  })

  it('accepts Float64Array and plain arrays alike', () => {
    const a = [0, 1, 1, 2]
    const b = [0, 1, 2]
    expect(dtw(Float64Array.from(a), Float64Array.from(b))).toEqual(dtw(a, b))
  })

  it('gives up with an infinite distance once every partial path exceeds abandonAbove', () => {
    // a = [0, 0], b = [5, 5]: row 1 is (5, 10); its minimum 5 already exceeds 4, so no path can end under 4.
    expect(dtw([0, 0], [5, 5], { abandonAbove: 4 })).toEqual({ distance: Number.POSITIVE_INFINITY, pathLength: 0 })
    // The full distance is 10, so a limit of 10 must not abandon.
    expect(dtw([0, 0], [5, 5], { abandonAbove: 10 }).distance).toBe(10)
  })

  it('puts two empty sequences at distance 0 and refuses exactly one empty sequence', () => {
    expect(dtw([], [], { path: true })).toEqual({ distance: 0, pathLength: 0, path: [] })
    expect(() => dtw([], [1])).toThrow(expect.objectContaining({ code: 'ERR_COMPARE_EMPTY' }))
  })

  it('refuses NaN, infinities and bad windows with typed errors', () => {
    expect(() => dtw([1, Number.NaN], [1])).toThrow(expect.objectContaining({ code: 'ERR_COMPARE_NOT_FINITE' }))
    expect(() => dtw([1], [Number.POSITIVE_INFINITY])).toThrow(
      expect.objectContaining({ code: 'ERR_COMPARE_NOT_FINITE' }),
    )
    expect(() => dtw([1], [1], { window: -1 })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }))
    expect(() => dtw([1], [1], { window: 1.5 })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }))
    // @ts-expect-error an unknown cost name is a type error, and a runtime one for untyped callers
    expect(() => dtw([1], [1], { cost: 'cubic' })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }))
  })
})
