interface Entry<V> {
  key: string
  value: V
  expiresAt: number
}

/**
 * Remembers recently seen message ids for a while, so a redelivered critical message is recognised. Bounded both by
 * age (`ttlMs`) and by count (`max`): entries are also kept in arrival order in a queue, and the oldest fall off
 * first, so trimming is O(1) per insert and needs no timer.
 */
export class DedupWindow<V> {
  readonly #entries = new Map<string, Entry<V>>()
  /** Entries in arrival order from `#head` on (arrival order is expiry order); replaced ones stay until trimmed. */
  #order: Array<Entry<V> | undefined> = []
  #head = 0
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
    const entry: Entry<V> = { key, value, expiresAt: at + this.#ttlMs }
    this.#entries.set(key, entry)
    this.#order.push(entry)
    this.#trim(Date.now())
  }

  #trim(now: number): void {
    const order = this.#order
    let head = this.#head
    while (head < order.length) {
      const oldest = order[head]!
      if (this.#entries.size <= this.#max && oldest.expiresAt > now) break
      if (this.#entries.get(oldest.key) === oldest) this.#entries.delete(oldest.key)
      order[head++] = undefined
    }
    // Drop the consumed front of the queue once it is most of it, so it costs O(1) per entry over time.
    if (head > 1_024 && head * 2 > order.length) {
      this.#order = order.slice(head)
      head = 0
    }
    this.#head = head
  }
}
