import { type CostFunction, type CostName, resolveCost } from './cost.js'
import { DtwTable } from './dtw-table.js'
import { invalidArgument } from './errors.js'
import { assertFinite, assertWindow, effectiveWindow, type NumericSequence } from './sequences.js'

/** How windows of a series are compared with a pattern. */
export type SimilarityMethod = 'dtw' | 'euclidean'

/** Options of {@link findSimilar} (and of {@link findMotifs}). */
export interface SimilarityOptions {
  /** Distance between a window and the pattern. Default `'dtw'`. */
  method?: SimilarityMethod
  /** DTW's Sakoe-Chiba radius (windows and pattern have equal lengths). Default: unconstrained. */
  window?: number
  /** DTW's local cost. Default `'absolute'`. */
  cost?: CostFunction | CostName
  /** Distance between the starts of consecutive candidate windows. Default 1. */
  step?: number
}

/** A window of the searched series: where it starts and its distance to the pattern. */
export interface Match {
  readonly position: number
  readonly distance: number
}

/** Converts once so that windows are `subarray` views, never copies. */
export function toFloat64(sequence: NumericSequence): Float64Array {
  return sequence instanceof Float64Array ? sequence : Float64Array.from(sequence)
}

/** Checks the options shared by the searches; returns the step. */
export function checkSearchOptions(options: SimilarityOptions): number {
  assertWindow(options.window)
  const step = options.step ?? 1
  if (!Number.isInteger(step) || step < 1) throw invalidArgument(`step must be a positive integer, got ${step}`)
  const method = options.method ?? 'dtw'
  if (method !== 'dtw' && method !== 'euclidean') throw invalidArgument(`unknown method "${String(method)}"`)
  return step
}

/**
 * The distance of every candidate window of `series` (length of `pattern`, starting every `step`) whose distance to
 * `pattern` is at most `threshold`, in position order. Computations give up early once a window cannot get under
 * the threshold any more.
 */
export function windowsWithin(
  series: Float64Array,
  pattern: Float64Array,
  threshold: number,
  options: SimilarityOptions,
  step: number,
): Match[] {
  const length = pattern.length
  const found: Match[] = []
  const euclideanMethod = options.method === 'euclidean'
  // Partial sums only grow, so a window can be dropped once its partial sum passes the squared threshold; the margin
  // keeps rounding from dropping one whose square root would still compare equal to the threshold.
  const abandonAt = threshold * threshold * (1 + 1e-9)
  // One table serves every window (same lengths, cost and band): a search allocates nothing per candidate.
  const table = new DtwTable(resolveCost(options.cost), effectiveWindow(options.window, length, length), {
    a: length,
    b: length,
  })
  for (let position = 0; position + length <= series.length; position += step) {
    let distance: number
    if (euclideanMethod) {
      let sum = 0
      for (let k = 0; k < length && sum <= abandonAt; k++) {
        const d = series[position + k]! - pattern[k]!
        sum += d * d
      }
      distance = Math.sqrt(sum)
    } else {
      table.reset()
      table.addColumns(pattern)
      distance = table.addRows(series.subarray(position, position + length), threshold)
        ? table.distance
        : Number.POSITIVE_INFINITY
    }
    if (distance <= threshold) found.push({ position, distance })
  }
  return found
}

/** The best matches that do not overlap each other: ascending distance, ties to the earlier position. */
export function bestNonOverlapping(candidates: readonly Match[], length: number, seriesLength: number): Match[] {
  const ranked = [...candidates].sort((x, y) => x.distance - y.distance || x.position - y.position)
  const taken = new Uint8Array(seriesLength)
  const chosen: Match[] = []
  for (const match of ranked) {
    let free = true
    for (let k = match.position; k < match.position + length && free; k++) free = taken[k] === 0
    if (!free) continue
    taken.fill(1, match.position, match.position + length)
    chosen.push(match)
  }
  return chosen
}

/**
 * Finds where `needle` occurs in `haystack`: the windows of `haystack` (as long as `needle`) within `threshold` of
 * it, by DTW (default) or Euclidean distance, keeping the best non-overlapping ones. Best first (ascending
 * distance, ties to the earlier position). A needle longer than the haystack has no matches.
 *
 * Time O(H·L²) by DTW (O(H·L·window) with a window), O(H·L) by Euclidean, both cut short by early abandoning.
 * @throws QmsError `ERR_INVALID_ARGUMENT` for an empty needle, a negative threshold or bad options;
 *   `ERR_COMPARE_NOT_FINITE`.
 */
export function findSimilar(
  haystack: NumericSequence,
  needle: NumericSequence,
  threshold: number,
  options: SimilarityOptions = {},
): Match[] {
  if (needle.length === 0) throw invalidArgument('the needle is empty')
  if (!(threshold >= 0)) throw invalidArgument(`threshold must be a non-negative number, got ${threshold}`)
  const step = checkSearchOptions(options)
  assertFinite(haystack, 'haystack')
  assertFinite(needle, 'needle')
  const series = toFloat64(haystack)
  const found = windowsWithin(series, toFloat64(needle), threshold, options, step)
  return bestNonOverlapping(found, needle.length, series.length)
}
