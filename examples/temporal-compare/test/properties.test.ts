import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { absoluteCost, DtwTable, dtw, editDistance, effectiveWindow, euclidean, lcs } from '../src/index.js'

const value = fc.double({ min: -1_000, max: 1_000, noNaN: true })
const series = (maxLength = 24) => fc.array(value, { minLength: 1, maxLength })
const window = fc.option(fc.integer({ min: 0, max: 6 }), { nil: undefined })
/** Small alphabets make common subsequences and matches likely. */
const word = fc.array(fc.constantFrom('a', 'b', 'c', 'd'), { maxLength: 12 })

describe('dtw properties', () => {
  it('is symmetric for a symmetric cost, with or without a window', () => {
    fc.assert(
      fc.property(series(), series(), window, (a, b, w) => {
        expect(dtw(a, b, { window: w }).distance).toBe(dtw(b, a, { window: w }).distance)
      }),
    )
  })

  it('never exceeds the diagonal path: with the squared cost, √DTW <= Euclidean for equal lengths', () => {
    fc.assert(
      fc.property(
        fc
          .integer({ min: 1, max: 24 })
          .chain((n) =>
            fc.tuple(fc.array(value, { minLength: n, maxLength: n }), fc.array(value, { minLength: n, maxLength: n })),
          ),
        window,
        ([a, b], w) => {
          // The diagonal is one of the warping paths (and lies in every band), and its squared cost sums to exactly
          // what squaredEuclidean sums, in the same order.
          expect(Math.sqrt(dtw(a, b, { cost: 'squared', window: w }).distance)).toBeLessThanOrEqual(euclidean(a, b))
          // With |x - y| the diagonal is the L1 distance.
          const l1 = a.reduce((sum, x, i) => sum + Math.abs(x - b[i]!), 0)
          expect(dtw(a, b, { window: w }).distance).toBeLessThanOrEqual(l1 + 1e-9 * Math.max(1, l1))
        },
      ),
    )
  })

  it('returns a valid warping path whose costs add up to the distance the two-row variant finds', () => {
    fc.assert(
      fc.property(series(), series(), window, (a, b, w) => {
        const withPath = dtw(a, b, { window: w, path: true })
        const twoRows = dtw(a, b, { window: w })
        expect(withPath.distance).toBe(twoRows.distance)
        expect(withPath.pathLength).toBe(twoRows.pathLength)
        const path = withPath.path!
        expect(path[0]).toEqual([0, 0])
        expect(path.at(-1)).toEqual([a.length - 1, b.length - 1])
        const band = effectiveWindow(w, a.length, b.length)
        let sum = 0
        path.forEach(([i, j], k) => {
          expect(Math.abs(i - j)).toBeLessThanOrEqual(band)
          if (k > 0) {
            const [pi, pj] = path[k - 1]!
            // Steps of (1,0), (0,1) or (1,1): monotone and continuous.
            expect([
              [1, 0],
              [0, 1],
              [1, 1],
            ]).toContainEqual([i - pi, j - pj])
          }
          sum += Math.abs(a[i]! - b[j]!)
        })
        expect(sum).toBeCloseTo(withPath.distance, 6)
      }),
    )
  })

  it('grows incrementally, in any interleaving of chunks, to exactly the one-shot distance of the prefixes', () => {
    fc.assert(
      fc.property(
        series(),
        series(),
        window,
        fc.array(fc.tuple(fc.nat(4), fc.nat(4)), { minLength: 1, maxLength: 30 }),
        fc.boolean(),
        (a, b, w, steps, declared) => {
          const band = effectiveWindow(w, a.length, b.length)
          const table = new DtwTable(absoluteCost, band, declared ? { a: a.length, b: b.length } : undefined)
          let i = 0
          let j = 0
          for (const [da, db] of [...steps, [a.length, b.length] as const]) {
            table.addColumns(b.slice(j, j + db))
            table.addRows(a.slice(i, i + da))
            i = Math.min(a.length, i + da)
            j = Math.min(b.length, j + db)
            if (i > 0 && j > 0 && band === Number.POSITIVE_INFINITY) {
              // Without a band, every prefix pair is an ordinary DTW problem of its own.
              const prefix = dtw(a.slice(0, i), b.slice(0, j))
              expect(table.distance).toBe(prefix.distance)
              expect(table.pathLength).toBe(prefix.pathLength)
            }
          }
          const whole = dtw(a, b, { window: w })
          expect(table.distance).toBe(whole.distance)
          expect(table.pathLength).toBe(whole.pathLength)
        },
      ),
    )
  })
})

describe('edit distance and LCS properties', () => {
  it('edit distance satisfies the triangle inequality', () => {
    fc.assert(
      fc.property(word, word, word, (a, b, c) => {
        const ac = editDistance(a, c, { script: false }).distance
        expect(ac).toBeLessThanOrEqual(
          editDistance(a, b, { script: false }).distance + editDistance(b, c, { script: false }).distance,
        )
      }),
    )
  })

  it('edit scripts turn a into b with exactly distance non-matching steps', () => {
    fc.assert(
      fc.property(word, word, (a, b) => {
        const { distance, script } = editDistance(a, b)
        const out: string[] = []
        for (const step of script!) {
          if (step.op === 'match') {
            expect(a[step.i]).toBe(b[step.j])
            out.push(a[step.i]!)
          } else if (step.op !== 'delete') out.push(b[step.j]!)
        }
        expect(out).toEqual(b)
        expect(script!.filter((s) => s.op !== 'match')).toHaveLength(distance)
        expect(distance).toBe(editDistance(b, a, { script: false }).distance)
      }),
    )
  })

  it('LCS is at most the shorter length, and its alignment is a common subsequence of that length', () => {
    fc.assert(
      fc.property(word, word, (a, b) => {
        const { length, pairs } = lcs(a, b)
        expect(length).toBeLessThanOrEqual(Math.min(a.length, b.length))
        expect(pairs).toHaveLength(length)
        pairs!.forEach(([i, j], k) => {
          expect(a[i]).toBe(b[j])
          if (k > 0) {
            expect(i).toBeGreaterThan(pairs![k - 1]![0])
            expect(j).toBeGreaterThan(pairs![k - 1]![1])
          }
        })
        expect(lcs(a, b, { alignment: false }).length).toBe(length)
        // Levenshtein without substitutions would be n + m - 2·LCS; substitutions can only make it cheaper.
        expect(editDistance(a, b, { script: false }).distance).toBeLessThanOrEqual(a.length + b.length - 2 * length)
      }),
    )
  })
})
