import type { CostFunction } from './cost.js'
import { invalidArgument } from './errors.js'
import type { NumericSequence } from './sequences.js'

const INF = Number.POSITIVE_INFINITY

/** A `Float64Array` / `Int32Array` pair that grows by doubling, for values whose final count may be unknown. */
class Growable {
  values: Float64Array
  lengths: Int32Array

  constructor(capacity: number) {
    this.values = new Float64Array(Math.max(1, capacity))
    this.lengths = new Int32Array(Math.max(1, capacity))
  }

  ensure(size: number): void {
    if (size <= this.values.length) return
    let capacity = this.values.length
    while (capacity < size) capacity *= 2
    const values = new Float64Array(capacity)
    values.set(this.values)
    const lengths = new Int32Array(capacity)
    lengths.set(this.lengths)
    this.values = values
    this.lengths = lengths
  }
}

/**
 * The frontier of a DTW cost table `D` (1-based: `D[0][0] = 0`, the rest of row and column 0 infinite) that grows
 * in both directions: new values of `a` add rows, new values of `b` add columns. Only the last row
 * (`D[n][0..m]`) and the last column (`D[0..n][m]`) are kept, with the length of the optimal path reaching each
 * cell beside it, so memory is O(n + m) while the work is the same O(cells) as one table filled at once.
 *
 * Each cell takes `cost(a[i], b[j])` plus the cheapest of its predecessors, preferring on ties the diagonal, then
 * `(i - 1, j)`, then `(i, j - 1)`: the same order as the backtracking in `dtw`, so the tracked path length is the
 * length of the path it would return. Cells with `|i - j| > band` are infinite (Sakoe-Chiba).
 */
export class DtwTable {
  readonly #cost: CostFunction
  readonly #band: number
  readonly #maxA: number
  readonly #maxB: number
  /** The values received, kept because a new column needs every `a` and a new row every `b`. */
  readonly #a: Growable
  readonly #b: Growable
  /** `D[n][0..m]` (values) and the path lengths beside it. */
  readonly #row: Growable
  /** `D[0..n][m]`. */
  readonly #col: Growable
  #n = 0
  #m = 0
  /** The smallest value of the last completed row, for early abandoning. */
  #lastRowMin = 0

  /**
   * @param band Sakoe-Chiba radius (`Infinity` for none).
   * @param expected Final lengths when known: storage is allocated once and pushing past them is refused.
   */
  constructor(cost: CostFunction, band: number, expected?: { a: number; b: number }) {
    this.#cost = cost
    this.#band = band
    this.#maxA = expected?.a ?? INF
    this.#maxB = expected?.b ?? INF
    this.#a = new Growable(expected?.a ?? 64)
    this.#b = new Growable(expected?.b ?? 64)
    this.#row = new Growable((expected?.b ?? 64) + 1)
    this.#col = new Growable((expected?.a ?? 64) + 1)
    // D[0][0] = 0 starts both frontiers; every other cell of row 0 and column 0 is infinite.
    this.#row.values[0] = 0
    this.#col.values[0] = 0
  }

  /** Empties the table (keeping its storage) for another pair of sequences with the same cost and band. */
  reset(): void {
    this.#n = 0
    this.#m = 0
    this.#lastRowMin = 0
    this.#row.values[0] = 0
    this.#row.lengths[0] = 0
    this.#col.values[0] = 0
    this.#col.lengths[0] = 0
  }

  /** Values of `a` (rows) so far. */
  get lengthA(): number {
    return this.#n
  }

  /** Values of `b` (columns) so far. */
  get lengthB(): number {
    return this.#m
  }

