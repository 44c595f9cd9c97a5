// The agent, mesh and protocol layers' own CPU cost per call, without QUIC: two agents in one process over the
// in-memory transport, 1 KiB bodies as in agent.bench.ts. Both sides run on this one thread, so each figure is the
// client's and the server's cost together. CPU time per call (not wall time), best of the rounds, is what moves least
// with other load on the machine. Not run by scripts/bench.mjs; from the compiled packages (`npx tsc -b` first):
//   node --import tsx packages/agent/bench/memory-request.ts [calls per round] [rounds]
import { Agent } from '@quic-multistream/agent'
import { StaticRegistry } from '@quic-multistream/mesh'
import { createMemoryEndpoint, type EndpointOptions, MemoryNetwork } from '@quic-multistream/transport'
import { BlobBack, DATA, Echo, Work } from './agent-wire.js'

const perRound = Number(process.argv[2] ?? 50_000)
const rounds = Number(process.argv[3] ?? 7)
const network = new MemoryNetwork()
const registry = new StaticRegistry()
const transport = (options: EndpointOptions) => createMemoryEndpoint({ ...options, network })
const a = await Agent.start({ id: 'a', registry, transport })
const b = await Agent.start({ id: 'b', registry, transport })
b.handle(Echo, (body) => BlobBack.of(body))
b.on(Work, () => {})

/** Runs `total` calls of `op`, `inFlight` at a time; returns CPU microseconds per call. */
async function measure(total: number, inFlight: number, op: (seq: number) => Promise<unknown>): Promise<number> {
  let next = 0
  const before = process.cpuUsage()
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < total) await op(next++)
    }),
  )
  const { user, system } = process.cpuUsage(before)
  return (user + system) / total
}

const cases: Record<string, [number, (seq: number) => Promise<unknown>]> = {
  'request.inflight100': [100, (seq) => a.request('b', Echo, { seq, data: DATA })],
  'request.seq': [1, (seq) => a.request('b', Echo, { seq, data: DATA })],
  'critical.inflight100': [100, (seq) => a.sendCritical('b', Work, { seq, data: DATA })],
  'send.inflight100': [100, (seq) => a.send('b', Work, { seq, data: DATA })],
}
const results = new Map<string, number[]>(Object.keys(cases).map((k) => [k, []]))
// Round 0 warms up.
for (let r = 0; r <= rounds; r++) {
  for (const [name, [inFlight, op]] of Object.entries(cases)) {
    const us = await measure(inFlight === 1 ? Math.ceil(perRound / 5) : perRound, inFlight, op)
    if (r > 0) results.get(name)!.push(us)
  }
}
for (const [name, xs] of results) {
  const value = Math.round(Math.min(...xs) * 100) / 100
  console.log(JSON.stringify({ bench: 'agent.memory', metric: `${name}.cpu`, value, unit: 'us/call' }))
}
await a.stop()
await b.stop()
