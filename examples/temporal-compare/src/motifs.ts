import { invalidArgument } from './errors.js'
import { assertFinite, type NumericSequence } from './sequences.js'
import {
  bestNonOverlapping,
  checkSearchOptions,
  type Match,
  type SimilarityOptions,
  toFloat64,
  windowsWithin,
} from './similarity.js'

/** Options of {@link findMotifs}. */
export interface MotifOptions extends SimilarityOptions {
  /** Length of the recurring pattern. */
  length: number
  /** Largest distance between an occurrence and the motif's seed window. */
  threshold: number
  /** Fewest non-overlapping occurrences (the seed included) for a pattern to count as recurring. Default 2. */
  minOccurrences?: number
  /** Most motifs returned. Default: all. */
  maxMotifs?: number
}

/** A recurring pattern: the window it was found from and every non-overlapping window within the threshold of it. */
export interface Motif {
  /** Start of the window the occurrences were measured against. */
  readonly seed: number
  /** The occurrences in position order, each with its distance to the seed window (the seed's own is 0). */
  readonly occurrences: readonly Match[]
}

/**
 * Finds patterns of `length` values that recur in `series` at least `minOccurrences` times: every window is tried as
 * a seed, its non-overlapping occurrences within `threshold` are collected, and the seeds are ranked by occurrence
 * count (then total distance, then position). Motifs never share a value: a seed whose occurrences overlap those of
 * a better-ranked motif is skipped (otherwise one recurring shape, shifted by one, would be reported many times).
 *
 * Time O(S·H·L) by Euclidean distance and O(S·H·L²) by DTW for S seeds (H / step), cut short by early abandoning.
 * @throws QmsError `ERR_INVALID_ARGUMENT` for a bad length, threshold or count; `ERR_COMPARE_NOT_FINITE`.
 */
export function findMotifs(series: NumericSequence, options: MotifOptions): Motif[] {
  const { length, threshold } = options
  const minOccurrences = options.minOccurrences ?? 2
  const maxMotifs = options.maxMotifs ?? Number.POSITIVE_INFINITY
  if (!Number.isInteger(length) || length < 1) throw invalidArgument(`length must be a positive integer: ${length}`)
  if (!(threshold >= 0)) throw invalidArgument(`threshold must be a non-negative number, got ${threshold}`)
  if (!Number.isInteger(minOccurrences) || minOccurrences < 1) {
    throw invalidArgument(`minOccurrences must be a positive integer, got ${minOccurrences}`)
  }
  if (!(maxMotifs >= 0)) throw invalidArgument(`maxMotifs must be non-negative, got ${maxMotifs}`)
  const step = checkSearchOptions(options)
  assertFinite(series, 'series')
  const values = toFloat64(series)

  const candidates: Array<{ seed: number; occurrences: Match[]; total: number }> = []
  for (let seed = 0; seed + length <= values.length; seed += step) {
    const pattern = values.subarray(seed, seed + length)
    const occurrences = bestNonOverlapping(
      windowsWithin(values, pattern, threshold, options, step),
      length,
      values.length,
    )
    if (occurrences.length < minOccurrences) continue
    occurrences.sort((x, y) => x.position - y.position)
    candidates.push({ seed, occurrences, total: occurrences.reduce((sum, o) => sum + o.distance, 0) })
  }
  candidates.sort((x, y) => y.occurrences.length - x.occurrences.length || x.total - y.total || x.seed - y.seed)

  const taken = new Uint8Array(values.length)
  const motifs: Motif[] = []
  for (const candidate of candidates) {
    if (motifs.length >= maxMotifs) break
    const overlaps = candidate.occurrences.some((o) => taken.subarray(o.position, o.position + length).includes(1))
    if (overlaps) continue
    for (const o of candidate.occurrences) taken.fill(1, o.position, o.position + length)
    motifs.push({ seed: candidate.seed, occurrences: candidate.occurrences })
  }
  return motifs
}
