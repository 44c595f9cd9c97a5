import { Agent, type AgentOptions, defineRequest, type TransportFactory } from '@quic-multistream/agent'
import { type Registry, StaticRegistry } from '@quic-multistream/mesh'
import { defineMessage } from '@quic-multistream/protocol'
import { createMemoryEndpoint, MemoryNetwork } from '@quic-multistream/transport'
import { z } from 'zod'

export const Task = defineMessage('task', z.object({ id: z.string(), n: z.number().int() }))
export const Result = defineMessage('result', z.object({ id: z.string(), doubled: z.number() }))
export const RunTask = defineRequest(Task, Result)
export const Lookup = defineMessage('lookup', z.object({ key: z.string() }))
export const Found = defineMessage('found', z.object({ value: z.string() }))
export const RunLookup = defineRequest(Lookup, Found)
export const Event = defineMessage('event', z.object({ seq: z.number() }))
export const Done = defineMessage('tasks.done', z.object({ id: z.string() }))

/** Agents on one in-memory network sharing one registry; `transport` is the only line that names the memory. */
export interface Cluster {
  network: MemoryNetwork
  registry: Registry
  transport: TransportFactory
  agent(id: string, options?: Partial<AgentOptions>): Promise<Agent>
  close(): Promise<void>
}

export function createCluster(registry: Registry = new StaticRegistry()): Cluster {
  const network = new MemoryNetwork()
  const agents: Agent[] = []
  const transport: TransportFactory = (options) => createMemoryEndpoint({ ...options, network })
  return {
    network,
    registry,
    transport,
    async agent(id, options = {}) {
      const agent = await Agent.start({
        id,
        registry,
        transport,
        pool: { dialTimeoutMs: 50, backoff: { baseMs: 1, maxMs: 10 } },
        ...options,
      })
      agents.push(agent)
      return agent
    },
    async close() {
      await Promise.all(agents.map((a) => a.stop()))
    },
  }
}

/** Polls `check` until it holds (for effects that arrive asynchronously); fails after ~4 s. */
export async function until(check: () => boolean | Promise<boolean>, what = 'condition'): Promise<void> {
  for (let i = 0; i < 2_000; i++) {
    if (await check()) return
    await new Promise((r) => setTimeout(r, 2))
  }
  throw new Error(`timed out waiting for ${what}`)
}

/** A promise with its resolve function, for handlers that wait on the test. */
export function gate<T = void>(): { promise: Promise<T>; open(value: T): void } {
  let open!: (value: T) => void
  const promise = new Promise<T>((r) => {
    open = r
  })
  return { promise, open }
}
