import { QmsError } from '@quic-multistream/protocol'
import { resolveCost } from './cost.js'
import { DtwTable } from './dtw-table.js'
import { CompareErrorCode } from './errors.js'
import type { CompareOpenBody, CompareProgressBody } from './messages.js'
import { assertFinite, effectiveWindow, type NumericSequence } from './sequences.js'

/** Limits a service puts on one comparison. */
export interface SessionLimits {
  /** Longest sequence accepted. */
  maxLength: number
  /** Most DP cells (band cells for a windowed DTW) one comparison may cost. */
  maxCells: number
}

/** What a comparison has computed so far. */
export interface SessionState {
  readonly receivedA: number
  readonly receivedB: number
  /** Infinite while no warping path exists yet. */
  readonly distance: number
  readonly pathLength: number
}

/** DP cells of a DTW between lengths n and m with band radius `band` (an upper bound with clipping). */
function dtwCells(n: number, m: number, band: number): number {
  return Number.isFinite(band) ? Math.min(n * m, n * (2 * band + 1)) : n * m
}

function protocolError(message: string, details: Record<string, unknown>): QmsError {
  return new QmsError(CompareErrorCode.PROTOCOL, message, { details })
}

/**
 * One streamed comparison, independent of how its values travel: built from the opening declaration, fed chunk by
 * chunk, answering the distance over everything received after each one. DTW grows a {@link DtwTable} (new `b`
 * values add columns over the rows so far, new `a` values add rows over every column), so the final distance and
 * path length are exactly the one-shot `dtw` ones. Euclidean keeps a running sum over the paired prefix.
 */
export class ComparisonSession {
  /** The declaration the session was opened with. */
  readonly open: CompareOpenBody
  readonly #table: DtwTable | undefined
  /** Euclidean: the values not yet paired with the other sequence's, and the sum over the pairs so far. */
  readonly #a: Float64Array | undefined
  readonly #b: Float64Array | undefined
  #sum = 0
  #paired = 0
  #receivedA = 0
  #receivedB = 0
  #chunks = 0

  /**
   * @throws QmsError `ERR_COMPARE_TOO_LARGE` beyond `limits`, `ERR_COMPARE_LENGTH_MISMATCH` for a Euclidean
   *   comparison of unequal lengths, `ERR_COMPARE_EMPTY` for a DTW with exactly one empty sequence.
   */
  constructor(open: CompareOpenBody, limits: SessionLimits) {
    this.open = open
    const { lengthA, lengthB } = open
    if (Math.max(lengthA, lengthB) > limits.maxLength) {
      throw new QmsError(CompareErrorCode.TOO_LARGE, `sequences longer than ${limits.maxLength} are refused`, {
        details: { lengthA, lengthB, maxLength: limits.maxLength },
      })
    }
    if (open.algorithm === 'euclidean') {
      if (lengthA !== lengthB) {
        throw new QmsError(
          CompareErrorCode.LENGTH_MISMATCH,
          `Euclidean distance needs equal lengths, got ${lengthA} and ${lengthB}`,
          { details: { lengthA, lengthB } },
        )
      }
      this.#a = new Float64Array(lengthA)
      this.#b = new Float64Array(lengthB)
      return
    }
    if ((lengthA === 0) !== (lengthB === 0)) {
      throw new QmsError(CompareErrorCode.EMPTY, 'DTW needs both sequences empty or both non-empty', {
        details: { lengthA, lengthB },
      })
    }
    const band = effectiveWindow(open.window ?? undefined, lengthA, lengthB)
    const cells = dtwCells(lengthA, lengthB, band)
    if (cells > limits.maxCells) {
      throw new QmsError(CompareErrorCode.TOO_LARGE, `a comparison of ${cells} cells exceeds ${limits.maxCells}`, {
        details: { cells, maxCells: limits.maxCells },
      })
    }
    this.#table = new DtwTable(resolveCost(open.cost), band, { a: lengthA, b: lengthB })
  }

  /** Chunks pushed so far. */
  get chunks(): number {
    return this.#chunks
  }

  /**
   * Adds the next values of either sequence.
   * @throws QmsError `ERR_COMPARE_PROTOCOL` past a declared length, `ERR_COMPARE_NOT_FINITE`.
   */
  push(a: NumericSequence, b: NumericSequence): SessionState {
    const { lengthA, lengthB } = this.open
    if (this.#receivedA + a.length > lengthA || this.#receivedB + b.length > lengthB) {
      throw protocolError('more values than declared', {
        lengthA,
        lengthB,
        receivedA: this.#receivedA + a.length,
        receivedB: this.#receivedB + b.length,
      })
    }
    assertFinite(a, 'a')
    assertFinite(b, 'b')
    if (this.#table) {
      // Columns first, over the rows received before this chunk; then the new rows span every column.
      this.#table.addColumns(b)
      this.#table.addRows(a)
    } else {
      this.#a!.set(a, this.#receivedA)
      this.#b!.set(b, this.#receivedB)
    }
    this.#receivedA += a.length
    this.#receivedB += b.length
    this.#chunks++
    if (!this.#table) this.#pairUp()
    return this.state()
  }

  /** The distance over everything received so far. */
  state(): SessionState {
    const base = { receivedA: this.#receivedA, receivedB: this.#receivedB }
    if (this.#table) return { ...base, distance: this.#table.distance, pathLength: this.#table.pathLength }
    return { ...base, distance: Math.sqrt(this.#sum), pathLength: this.#paired }
  }

  /**
   * The final state, once everything declared has arrived.
   * @throws QmsError `ERR_COMPARE_PROTOCOL` when values are missing.
   */
  finish(): SessionState {
    const { lengthA, lengthB } = this.open
    if (this.#receivedA !== lengthA || this.#receivedB !== lengthB) {
      throw protocolError('the stream ended before every declared value arrived', {
        lengthA,
        lengthB,
        receivedA: this.#receivedA,
        receivedB: this.#receivedB,
      })
    }
    return this.state()
  }

  /** Adds the newly paired positions to the running sum, in index order (the order `euclidean` sums in). */
  #pairUp(): void {
    const a = this.#a!
    const b = this.#b!
    const upTo = Math.min(this.#receivedA, this.#receivedB)
    for (let i = this.#paired; i < upTo; i++) {
      const d = a[i]! - b[i]!
      this.#sum += d * d
    }
    this.#paired = upTo
  }
}

/** A state as the wire carries it (infinite distances become null: msgpack and JSON-minded schemas refuse them). */
export function progressBody(state: SessionState): CompareProgressBody {
  return {
    receivedA: state.receivedA,
    receivedB: state.receivedB,
    distance: Number.isFinite(state.distance) ? state.distance : null,
    pathLength: state.pathLength,
  }
}
