/**
 * Remembers recently seen message ids for a while, so a redelivered critical message is recognised. Bounded both by
 * age (`ttlMs`) and by count (`max`): ids are kept in arrival order and the oldest fall off first, so trimming is
 * O(1) per insert and needs no timer.
 */
export class DedupWindow<V> {
  readonly #entries = new Map<string, { value: V; expiresAt: number }>()
  readonly #ttlMs: number
  readonly #max: number

  constructor(options: { ttlMs?: number; max?: number } = {}) {
    this.#ttlMs = options.ttlMs ?? 120_000
    this.#max = options.max ?? 100_000
  }

  get size(): number {
    return this.#entries.size
  }

  /** How long an id is remembered. */
  get ttlMs(): number {
    return this.#ttlMs
  }

  /** How many ids are remembered at most. */
  get max(): number {
    return this.#max
  }

  /** The value stored for `key` while it is inside the window. */
  get(key: string): V | undefined {
    const e = this.#entries.get(key)
    if (!e) return undefined
    if (e.expiresAt <= Date.now()) {
      this.#entries.delete(key)
      return undefined
    }
    return e.value
  }

  /**
   * Records `key`, seen at `at` (default now; earlier for entries restored from a store, which must be added oldest
   * first so that arrival order stays expiry order); trims expired and excess entries from the old end.
   */
  add(key: string, value: V, at: number = Date.now()): void {
    const now = Date.now()
    this.#entries.set(key, { value, expiresAt: at + this.#ttlMs })
    for (const [k, e] of this.#entries) {
      if (this.#entries.size <= this.#max && e.expiresAt > now) break
      this.#entries.delete(k)
    }
  }
}
