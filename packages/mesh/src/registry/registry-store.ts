import { copyEntry, sameEntry } from './entry.js'
import type { AgentEntry, RegistryEvent } from './types.js'

interface Stored {
  entry: AgentEntry
  ttlMs: number
  expiresAt: number
}

/** Options of a {@link RegistryStore}. */
export interface RegistryStoreOptions {
  /** TTL of entries registered without one. Default: never expire. */
  defaultTtlMs?: number
  /** How often expired entries are looked for. Default: a quarter of the shortest TTL, 20 ms to 1 s. */
  sweepMs?: number
}

/**
 * Entries in memory with time-to-live expiry and change notification: the state behind {@link StaticRegistry} and
 * {@link RegistryServer}. One sweep timer, running only while some entry can expire, finds the expired ones.
 */
export class RegistryStore {
  readonly #entries = new Map<string, Stored>()
  readonly #listeners = new Set<(event: RegistryEvent) => void>()
  readonly #defaultTtlMs: number
  readonly #sweepMs: number | undefined
  #timer: NodeJS.Timeout | undefined
  #timerEvery = 0

  constructor(options: RegistryStoreOptions = {}) {
    this.#defaultTtlMs = options.defaultTtlMs ?? Number.POSITIVE_INFINITY
    this.#sweepMs = options.sweepMs
  }

  /** Adds or replaces an entry and (re)starts its TTL; announces `up` or, if it changed, `update`. */
  put(entry: AgentEntry, ttlMs: number = this.#defaultTtlMs): void {
    const previous = this.#entries.get(entry.id)
    const copy = copyEntry(entry)
    this.#entries.set(entry.id, { entry: copy, ttlMs, expiresAt: Date.now() + ttlMs })
    this.#schedule(ttlMs)
    if (!previous) this.#emit({ type: 'up', entry: copyEntry(copy) })
    else if (!sameEntry(previous.entry, copy)) this.#emit({ type: 'update', entry: copyEntry(copy) })
  }

  /** Restarts an entry's TTL; false when the entry is unknown (expired or never registered). */
  touch(id: string): boolean {
    const stored = this.#entries.get(id)
    if (!stored) return false
    stored.expiresAt = Date.now() + stored.ttlMs
    return true
  }

  /** Removes an entry; false when it was not there. */
  remove(id: string, reason: 'unregistered' | 'expired' = 'unregistered'): boolean {
    if (!this.#entries.delete(id)) return false
    this.#emit({ type: 'down', id, reason })
    return true
  }

  get(id: string): AgentEntry | undefined {
    const stored = this.#entries.get(id)
    return stored ? copyEntry(stored.entry) : undefined
  }

  list(): AgentEntry[] {
    return [...this.#entries.values()].map((s) => copyEntry(s.entry))
  }

  /** Calls `listener` on every change; returns the function that stops it. */
  watch(listener: (event: RegistryEvent) => void): () => void {
    this.#listeners.add(listener)
    return () => {
      this.#listeners.delete(listener)
    }
  }

  /** Stops the sweep timer and forgets the listeners. */
  close(): void {
    clearInterval(this.#timer)
    this.#timer = undefined
    this.#listeners.clear()
  }

  #emit(event: RegistryEvent): void {
    for (const l of [...this.#listeners]) l(event)
  }

  #schedule(ttlMs: number): void {
    if (!Number.isFinite(ttlMs)) return
    const every = this.#sweepMs ?? Math.max(20, Math.min(1_000, Math.floor(ttlMs / 4)))
    if (this.#timer && this.#timerEvery <= every) return
    clearInterval(this.#timer)
    this.#timerEvery = every
    this.#timer = setInterval(() => this.#sweep(), every)
    this.#timer.unref()
  }

  #sweep(): void {
    const now = Date.now()
    let finite = false
    for (const [id, stored] of this.#entries) {
      if (stored.expiresAt <= now) this.remove(id, 'expired')
      else if (Number.isFinite(stored.ttlMs)) finite = true
    }
    if (!finite) {
      clearInterval(this.#timer)
      this.#timer = undefined
    }
  }
}
