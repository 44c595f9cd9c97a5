/**
 * The network a test cluster runs on, with the fault injection the tests need expressed the same way for both
 * transports: `cut(owner)` makes every path to and from one endpoint go silent (existing connections die the way a
 * dead path kills QUIC: by idle timeout; new dials time out) until `heal(owner)`.
 */

import { type Impairment, type ImpairmentProxy, type ImpairmentProxyStats, startImpairmentProxy } from '@qms/test-utils'
import { formatAddress } from '@quic-multistream/mesh'
import {
  type ConnectOptions,
  createEndpoint,
  createMemoryEndpoint,
  type EndpointOptions,
  MemoryNetwork,
  type QuicEndpoint,
} from '@quic-multistream/transport'

/** The transports every agent test runs over. */
export type TransportKind = 'memory' | 'quic'

/** Every transport kind, for `describe.each`. */
export const transports: readonly TransportKind[] = ['memory', 'quic']

/** What a path between two endpoints does to traffic (QUIC only: the memory network has no packets to damage). */
export type PathImpairment = Partial<Omit<Impairment, 'blackhole'>>

/** Endpoints on one network, each belonging to an owner (an agent id) that can be cut off. */
export interface Fabric {
  readonly kind: TransportKind
  /** Makes an endpoint for `owner`. */
  endpoint(owner: string, options: EndpointOptions): Promise<QuicEndpoint>
  cut(owner: string): void
  heal(owner: string): void
  /** Counters of every path's proxy (QUIC; empty in memory). */
  paths(): ImpairmentProxyStats[]
  close(): Promise<void>
}

export function createFabric(kind: TransportKind, impairment: PathImpairment = {}, seed = 1): Fabric {
  return kind === 'memory' ? memoryFabric() : quicFabric(impairment, seed)
}

function memoryFabric(): Fabric {
  const network = new MemoryNetwork()
  const bound = new Map<string, QuicEndpoint>()
  const addressOf = (owner: string) => {
    const endpoint = bound.get(owner)
    if (!endpoint) throw new Error(`no endpoint belongs to "${owner}"`)
    return endpoint.address
  }
  return {
    kind: 'memory',
    async endpoint(owner, options) {
      const endpoint = await createMemoryEndpoint({ ...options, network })
      bound.set(owner, endpoint)
      return endpoint
    },
    cut: (owner) => network.partition(addressOf(owner)),
    heal: (owner) => network.heal(addressOf(owner)),
    paths: () => [],
    async close() {},
  }
}

interface Path {
  from: string
  to: string
  proxy: ImpairmentProxy
}

/**
 * Real QUIC endpoints whose dials each go through a proxy of their own, one per (dialer, listener) pair: both
 * directions of every connection cross exactly one proxy, so blackholing the proxies an owner takes part in cuts
 * that owner off, whichever side dialed.
 */
function quicFabric(impairment: PathImpairment, seed: number): Fabric {
  const owners = new Map<string, string>()
  const paths = new Map<string, Promise<Path>>()
  const live: Path[] = []
  const cut = new Set<string>()
  let nextSeed = seed
  const silent = (p: Path) => cut.has(p.from) || cut.has(p.to)

  const pathTo = (from: string, target: { host: string; port: number }): Promise<Path> => {
    const address = formatAddress(target)
    const key = `${from}>${address}`
    let path = paths.get(key)
    if (!path) {
      const to = owners.get(address) ?? address
      path = startImpairmentProxy({ ...impairment, target, seed: nextSeed++ }).then((proxy) => {
        const p = { from, to, proxy }
        // A cut made while this proxy was starting applies to it too.
        proxy.setImpairment({ blackhole: silent(p) })
        live.push(p)
        return p
      })
      paths.set(key, path)
    }
    return path
  }
  const apply = () => {
    for (const p of live) p.proxy.setImpairment({ blackhole: silent(p) })
  }

  return {
    kind: 'quic',
    async endpoint(owner, options) {
      const endpoint = await createEndpoint(options)
      owners.set(formatAddress(endpoint.address), owner)
      return routed(endpoint, async (o) => (await pathTo(owner, o)).proxy.address)
    },
    cut(owner) {
      cut.add(owner)
      apply()
    },
    heal(owner) {
      cut.delete(owner)
      apply()
    },
    paths: () => live.map((p) => p.proxy.stats()),
    async close() {
      live.length = 0
      const all = await Promise.all(paths.values())
      paths.clear()
      await Promise.all(all.map((p) => p.proxy.close()))
    },
  }
}

/** `endpoint` with every dial sent to the address `via` picks instead of the one asked for. */
function routed(
  endpoint: QuicEndpoint,
  via: (target: { host: string; port: number }) => Promise<{ host: string; port: number }>,
): QuicEndpoint {
  return {
    get address() {
      return endpoint.address
    },
    get incomingConnections() {
      return endpoint.incomingConnections
    },
    get connections() {
      return endpoint.connections
    },
    async connect(options: ConnectOptions) {
      return endpoint.connect({ ...options, ...(await via(options)) })
    },
    stats: () => endpoint.stats(),
    close: (options) => endpoint.close(options),
  }
}
