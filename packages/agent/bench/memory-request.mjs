// Request/reply throughput of two agents in one process over the in-memory transport: the agent and mesh layers'
// own cost per call (both sides on one thread), without QUIC. Run after `npx tsc -b`:
//   node packages/agent/bench/memory-request.mjs [requests] [inFlight]
import { Agent, defineRequest } from '@quic-multistream/agent'
import { StaticRegistry } from '@quic-multistream/mesh'
import { defineMessage } from '@quic-multistream/protocol'
import { createMemoryEndpoint, MemoryNetwork } from '@quic-multistream/transport'
import { z } from 'zod'

const total = Number(process.argv[2] ?? 100_000)
const inFlight = Number(process.argv[3] ?? 100)
const Ping = defineMessage('ping', z.object({ n: z.number() }))
const Pong = defineMessage('pong', z.object({ n: z.number() }))
const Rpc = defineRequest(Ping, Pong)
const network = new MemoryNetwork()
const registry = new StaticRegistry()
const transport = (options) => createMemoryEndpoint({ ...options, network })
const a = await Agent.start({ id: 'a', registry, transport, validateOutgoing: false })
const b = await Agent.start({ id: 'b', registry, transport, validateOutgoing: false })
b.handle(Rpc, ({ n }) => Pong.of({ n }))

let next = 0
const started = performance.now()
await Promise.all(
  Array.from({ length: inFlight }, async () => {
    while (next < total) {
      next++
      await a.request('b', Rpc, { n: next })
    }
  }),
)
const seconds = (performance.now() - started) / 1000
console.log(`${total} requests, ${inFlight} in flight: ${Math.round(total / seconds)} req/s`)
await a.stop()
await b.stop()
