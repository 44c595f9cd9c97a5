import type { AgentEntry, Registry, RegistryEvent } from '@quic-multistream/mesh'
import { topicMatches } from '@quic-multistream/mesh'

/** Where one published message goes: an agent, and the queue group it was picked for (if any). */
export interface PublishTarget {
  id: string
  queue?: string
  /** Other members of the queue group, in the order to try if `id` cannot be reached. */
  fallbacks: string[]
}

/**
 * The agent's live view of the registry (a snapshot kept current by `watch`): resolves peer addresses without a
 * registry round trip and computes who receives a published topic. The agent's own entry is kept from local state,
 * so its subscriptions count at once.
 */
export class PeerDirectory {
  readonly #entries = new Map<string, AgentEntry>()
  readonly #registry: Registry
  readonly #selfId: string
  readonly #rotation = new Map<string, number>()
  #unwatch: (() => void) | undefined

  constructor(registry: Registry, selfId: string) {
    this.#registry = registry
    this.#selfId = selfId
  }

  /** Loads the current entries and follows changes. */
  async start(): Promise<void> {
    this.#unwatch = this.#registry.watch((e) => this.#apply(e))
    for (const e of await this.#registry.list()) {
      if (e.id !== this.#selfId) this.#entries.set(e.id, e)
    }
  }

  stop(): void {
    this.#unwatch?.()
  }

  /** Replaces our own entry (not taken from the registry, which may lag). */
  setSelf(entry: AgentEntry): void {
    this.#entries.set(this.#selfId, entry)
  }

  get(id: string): AgentEntry | undefined {
    return this.#entries.get(id)
  }

  /** Every known agent, ourselves included. */
  list(): AgentEntry[] {
    return [...this.#entries.values()]
  }

  /**
   * Who gets a message published on `topic`: every agent with a matching plain subscription, plus one member of
   * each queue group with a matching subscription (rotating through the members).
   */
  targets(topic: string): PublishTarget[] {
    const out: PublishTarget[] = []
    const groups = new Map<string, string[]>()
    for (const entry of this.#entries.values()) {
      let plain = false
      for (const sub of entry.subscriptions) {
        if (!topicMatches(sub.pattern, topic)) continue
        if (sub.queue === undefined) plain = true
        else {
          const members = groups.get(sub.queue) ?? []
          if (!members.includes(entry.id)) members.push(entry.id)
          groups.set(sub.queue, members)
        }
      }
      if (plain) out.push({ id: entry.id, fallbacks: [] })
    }
    for (const [queue, members] of groups) {
      members.sort()
      const turn = this.#rotation.get(queue) ?? 0
      this.#rotation.set(queue, turn + 1)
      const start = turn % members.length
      const ordered = [...members.slice(start), ...members.slice(0, start)]
      out.push({ id: ordered[0]!, queue, fallbacks: ordered.slice(1) })
    }
    return out
  }

  #apply(event: RegistryEvent): void {
    if (event.type === 'down') {
      if (event.id !== this.#selfId) this.#entries.delete(event.id)
    } else if (event.entry.id !== this.#selfId) {
      this.#entries.set(event.entry.id, event.entry)
    }
  }
}
