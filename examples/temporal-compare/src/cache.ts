import { comparisonKey, functionKey, type KeyOption } from './cache-key.js'
import { absoluteCost, resolveCost, squaredCost } from './cost.js'
import { type DtwOptions, type DtwResult, dtw } from './dtw.js'
import { type EditDistanceOptions, type EditDistanceResult, editDistance } from './edit-distance.js'
import { invalidArgument } from './errors.js'
import { euclidean } from './euclidean.js'
import { type LcsOptions, type LcsResult, lcs } from './lcs.js'
import { type ItemEquality, type ItemSequence, type NumericSequence, strictEquals } from './sequences.js'

/** Options of a {@link ComparisonCache}. */
export interface ComparisonCacheOptions {
  /** Results kept; the least recently used one goes first. Default 1,000. */
  maxEntries?: number
}

/** Counters of a {@link ComparisonCache}. */
export interface CacheStats {
  /** Lookups answered from the cache. */
  readonly hits: number
  /** Lookups that computed (and stored) the result. */
  readonly misses: number
  /** Results dropped to stay within `maxEntries`. */
  readonly evictions: number
  /** Results held now. */
  readonly entries: number
  readonly maxEntries: number
}

const builtinCosts = new Map<object, string>([
  [absoluteCost, 'absolute'],
  [squaredCost, 'squared'],
])
const builtinEqualities = new Map<object, string>([[strictEquals, 'strict']])

/** Freezes a result and the arrays and objects inside it: results are shared by every caller that hits them. */
function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    for (const inner of Object.values(value)) deepFreeze(inner)
    Object.freeze(value)
  }
  return value
}

/**
 * Memoizes comparisons by **content**: the key is a SHA-256 of both sequences' values, the algorithm and its
 * options (see {@link comparisonKey}), so two different pairs never share a result, even when their lengths match,
 * and the same pair hits whatever array type holds it. Bounded, least-recently-used eviction.
 *
 * Hashing reads every value once (O(n + m)), which is small next to the O(n·m) comparisons it saves. Custom cost
 * and equality functions are keyed by their identity, so they must be pure. Results are frozen.
 */
export class ComparisonCache {
  readonly #max: number
  readonly #entries = new Map<string, unknown>()
  #hits = 0
  #misses = 0
  #evictions = 0

  constructor(options: ComparisonCacheOptions = {}) {
    const max = options.maxEntries ?? 1_000
    if (!Number.isInteger(max) || max < 1) throw invalidArgument(`maxEntries must be a positive integer, got ${max}`)
    this.#max = max
  }

  /** {@link dtw} through the cache. */
  dtw(a: NumericSequence, b: NumericSequence, options: DtwOptions = {}): DtwResult {
    const cost = resolveCost(options.cost)
    const key = comparisonKey(
      'dtw',
      { numeric: a },
      { numeric: b },
      {
        cost: functionKey(cost, builtinCosts),
        window: options.window ?? null,
        path: options.path === true,
        abandonAbove: options.abandonAbove ?? null,
      },
    )
    return this.#through(key, () => dtw(a, b, options))
  }

  /** {@link euclidean} through the cache. */
  euclidean(a: NumericSequence, b: NumericSequence): number {
    return this.#through(comparisonKey('euclidean', { numeric: a }, { numeric: b }, {}), () => euclidean(a, b))
  }

  /**
   * {@link lcs} through the cache.
   * @throws QmsError `ERR_COMPARE_UNCACHEABLE` for items that are not primitives.
   */
  lcs<T>(a: ItemSequence<T>, b: ItemSequence<T>, options: LcsOptions<T> = {}): LcsResult {
    const key = comparisonKey(
      'lcs',
      { items: a },
      { items: b },
      {
        equals: this.#equality(options.equals),
        alignment: options.alignment !== false,
      },
    )
    return this.#through(key, () => lcs(a, b, options))
  }

  /**
   * {@link editDistance} through the cache.
   * @throws QmsError `ERR_COMPARE_UNCACHEABLE` for items that are not primitives.
   */
  editDistance<T>(a: ItemSequence<T>, b: ItemSequence<T>, options: EditDistanceOptions<T> = {}): EditDistanceResult {
    const key = comparisonKey(
      'edit-distance',
      { items: a },
      { items: b },
      {
        equals: this.#equality(options.equals),
        script: options.script !== false,
      },
    )
    return this.#through(key, () => editDistance(a, b, options))
  }

  /** Counters since creation (or the last {@link clear}). */
  stats(): CacheStats {
    return {
      hits: this.#hits,
      misses: this.#misses,
      evictions: this.#evictions,
      entries: this.#entries.size,
      maxEntries: this.#max,
    }
  }

  /** Drops every result and zeroes the counters. */
  clear(): void {
    this.#entries.clear()
    this.#hits = 0
    this.#misses = 0
    this.#evictions = 0
  }

  #equality<T>(equals: ItemEquality<T> | undefined): KeyOption {
    return functionKey(equals ?? strictEquals, builtinEqualities)
  }

  #through<R>(key: string, compute: () => R): R {
    if (this.#entries.has(key)) {
      const value = this.#entries.get(key) as R
      // Re-inserting moves the key to the end of the Map's order: the Map's first key is the least recently used.
      this.#entries.delete(key)
      this.#entries.set(key, value)
      this.#hits++
      return value
    }
    this.#misses++
    const value = deepFreeze(compute())
    this.#entries.set(key, value)
    if (this.#entries.size > this.#max) {
      const oldest = this.#entries.keys().next().value as string
      this.#entries.delete(oldest)
      this.#evictions++
    }
    return value
  }
}
