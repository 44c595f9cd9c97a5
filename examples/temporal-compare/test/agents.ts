import { serverCert } from '@qms/test-utils'
import { Agent } from '@quic-multistream/agent'
import { StaticRegistry } from '@quic-multistream/mesh'
import { createMemoryEndpoint, MemoryNetwork, type TlsOptions } from '@quic-multistream/transport'

/** How the two agents of a test reach each other. */
export type TransportKind = 'memory' | 'quic'

/** Both transports, for `describe.each`. */
export const transports: readonly TransportKind[] = ['memory', 'quic']

/** The TLS every QUIC test agent shares: the dev certificate fixture, pinned by all. */
export async function testTls(): Promise<TlsOptions> {
  const cert = await serverCert()
  return { cert: cert.cert, key: cert.key, pinSha256: [cert.sha256] }
}

/** Agents on one in-process network (a memory network, or real QUIC sockets on 127.0.0.1). */
export interface Agents {
  start(id: string): Promise<Agent>
  close(): Promise<void>
}

/** Agents sharing one registry (and one memory network, for `memory`); `close` stops them all. */
export function createAgents(kind: TransportKind): Agents {
  const registry = new StaticRegistry()
  const network = new MemoryNetwork()
  const started: Agent[] = []
  return {
    async start(id) {
      const agent =
        kind === 'memory'
          ? await Agent.start({ id, registry, transport: (o) => createMemoryEndpoint({ ...o, network }) })
          : await Agent.start({ id, registry, tls: await testTls() })
      started.push(agent)
      return agent
    },
    async close() {
      await Promise.all(started.splice(0).map((a) => a.stop()))
    },
  }
}
