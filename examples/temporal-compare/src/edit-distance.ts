import { QmsError } from '@quic-multistream/protocol'
import { CompareErrorCode } from './errors.js'
import { type ItemEquality, type ItemSequence, strictEquals } from './sequences.js'

/**
 * One step of an edit script turning `a` into `b`, read left to right. `i` and `j` are the cursors in `a` and `b`
 * where it happens: `match`/`substitute` pair `a[i]` with `b[j]`, `delete` drops `a[i]` (before `b[j]`),
 * `insert` adds `b[j]` (before `a[i]`).
 */
export interface EditOperation {
  readonly op: 'match' | 'substitute' | 'delete' | 'insert'
  readonly i: number
  readonly j: number
}

/** Options of {@link editDistance}. */
export interface EditDistanceOptions<T> {
  /** Item equality. Default `===`. */
  equals?: ItemEquality<T>
  /** Also return the edit script (memory: one cell per pair of items). Default true; false keeps two rows. */
  script?: boolean
}

/** The result of {@link editDistance}. */
export interface EditDistanceResult {
  /** Levenshtein distance: the fewest insertions, deletions and substitutions turning `a` into `b`. */
  readonly distance: number
  /** A cheapest script, with its matches (so it is also an alignment). Absent with `script: false`. */
  readonly script?: readonly EditOperation[]
}

const MAX_TABLE_CELLS = 2 ** 28

/**
 * Levenshtein distance between two sequences of comparable items (arrays of anything, or strings), with a
 * cheapest edit script. Time O(n·m); memory two rows without the script, O(n·m) with it.
 * @throws QmsError `ERR_COMPARE_TOO_LARGE` for a script over 2^28 cells.
 */
export function editDistance<T>(
  a: ItemSequence<T>,
  b: ItemSequence<T>,
  options: EditDistanceOptions<T> = {},
): EditDistanceResult {
  const equals = options.equals ?? strictEquals
  const n = a.length
  const m = b.length
  if (options.script === false) return { distance: distanceOnly(a, b, equals) }
  const cells = (n + 1) * (m + 1)
  if (cells > MAX_TABLE_CELLS) {
    throw new QmsError(CompareErrorCode.TOO_LARGE, `an edit script over ${cells} cells is too large`, {
      details: { cells },
    })
  }
  // E[i][j] = distance between a[0..i) and b[0..j), row-major with rows of m + 1.
  const width = m + 1
  const table = new Uint32Array(cells)
  for (let j = 0; j <= m; j++) table[j] = j
  for (let i = 1; i <= n; i++) {
    table[i * width] = i
    const ai = a[i - 1]!
    for (let j = 1; j <= m; j++) {
      const at = i * width + j
      const replace = table[at - width - 1]! + (equals(ai, b[j - 1]!) ? 0 : 1)
      table[at] = Math.min(replace, table[at - width]! + 1, table[at - 1]! + 1)
    }
  }
  const script: EditOperation[] = []
  let i = n
  let j = m
  // Walking back, prefer the diagonal, then a deletion, then an insertion, among the moves that explain the cell.
  while (i > 0 || j > 0) {
    const at = i * width + j
    if (i > 0 && j > 0) {
      const same = equals(a[i - 1]!, b[j - 1]!)
      if (table[at] === table[at - width - 1]! + (same ? 0 : 1)) {
        script.push({ op: same ? 'match' : 'substitute', i: i - 1, j: j - 1 })
        i--
        j--
        continue
      }
    }
    if (i > 0 && table[at] === table[at - width]! + 1) {
      script.push({ op: 'delete', i: i - 1, j })
      i--
    } else {
      script.push({ op: 'insert', i, j: j - 1 })
      j--
    }
  }
  script.reverse()
  return { distance: table[n * width + m]!, script }
}

function distanceOnly<T>(a: ItemSequence<T>, b: ItemSequence<T>, equals: ItemEquality<T>): number {
  const m = b.length
  let prev = new Uint32Array(m + 1)
  let cur = new Uint32Array(m + 1)
  for (let j = 0; j <= m; j++) prev[j] = j
  for (let i = 1; i <= a.length; i++) {
    cur[0] = i
    const ai = a[i - 1]!
    for (let j = 1; j <= m; j++) {
      cur[j] = Math.min(prev[j - 1]! + (equals(ai, b[j - 1]!) ? 0 : 1), prev[j]! + 1, cur[j - 1]! + 1)
    }
    ;[prev, cur] = [cur, prev]
  }
  return prev[m]!
}
