import { QmsError } from '@quic-multistream/protocol'
import { type CostFunction, type CostName, resolveCost } from './cost.js'
import { DtwTable } from './dtw-table.js'
import { CompareErrorCode } from './errors.js'
import { assertFinite, assertWindow, effectiveWindow, type NumericSequence } from './sequences.js'

/** Options of {@link dtw}. */
export interface DtwOptions {
  /** Local cost of aligning two values: a function or a built-in name. Default `'absolute'` (`|x - y|`). */
  cost?: CostFunction | CostName
  /**
   * Sakoe-Chiba radius: only cells with `|i - j| <= max(window, |a.length - b.length|)` are considered (the band is
   * widened to the length difference so a path always exists). Default: unconstrained.
   */
  window?: number
  /** Also return the warping path (memory: one byte per cell in the band). Default false: two rows of memory. */
  path?: boolean
  /**
   * Give up, returning an infinite distance, once every partial path exceeds this (valid for non-negative costs).
   * Only without `path`. Speeds up searches that only care about distances under a threshold.
   */
  abandonAbove?: number
}

/** One aligned pair of a warping path: an index into `a` and an index into `b`. */
export type AlignedPair = readonly [i: number, j: number]

/** The result of {@link dtw}. */
export interface DtwResult {
  /** Sum of the costs along the optimal warping path (infinite when abandoned). */
  readonly distance: number
  /** Pairs on that path (0 when abandoned). */
  readonly pathLength: number
  /** The path from `[0, 0]` to `[a.length - 1, b.length - 1]`, when asked for with `path: true`. */
  readonly path?: readonly AlignedPair[]
}

/** Cells above which a path-returning DTW refuses (a byte each): use a window, or no path. */
const MAX_PATH_CELLS = 2 ** 30

/**
 * Dynamic time warping distance between two numeric sequences: the cheapest monotone alignment of every value of
 * `a` with at least one value of `b` and vice versa, where aligning `x` with `y` costs `cost(x, y)`.
 * Two empty sequences are at distance 0.
 *
 * Time O(n·m), or O(n·window) with a window; memory two rows unless `path` is asked for.
 * @throws QmsError `ERR_COMPARE_EMPTY` when exactly one sequence is empty, `ERR_COMPARE_NOT_FINITE`,
 *   `ERR_INVALID_ARGUMENT` for a bad window, `ERR_COMPARE_TOO_LARGE` for a path over 2^30 cells.
 */
export function dtw(a: NumericSequence, b: NumericSequence, options: DtwOptions = {}): DtwResult {
  assertFinite(a, 'a')
  assertFinite(b, 'b')
  assertWindow(options.window)
  const cost = resolveCost(options.cost)
  const n = a.length
  const m = b.length
  if (n === 0 && m === 0)
    return options.path ? { distance: 0, pathLength: 0, path: [] } : { distance: 0, pathLength: 0 }
  if (n === 0 || m === 0) {
    throw new QmsError(CompareErrorCode.EMPTY, 'DTW needs both sequences empty or both non-empty', {
      details: { lengthA: n, lengthB: m },
    })
  }
  const band = effectiveWindow(options.window, n, m)
  if (options.path) return dtwWithPath(a, b, cost, band)
  const table = new DtwTable(cost, band, { a: n, b: m })
  table.addColumns(b)
  if (!table.addRows(a, options.abandonAbove)) return { distance: Number.POSITIVE_INFINITY, pathLength: 0 }
  return { distance: table.distance, pathLength: table.pathLength }
}

const DIAGONAL = 0
const UP = 1
const LEFT = 2

/**
 * The full-path variant: the same recurrence and tie order as `DtwTable`, keeping one move per cell of the band
 * (row `i` stores columns `lo(i)..hi(i)` from `offsets[i]`), then walking the moves back from the last cell.
 */
function dtwWithPath(a: NumericSequence, b: NumericSequence, cost: CostFunction, band: number): DtwResult {
  const n = a.length
  const m = b.length
  const offsets = new Float64Array(n + 2)
  for (let i = 1; i <= n; i++) {
    offsets[i + 1] = offsets[i]! + Math.min(m, i + band) - Math.max(1, i - band) + 1
  }
  const cells = offsets[n + 1]!
  if (cells > MAX_PATH_CELLS) {
    throw new QmsError(CompareErrorCode.TOO_LARGE, `a DTW path over ${cells} cells is too large: use a window`, {
      details: { cells },
    })
  }
  const moves = new Uint8Array(cells)
  const row = new Float64Array(m + 1).fill(Number.POSITIVE_INFINITY)
  row[0] = 0
  for (let i = 1; i <= n; i++) {
    const lo = Math.max(1, i - band)
    const hi = Math.min(m, i + band)
    const base = offsets[i]! - lo
    const ai = a[i - 1]!
    let diag = row[lo - 1]!
    row[lo - 1] = Number.POSITIVE_INFINITY
    for (let j = lo; j <= hi; j++) {
      const up = row[j]!
      let best = diag
      let move = DIAGONAL
      if (up < best) {
        best = up
        move = UP
      }
      if (row[j - 1]! < best) {
        best = row[j - 1]!
        move = LEFT
      }
      row[j] = cost(ai, b[j - 1]!) + best
      moves[base + j] = move
      diag = up
    }
    if (hi + 1 <= m) row[hi + 1] = Number.POSITIVE_INFINITY
  }
  const path: AlignedPair[] = []
  let i = n
  let j = m
  while (i > 0 && j > 0) {
    path.push([i - 1, j - 1])
    const move = moves[offsets[i]! - Math.max(1, i - band) + j]
    if (move === DIAGONAL) {
      i--
      j--
    } else if (move === UP) i--
    else j--
  }
  path.reverse()
  return { distance: row[m]!, pathLength: path.length, path }
}
