import { QmsError } from '@quic-multistream/protocol'
import type { AlignedPair } from './dtw.js'
import { CompareErrorCode } from './errors.js'
import { type ItemEquality, type ItemSequence, strictEquals } from './sequences.js'

/** Options of {@link lcs}. */
export interface LcsOptions<T> {
  /** Item equality. Default `===`. */
  equals?: ItemEquality<T>
  /** Also return one alignment (memory: one cell per pair of items). Default true; false keeps two rows. */
  alignment?: boolean
}

/** The result of {@link lcs}. */
export interface LcsResult {
  /** Length of a longest common subsequence. */
  readonly length: number
  /**
   * One longest common subsequence as the index pairs it matches, increasing in both: `a[i]` equals `b[j]` for
   * each `[i, j]`. Absent with `alignment: false`.
   */
  readonly pairs?: readonly AlignedPair[]
}

/** Cells above which the alignment table is refused (four bytes each). */
const MAX_TABLE_CELLS = 2 ** 28

/**
 * Longest common subsequence of two sequences of comparable items (arrays of anything, or strings).
 * Time O(n·m); memory two rows without the alignment, O(n·m) with it.
 * @throws QmsError `ERR_COMPARE_TOO_LARGE` for an alignment over 2^28 cells.
 */
export function lcs<T>(a: ItemSequence<T>, b: ItemSequence<T>, options: LcsOptions<T> = {}): LcsResult {
  const equals = options.equals ?? strictEquals
  const n = a.length
  const m = b.length
  if (options.alignment === false) return { length: lcsLength(a, b, equals) }
  const cells = (n + 1) * (m + 1)
  if (cells > MAX_TABLE_CELLS) {
    throw new QmsError(CompareErrorCode.TOO_LARGE, `an LCS alignment over ${cells} cells is too large`, {
      details: { cells },
    })
  }
  // L[i][j] = LCS length of a[0..i) and b[0..j), row-major with rows of m + 1.
  const width = m + 1
  const table = new Uint32Array(cells)
  for (let i = 1; i <= n; i++) {
    const ai = a[i - 1]!
    for (let j = 1; j <= m; j++) {
      const at = i * width + j
      table[at] = equals(ai, b[j - 1]!) ? table[at - width - 1]! + 1 : Math.max(table[at - width]!, table[at - 1]!)
    }
  }
  const pairs: AlignedPair[] = []
  let i = n
  let j = m
  while (i > 0 && j > 0) {
    const at = i * width + j
    if (equals(a[i - 1]!, b[j - 1]!) && table[at] === table[at - width - 1]! + 1) {
      pairs.push([i - 1, j - 1])
      i--
      j--
    } else if (table[at - width]! >= table[at - 1]!) i--
    else j--
  }
  pairs.reverse()
  return { length: table[n * width + m]!, pairs }
}

function lcsLength<T>(a: ItemSequence<T>, b: ItemSequence<T>, equals: ItemEquality<T>): number {
  const m = b.length
  let prev = new Uint32Array(m + 1)
  let cur = new Uint32Array(m + 1)
  for (let i = 1; i <= a.length; i++) {
    const ai = a[i - 1]!
    for (let j = 1; j <= m; j++) {
      cur[j] = equals(ai, b[j - 1]!) ? prev[j - 1]! + 1 : Math.max(prev[j]!, cur[j - 1]!)
    }
    ;[prev, cur] = [cur, prev]
  }
  return prev[m]!
}
