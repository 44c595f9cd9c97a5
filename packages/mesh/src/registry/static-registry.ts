import { RegistryStore } from './registry-store.js'
import type { AgentEntry, Registry, RegistryEvent } from './types.js'

/** How a fixed deployment names an agent: its address, its addresses, or a partial entry. */
export type StaticEntry = string | string[] | Partial<Omit<AgentEntry, 'id'>>

/**
 * A fixed map of agent id to address, for deployments whose members are known in advance. Entries never expire.
 * Agents sharing one instance in a process see each other's registrations (subscriptions included); across
 * processes, each process's instance knows only what it was given, so topics need the embedded registry there or
 * subscriptions listed in the map.
 */
export class StaticRegistry implements Registry {
  readonly #store = new RegistryStore()

  constructor(entries: Record<string, StaticEntry> = {}) {
    for (const [id, spec] of Object.entries(entries)) {
      const partial =
        typeof spec === 'string' ? { addresses: [spec] } : Array.isArray(spec) ? { addresses: spec } : spec
      this.#store.put({
        id,
        addresses: partial.addresses ?? [],
        capabilities: partial.capabilities ?? [],
        subscriptions: partial.subscriptions ?? [],
        ...(partial.meta === undefined ? {} : { meta: partial.meta }),
      })
    }
  }

  /** Adds or replaces an entry; an entry without addresses keeps the configured ones. */
  async register(entry: AgentEntry): Promise<void> {
    const known = this.#store.get(entry.id)
    const addresses = entry.addresses.length > 0 ? entry.addresses : (known?.addresses ?? [])
    this.#store.put({ ...entry, addresses })
  }

  async unregister(id: string): Promise<void> {
    this.#store.remove(id)
  }

  /** Static entries do not expire; nothing to renew. */
  async heartbeat(_id: string): Promise<void> {}

  async lookup(id: string): Promise<AgentEntry | undefined> {
    return this.#store.get(id)
  }

  async list(): Promise<AgentEntry[]> {
    return this.#store.list()
  }

  watch(listener: (event: RegistryEvent) => void): () => void {
    return this.#store.watch(listener)
  }

  async close(): Promise<void> {}
}