  /** `D[n][m]`: the DTW distance of the prefixes so far (0 for two empty prefixes, infinite when one is empty). */
  get distance(): number {
    if (this.#n === 0 && this.#m === 0) return 0
    if (this.#n === 0 || this.#m === 0) return INF
    return this.#row.values[this.#m]!
  }

  /** Cells on the optimal path to `D[n][m]` (0 when there is none). */
  get pathLength(): number {
    return Number.isFinite(this.distance) ? this.#row.lengths[this.#m]! : 0
  }

  /** The smallest value in the last row added by {@link addRows}: no path through the table can end below it. */
  get lastRowMin(): number {
    return this.#lastRowMin
  }

  /**
   * Appends `values` to `b`: one new column each, over every row so far.
   * @throws QmsError `ERR_INVALID_ARGUMENT` past the expected length.
   */
  addColumns(values: NumericSequence): void {
    const count = values.length
    if (count === 0) return
    if (this.#m + count > this.#maxB) {
      throw invalidArgument(`b would exceed its expected length ${this.#maxB}`, { expected: this.#maxB })
    }
    const n = this.#n
    this.#b.ensure(this.#m + count)
    this.#row.ensure(this.#m + count + 1)
    const a = this.#a.values
    const bs = this.#b.values
    const col = this.#col.values
    const colLen = this.#col.lengths
    const row = this.#row.values
    const rowLen = this.#row.lengths
    const cost = this.#cost
    const band = this.#band
    for (let k = 0; k < count; k++) {
      const j = this.#m + 1
      const bj = values[k]!
      bs[j - 1] = bj
      const lo = Math.max(1, j - band)
      const hi = Math.min(n, j + band)
      // The column is rewritten in place, top to bottom: `diag` carries the previous column's value of the row above.
      let diag = col[lo - 1]!
      let diagLen = colLen[lo - 1]!
      col[lo - 1] = INF
      for (let i = lo; i <= hi; i++) {
        const left = col[i]!
        const leftLen = colLen[i]!
        let best = diag
        let bestLen = diagLen
        const up = col[i - 1]!
        if (up < best) {
          best = up
          bestLen = colLen[i - 1]!
        }
        if (left < best) {
          best = left
          bestLen = leftLen
        }
        col[i] = cost(a[i - 1]!, bj) + best
        colLen[i] = bestLen + 1
        diag = left
        diagLen = leftLen
      }
      if (hi + 1 <= n) col[hi + 1] = INF
      row[j] = hi === n ? col[n]! : INF
      rowLen[j] = hi === n ? colLen[n]! : 0
      this.#m = j
    }
  }

  /**
   * Appends `values` to `a`: one new row each, over every column so far. With `abandonAbove`, stops as soon as a
   * whole row exceeds it (with non-negative costs no path can come back under it) and returns false.
   * @throws QmsError `ERR_INVALID_ARGUMENT` past the expected length.
   */
  addRows(values: NumericSequence, abandonAbove = INF): boolean {
    const count = values.length
    if (count === 0) return true
    if (this.#n + count > this.#maxA) {
      throw invalidArgument(`a would exceed its expected length ${this.#maxA}`, { expected: this.#maxA })
    }
    const m = this.#m
    this.#a.ensure(this.#n + count)
    this.#col.ensure(this.#n + count + 1)
    const as = this.#a.values
    const b = this.#b.values
    const row = this.#row.values
    const rowLen = this.#row.lengths
    const col = this.#col.values
    const colLen = this.#col.lengths
    const cost = this.#cost
    const band = this.#band
    for (let k = 0; k < count; k++) {
      const i = this.#n + 1
      const ai = values[k]!
      as[i - 1] = ai
      const lo = Math.max(1, i - band)
      const hi = Math.min(m, i + band)
      let diag = row[lo - 1]!
      let diagLen = rowLen[lo - 1]!
      row[lo - 1] = INF
      let rowMin = INF
      for (let j = lo; j <= hi; j++) {
        const up = row[j]!
        const upLen = rowLen[j]!
        let best = diag
        let bestLen = diagLen
        if (up < best) {
          best = up
          bestLen = upLen
        }
        const left = row[j - 1]!
        if (left < best) {
          best = left
          bestLen = rowLen[j - 1]!
        }
        const value = cost(ai, b[j - 1]!) + best
        row[j] = value
        rowLen[j] = bestLen + 1
        if (value < rowMin) rowMin = value
        diag = up
        diagLen = upLen
      }
      if (hi + 1 <= m) row[hi + 1] = INF
      col[i] = hi === m ? row[m]! : INF
      colLen[i] = hi === m ? rowLen[m]! : 0
      this.#n = i
      this.#lastRowMin = rowMin
      if (rowMin > abandonAbove) return false
    }
    return true
  }
}
