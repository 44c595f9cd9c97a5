import type { ConnectionPool } from '../connection-pool.js'

/** A topic subscription as the registry records it. */
export interface SubscriptionSpec {
  /** Topic pattern: dot-separated tokens, `*` one token, `>` the rest. */
  pattern: string
  /** Queue group: each message goes to one member of the group instead of to all of them. */
  queue?: string
}

/** What the registry knows about one agent. */
export interface AgentEntry {
  id: string
  /** Where it listens, `host:port`, preferred first. */
  addresses: string[]
  /** Message types it handles. */
  capabilities: string[]
  subscriptions: SubscriptionSpec[]
  /** Free-form labels (role, version, zone...). */
  meta?: Record<string, string>
}

/** A change seen by {@link Registry.watch}. */
export type RegistryEvent =
  | { type: 'up'; entry: AgentEntry }
  | { type: 'update'; entry: AgentEntry }
  | { type: 'down'; id: string; reason: 'unregistered' | 'expired' }

/** Options of {@link Registry.register}. */
export interface RegisterOptions {
  /** The entry disappears unless heartbeats arrive within this long. Default: the registry's. */
  ttlMs?: number
}

/** What an agent gives its registry when it starts: the means to talk to other agents. */
export interface RegistryHost {
  selfId: string
  pool: ConnectionPool
}

/**
 * Where agents find each other. Implementations: {@link StaticRegistry} (a fixed map), the embedded
 * {@link RegistryServer} (hosted by one agent) with its {@link RemoteRegistry} client, and later fleet backends
 * (NATS KV, Redis) behind this same interface. Every method is async so that a remote store fits.
 */
export interface Registry {
  /**
   * Adds or replaces `entry`. The registry that accepted it keeps it alive with heartbeats until
   * {@link unregister} or {@link close}.
   */
  register(entry: AgentEntry, options?: RegisterOptions): Promise<void>
  /** Removes an entry (announced as `down` with reason `unregistered`). */
  unregister(id: string): Promise<void>
  /** Renews an entry's time to live. Registries that register remotely call it themselves. */
  heartbeat(id: string): Promise<void>
  /** The entry of `id`, if the registry knows it. */
  lookup(id: string): Promise<AgentEntry | undefined>
  /** Every entry. */
  list(): Promise<AgentEntry[]>
  /** Calls `listener` on every change from now on; returns the function that stops it. */
  watch(listener: (event: RegistryEvent) => void): () => void
  /** Called once by the agent before first use, with its connection pool. */
  attach?(host: RegistryHost): Promise<void> | void
  /** Stops heartbeats and watches and releases connections. */
  close(): Promise<void>
}
