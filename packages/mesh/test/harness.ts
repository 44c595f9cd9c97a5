import { ConnectionPool, type ConnectionPoolOptions, type FrameChannel, StaticRegistry } from '@quic-multistream/mesh'
import { createEnvelope, type Envelope, type Lane, laneToPriority } from '@quic-multistream/protocol'
import { createMemoryEndpoint, MemoryNetwork, type QuicEndpoint } from '@quic-multistream/transport'

/** One pool on its own memory endpoint, recording what arrives and answering `request`s with an echo `reply`. */
export interface Node {
  id: string
  endpoint: QuicEndpoint
  pool: ConnectionPool
  received: Envelope[]
  /** The stream priority each request arrived on. */
  arrivedOn: Map<string, number>
  /** Codes of undecodable input seen. */
  protocolErrors: string[]
}

export interface Mesh {
  network: MemoryNetwork
  registry: StaticRegistry
  node(id: string, options?: Partial<ConnectionPoolOptions>): Promise<Node>
  close(): Promise<void>
}

export function env(from: string, to: string, lane: Lane = 'normal', kind: Envelope['kind'] = 'request'): Envelope {
  return createEnvelope({ kind, type: 'test.ping', from, to, priority: laneToPriority(lane), body: { n: 1 } })
}

export function createMesh(): Mesh {
  const network = new MemoryNetwork()
  const registry = new StaticRegistry()
  const nodes: Node[] = []
  return {
    network,
    registry,
    async node(id, options = {}) {
      const endpoint = await createMemoryEndpoint({ network })
      const received: Envelope[] = []
      const arrivedOn = new Map<string, number>()
      const protocolErrors: string[] = []
      const pool = new ConnectionPool({
        endpoint,
        selfId: id,
        resolve: async (peer) => (await registry.lookup(peer))?.addresses,
        handlers: {
          envelope: (e: Envelope, channel: FrameChannel) => {
            received.push(e)
            if (e.kind !== 'request') return
            arrivedOn.set(e.id, channel.stream.priority)
            void channel.send(
              createEnvelope({ kind: 'reply', type: e.type, from: id, to: e.from, corr: e.id, body: e.body }),
            )
          },
          stream: () => {},
          datagram: (e) => {
            received.push(e)
          },
          protocolError: (e) => {
            protocolErrors.push(e.code)
          },
        },
        backoff: { baseMs: 1, maxMs: 5 },
        dialTimeoutMs: 50,
        ...options,
      })
      pool.start()
      await registry.register({
        id,
        addresses: [`${endpoint.address.host}:${endpoint.address.port}`],
        capabilities: [],
        subscriptions: [],
      })
      const node = { id, endpoint, pool, received, arrivedOn, protocolErrors }
      nodes.push(node)
      return node
    },
    async close() {
      for (const n of nodes) {
        await n.pool.close()
        await n.endpoint.close()
      }
    },
  }
}

/** Polls `check` until it returns true (state changes that arrive asynchronously). */
export async function until(check: () => boolean, what = 'condition'): Promise<void> {
  for (let i = 0; i < 2_000; i++) {
    if (check()) return
    await new Promise((r) => setTimeout(r, 2))
  }
  throw new Error(`timed out waiting for ${what}`)
}

/** {@link until} for checks that need to await. */
export async function untilAsync(check: () => Promise<boolean>, what = 'condition'): Promise<void> {
  for (let i = 0; i < 2_000; i++) {
    if (await check()) return
    await new Promise((r) => setTimeout(r, 2))
  }
  throw new Error(`timed out waiting for ${what}`)
}
