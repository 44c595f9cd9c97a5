import { describe, expect, it } from 'vitest'
import { euclidean, findMotifs, findSimilar, squaredEuclidean } from '../src/index.js'

describe('euclidean', () => {
  it('is the true L2 distance', () => {
    // √((3-0)² + (4-0)²) = √25 = 5
    expect(euclidean([0, 0], [3, 4])).toBe(5)
    // four differences of 1: √4 = 2 (an L1 distance would say 4)
    expect(euclidean([1, 1, 1, 1], Float64Array.from([2, 2, 2, 2]))).toBe(2)
    expect(squaredEuclidean([1, 2], [3, 5])).toBe(13)
    expect(euclidean([], [])).toBe(0)
  })

  it('refuses sequences of different lengths with a typed error', () => {
    expect(() => euclidean([1, 2, 3], [1, 2])).toThrow(
      expect.objectContaining({ code: 'ERR_COMPARE_LENGTH_MISMATCH', details: { lengthA: 3, lengthB: 2 } }),
    )
  })
})

describe('findSimilar', () => {
  // The pattern [1, 2, 1] sits at positions 2 and 7.
  const haystack = [0, 0, 1, 2, 1, 0, 0, 1, 2, 1, 0]

  it('finds the windows within the threshold by Euclidean distance', () => {
    // Position 3 is [2, 1, 0]: √(1 + 1 + 1) ≈ 1.73, beyond 0.5; only the two exact copies qualify.
    expect(findSimilar(haystack, [1, 2, 1], 0.5, { method: 'euclidean' })).toEqual([
      { position: 2, distance: 0 },
      { position: 7, distance: 0 },
    ])
    // At 1.8, position 3 qualifies (1.73) but overlaps the better match at 2, and so on for the others.
    expect(findSimilar(haystack, [1, 2, 1], 1.8, { method: 'euclidean' }).map((m) => m.position)).toEqual([2, 7])
  })

  it('finds the windows within the threshold by DTW, which tolerates a shift inside the window', () => {
    // Position 1 is [0, 1, 2] against [1, 2, 1]; its DTW table (cost |x - y|):
    //            1    2    1
    //   0   |    1    3    4
    //   1   |    1    2    2
    //   2   |    2    1    2      D32 = 0 + min(D21 1, D22 2, D31 2), D33 = 1 + min(D22 2, D23 2, D32 1)
    // so 2: out at threshold 1.9 but in at 2, where it is taken only if it does not overlap a better match.
    expect(findSimilar(haystack, [1, 2, 1], 1.9)).toEqual([
      { position: 2, distance: 0 },
      { position: 7, distance: 0 },
    ])
    const wide = findSimilar([5, 0, 1, 2], [1, 2, 1], 2)
    expect(wide).toEqual([{ position: 1, distance: 2 }])
  })

  it('keeps the best non-overlapping matches, best first', () => {
    // Windows 0, 1, 2 all match exactly; 0 is taken first (ties go to the earlier position), 1 overlaps it, 2 not.
    expect(findSimilar([5, 5, 5, 5], [5, 5], 0, { method: 'euclidean' })).toEqual([
      { position: 0, distance: 0 },
      { position: 2, distance: 0 },
    ])
    // Best first: the exact match at 3 comes before the near one at 0.
    expect(findSimilar([1, 2, 0, 1, 3, 0], [1, 3], 1, { method: 'euclidean' })).toEqual([
      { position: 3, distance: 0 },
      { position: 0, distance: 1 },
    ])
  })

  it('has no match for a needle longer than the haystack, and refuses an empty needle', () => {
    expect(findSimilar([1, 2], [1, 2, 3], 10)).toEqual([])
    expect(() => findSimilar([1, 2], [], 1)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }))
    expect(() => findSimilar([1, 2], [1], -1)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }))
  })
})

describe('findMotifs', () => {
  // [1, 3, 1] recurs at 1, 5 and 9; every other window occurs once.
  const series = [9, 1, 3, 1, 7, 1, 3, 1, 5, 1, 3, 1, 8]

  it('reports a pattern that recurs at least k times, with its occurrences', () => {
    expect(findMotifs(series, { length: 3, threshold: 0.1, minOccurrences: 3, method: 'euclidean' })).toEqual([
      {
        seed: 1,
        occurrences: [
          { position: 1, distance: 0 },
          { position: 5, distance: 0 },
          { position: 9, distance: 0 },
        ],
      },
    ])
    expect(findMotifs(series, { length: 3, threshold: 0.1, minOccurrences: 4, method: 'euclidean' })).toEqual([])
  })

  it('counts approximate occurrences within the threshold and reports each motif once', () => {
    // The third copy is off by 0.5 in one value: Euclidean distance 0.5 to the others.
    const noisy = [9, 1, 3, 1, 7, 1, 3, 1, 5, 1, 3.5, 1, 8]
    const motifs = findMotifs(noisy, { length: 3, threshold: 0.6, minOccurrences: 3, method: 'euclidean' })
    expect(motifs).toHaveLength(1)
    expect(motifs[0]!.occurrences.map((o) => o.position)).toEqual([1, 5, 9])
    // The seed is an exact copy (total distance 0.5 beats the noisy seed's 1.0).
    expect(motifs[0]!.seed).toBe(1)
    expect(motifs[0]!.occurrences.map((o) => o.distance)).toEqual([0, 0, 0.5])
  })

  it('finds motifs by DTW too, which tolerates a warped occurrence', () => {
    // [1, 3, 3] against [1, 1, 3]: DTW aligns the repeated values at cost 0, Euclidean sees √4 = 2.
    const warped = [9, 1, 1, 3, 7, 1, 3, 3, 5, 1, 1, 3, 8]
    const byDtw = findMotifs(warped, { length: 3, threshold: 0.1, minOccurrences: 3 })
    expect(byDtw.map((m) => m.occurrences.map((o) => o.position))).toEqual([[1, 5, 9]])
    expect(findMotifs(warped, { length: 3, threshold: 0.1, minOccurrences: 3, method: 'euclidean' })).toEqual([])
  })
})
