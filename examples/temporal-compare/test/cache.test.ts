import { describe, expect, it } from 'vitest'
import { absoluteCost, ComparisonCache, comparisonKey, dtw } from '../src/index.js'

describe('ComparisonCache', () => {
  it('never answers one pair with the result of another pair of the same lengths', () => {
    const cache = new ComparisonCache()
    // Both pairs are 3 × 3. DTW([1,2,3], [1,2,3]) = 0; DTW([1,2,3], [3,2,1]) = 4 (|1-3| + |3-1| on the diagonal,
    // which no warping beats: a cache keyed by lengths would answer 0 here).
    expect(cache.dtw([1, 2, 3], [1, 2, 3]).distance).toBe(0)
    expect(cache.dtw([1, 2, 3], [3, 2, 1]).distance).toBe(4)
    expect(cache.dtw([1, 2, 3], [3, 2, 1]).distance).toBe(dtw([1, 2, 3], [3, 2, 1]).distance)
    expect(cache.euclidean([0, 0], [3, 4])).toBe(5)
    expect(cache.euclidean([0, 0], [6, 8])).toBe(10)
    expect(cache.editDistance('abc', 'abd').distance).toBe(1)
    expect(cache.editDistance('abc', 'xyz').distance).toBe(3)
    expect(cache.lcs('abc', 'abd').length).toBe(2)
    expect(cache.lcs('abc', 'xyz').length).toBe(0)
    expect(cache.stats()).toMatchObject({ hits: 1, misses: 8 })
  })

  it('hits for identical content, whatever array type holds it', () => {
    const cache = new ComparisonCache()
    const first = cache.dtw([0, 1, 1, 2], [0, 1, 2], { path: true })
    const again = cache.dtw(Float64Array.from([0, 1, 1, 2]), Float64Array.from([0, 1, 2]), { path: true })
    expect(again).toBe(first)
    // A string and the array of its characters are the same sequence of items.
    cache.editDistance('kitten', 'sitting')
    expect(cache.editDistance([...'kitten'], [...'sitting']).distance).toBe(3)
    expect(cache.stats()).toMatchObject({ hits: 2, misses: 2, entries: 2 })
  })

  it('keys by algorithm, options and the split between the two sequences', () => {
    const cache = new ComparisonCache()
    // a = [0, 1, 0, 0], b = [0, 0, 1, 0]: 0 without window, 2 with window 0 (see dtw.test.ts).
    expect(cache.dtw([0, 1, 0, 0], [0, 0, 1, 0]).distance).toBe(0)
    expect(cache.dtw([0, 1, 0, 0], [0, 0, 1, 0], { window: 0 }).distance).toBe(2)
    expect(cache.dtw([0, 3], [1], { cost: 'squared' }).distance).toBe(5)
    expect(cache.dtw([0, 3], [1]).distance).toBe(3)
    // The same concatenated values split differently are different pairs: |1-5| + |2-5| = 7, |1-2| + |1-5| = 5.
    expect(cache.dtw([1, 2], [5]).distance).toBe(7)
    expect(cache.dtw([1], [2, 5]).distance).toBe(5)
    expect(cache.stats()).toMatchObject({ hits: 0, misses: 6 })
    expect(comparisonKey('dtw', { numeric: [1, 2] }, { numeric: [3] }, {})).not.toBe(
      comparisonKey('dtw', { numeric: [1] }, { numeric: [2, 3] }, {}),
    )
    // Items of different types never collide: the number 1 is not the string "1".
    expect(comparisonKey('lcs', { items: [1] }, { items: [] }, {})).not.toBe(
      comparisonKey('lcs', { items: ['1'] }, { items: [] }, {}),
    )
  })

  it('keys custom cost functions by identity: the same function hits, another one misses', () => {
    const cache = new ComparisonCache()
    const mismatch = (x: number, y: number) => (x === y ? 0 : 1)
    const doubled = (x: number, y: number) => 2 * Math.abs(x - y)
    expect(cache.dtw([0, 3], [1], { cost: mismatch }).distance).toBe(2)
    expect(cache.dtw([0, 3], [1], { cost: doubled }).distance).toBe(6)
    expect(cache.dtw([0, 3], [1], { cost: mismatch }).distance).toBe(2)
    // The built-in function and its name are the same cost.
    cache.dtw([0, 3], [1], { cost: absoluteCost })
    expect(cache.dtw([0, 3], [1], { cost: 'absolute' }).distance).toBe(3)
    expect(cache.stats()).toMatchObject({ hits: 2, misses: 3 })
  })

  it('evicts the least recently used result beyond maxEntries', () => {
    const cache = new ComparisonCache({ maxEntries: 2 })
    cache.euclidean([1], [2])
    cache.euclidean([1], [3])
    cache.euclidean([1], [2]) // touch: [1]/[3] is now the least recently used
    cache.euclidean([1], [4]) // evicts [1]/[3]
    expect(cache.stats()).toMatchObject({ hits: 1, misses: 3, evictions: 1, entries: 2 })
    cache.euclidean([1], [2])
    expect(cache.stats().hits).toBe(2)
    cache.euclidean([1], [3])
    expect(cache.stats()).toMatchObject({ hits: 2, misses: 4, evictions: 2 })
    cache.clear()
    expect(cache.stats()).toEqual({ hits: 0, misses: 0, evictions: 0, entries: 0, maxEntries: 2 })
  })

  it('shares frozen results, so no caller can change what another one gets', () => {
    const cache = new ComparisonCache()
    const r = cache.dtw([0, 1, 1, 2], [0, 1, 2], { path: true })
    expect(Object.isFrozen(r)).toBe(true)
    expect(Object.isFrozen(r.path)).toBe(true)
    expect(Object.isFrozen(r.path![0])).toBe(true)
  })

  it('refuses items without a canonical encoding instead of keying them loosely', () => {
    const cache = new ComparisonCache()
    expect(() => cache.lcs([{ id: 1 }], [{ id: 1 }])).toThrow(
      expect.objectContaining({ code: 'ERR_COMPARE_UNCACHEABLE' }),
    )
    expect(() => new ComparisonCache({ maxEntries: 0 })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }),
    )
  })
})
