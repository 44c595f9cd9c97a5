import { serverCert } from '@qms/test-utils'
import { ConnectionPool, type ConnectionPoolOptions, type FrameChannel, StaticRegistry } from '@quic-multistream/mesh'
import { createEnvelope, type Envelope, type Lane, laneToPriority } from '@quic-multistream/protocol'
import {
  createEndpoint,
  createMemoryEndpoint,
  MemoryNetwork,
  type QuicEndpoint,
  type TlsOptions,
} from '@quic-multistream/transport'

/** One pool on its own endpoint, recording what arrives and answering `request`s with an echo `reply`. */
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

/** The transports the pool tests run over. */
export type MeshTransport = 'memory' | 'quic'

/** Every transport, for `describe.each`. */
export const meshTransports: readonly MeshTransport[] = ['memory', 'quic']

export interface Mesh {
  kind: MeshTransport
  registry: StaticRegistry
  /** Starts a node; `tls` replaces the QUIC endpoint's default (the dev certificate, pinned). */
  node(id: string, options?: Partial<ConnectionPoolOptions>, tls?: TlsOptions): Promise<Node>
  close(): Promise<void>
}

/** A mesh on the in-memory network, which can sever connections and partition nodes. */
export interface MemoryMesh extends Mesh {
  network: MemoryNetwork
}

export function env(from: string, to: string, lane: Lane = 'normal', kind: Envelope['kind'] = 'request'): Envelope {
  return createEnvelope({ kind, type: 'test.ping', from, to, priority: laneToPriority(lane), body: { n: 1 } })
}

export function createMesh(): MemoryMesh
export function createMesh(kind: MeshTransport): Mesh
export function createMesh(kind: MeshTransport = 'memory'): MemoryMesh {
  const network = new MemoryNetwork()
  const registry = new StaticRegistry()
  const nodes: Node[] = []
  const makeEndpoint = async (tls?: TlsOptions): Promise<QuicEndpoint> => {
    if (kind === 'memory') return createMemoryEndpoint({ network })
    const cert = await serverCert()
    return createEndpoint({ tls: tls ?? { cert: cert.cert, key: cert.key, pinSha256: [cert.sha256] } })
  }
  return {
    kind,
    network,
    registry,
    async node(id, options = {}, tls) {
      const endpoint = await makeEndpoint(tls)
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
        // A real handshake on a busy machine can take longer than a memory one ever does.
        dialTimeoutMs: kind === 'memory' ? 50 : 1_000,
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
        // The pools closed their links gracefully; what is left (a half-open handshake) need not hold the test up.
        await n.endpoint.close({ timeoutMs: 300 })
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
