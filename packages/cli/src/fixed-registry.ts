import type { AgentOptions } from '@quic-multistream/agent'

type Registry = AgentOptions['registry']
type Entry = Parameters<Registry['register']>[0]

/**
 * The registry of a lone CLI agent: it knows itself and, for a client, the one server it was pointed at. No
 * heartbeats, no watchers: nothing else ever joins.
 */
export class FixedRegistry implements Registry {
  readonly #entries = new Map<string, Entry>()

  /** `peers`: agent id → address of the agents to reach. */
  constructor(peers: Record<string, string> = {}) {
    for (const [id, address] of Object.entries(peers)) {
      this.#entries.set(id, { id, addresses: [address], capabilities: [], subscriptions: [] })
    }
  }

  async register(entry: Entry): Promise<void> {
    this.#entries.set(entry.id, entry)
  }

  async unregister(id: string): Promise<void> {
    this.#entries.delete(id)
  }

  async heartbeat(): Promise<void> {}

  async lookup(id: string): Promise<Entry | undefined> {
    return this.#entries.get(id)
  }

  async list(): Promise<Entry[]> {
    return [...this.#entries.values()]
  }

  watch(): () => void {
    return () => {}
  }

  async close(): Promise<void> {}
}
