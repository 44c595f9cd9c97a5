import { type ImpairmentProxyStats, serverCert } from '@qms/test-utils'
import { Agent, type AgentOptions, defineRequest } from '@quic-multistream/agent'
import { type Registry, StaticRegistry } from '@quic-multistream/mesh'
import { defineMessage } from '@quic-multistream/protocol'
import type { EndpointOptions, QuicEndpoint, TlsOptions } from '@quic-multistream/transport'
import { z } from 'zod'
import { createFabric, type PathImpairment, type TransportKind } from './fabric.js'

export { type TransportKind, transports } from './fabric.js'

export const Task = defineMessage('task', z.object({ id: z.string(), n: z.number().int() }))
export const Result = defineMessage('result', z.object({ id: z.string(), doubled: z.number() }))
export const RunTask = defineRequest(Task, Result)
export const Lookup = defineMessage('lookup', z.object({ key: z.string() }))
export const Found = defineMessage('found', z.object({ value: z.string() }))
export const RunLookup = defineRequest(Lookup, Found)
export const Event = defineMessage('event', z.object({ seq: z.number() }))
export const Done = defineMessage('tasks.done', z.object({ id: z.string() }))

/** Agents on one network (memory or real QUIC on 127.0.0.1) sharing one registry. */
export interface Cluster {
  readonly kind: TransportKind
  readonly registry: Registry
  /** Starts an agent with the cluster's transport, TLS and short test timeouts (`options` override them). */
  agent(id: string, options?: Partial<AgentOptions>): Promise<Agent>
  /** A bare endpoint on the cluster's network with the agents' default TLS, for hand-made peers. */
  endpoint(owner: string, options?: EndpointOptions): Promise<QuicEndpoint>
  /** Silences every path to and from `id` until {@link heal}: its connections die, dials to or from it time out. */
  cut(id: string): void
  heal(id: string): void
  /** Counters of the proxies the QUIC paths cross (empty in memory). */
  paths(): ImpairmentProxyStats[]
  close(): Promise<void>
}

/** Options of {@link createCluster}. */
export interface ClusterOptions {
  registry?: Registry
  /** What every QUIC path does to packets (loss, reordering, jitter...). */
  impairment?: PathImpairment
  /** Seed of the paths' impairment decisions. */
  seed?: number
}

/** TLS of every QUIC agent: the dev certificate to accept, its pin to verify the others. */
export async function devTls(): Promise<TlsOptions> {
  const cert = await serverCert()
  return { cert: cert.cert, key: cert.key, pinSha256: [cert.sha256] }
}

// Short timeouts keep fault tests quick. QUIC needs a real handshake (through a proxy, on a busy machine) and notices
// a dead path only by idle timeout, so its timeouts are longer and keep-alives keep healthy idle paths open.
const defaults: Record<TransportKind, Pick<AgentOptions, 'pool' | 'endpoint'>> = {
  memory: { pool: { dialTimeoutMs: 50, backoff: { baseMs: 1, maxMs: 10 } } },
  quic: {
    pool: { dialTimeoutMs: 1_000, backoff: { baseMs: 5, maxMs: 50 } },
    endpoint: { idleTimeoutMs: 2_000, keepAliveMs: 250 },
  },
}

export function createCluster(kind: TransportKind, options: ClusterOptions = {}): Cluster {
  const fabric = createFabric(kind, options.impairment, options.seed)
  const registry = options.registry ?? new StaticRegistry()
  const agents: Agent[] = []
  const endpoints: QuicEndpoint[] = []
  const cut = new Set<string>()
  const tls = () => (kind === 'quic' ? devTls() : Promise.resolve(undefined))
  return {
    kind,
    registry,
    async agent(id, overrides = {}) {
      const base = defaults[kind]
      const defaultTls = await tls()
      const agent = await Agent.start({
        id,
        registry,
        transport: (o) => fabric.endpoint(id, o),
        ...(defaultTls === undefined ? {} : { tls: defaultTls }),
        ...overrides,
        pool: { ...base.pool, ...overrides.pool },
        endpoint: { ...base.endpoint, ...overrides.endpoint },
      })
      agents.push(agent)
      return agent
    },
    async endpoint(owner, endpointOptions = {}) {
      const defaultTls = await tls()
      const endpoint = await fabric.endpoint(owner, {
        ...defaults[kind].endpoint,
        ...(defaultTls === undefined ? {} : { tls: defaultTls }),
        ...endpointOptions,
      })
      endpoints.push(endpoint)
      return endpoint
    },
    cut(id) {
      cut.add(id)
      fabric.cut(id)
    },
    heal(id) {
      cut.delete(id)
      fabric.heal(id)
    },
    paths: () => fabric.paths(),
    async close() {
      for (const id of cut) fabric.heal(id)
      await Promise.all(agents.map((a) => a.stop()))
      await Promise.all(endpoints.map((e) => e.close({ timeoutMs: 200 })))
      await fabric.close()
    },
  }
}

/** Polls `check` until it holds (for effects that arrive asynchronously); fails after `timeoutMs`. */
export async function until(
  check: () => boolean | Promise<boolean>,
  what = 'condition',
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 2))
  }
}

/** A promise with its resolve function, for handlers that wait on the test. */
export function gate<T = void>(): { promise: Promise<T>; open(value: T): void } {
  let open!: (value: T) => void
  const promise = new Promise<T>((r) => {
    open = r
  })
  return { promise, open }
}
