// Server process of agent.bench.ts (forked by it, never run by the bench runner): the agent `server`, which hosts the
// embedded registry, answers requests and counts one-way and critical messages, plus `FANOUT` subscriber agents that
// count publish deliveries. Answers `wait` commands over IPC when a counter reaches a value. Exits when told to, when
// its parent goes away, or after a hard deadline, so a broken run never leaves it behind.

import { Agent } from '@quic-multistream/agent'
import { RegistryServer, RemoteRegistry } from '@quic-multistream/mesh'
import { generateDevCertificate } from '@quic-multistream/transport'
import {
  BlobBack,
  type Counter,
  Echo,
  FANOUT,
  SERVER_ID,
  type ServerCommand,
  type ServerMessage,
  Tick,
  TOPIC_ALL,
  TOPIC_ONE,
  Work,
} from './agent-wire.js'

const HARD_DEADLINE_MS = 120_000

const counts: Record<Counter, number> = { oneway: 0, critical: 0, deliveries: 0 }
const waiters: Array<{ counter: Counter; atLeast: number }> = []

function send(m: ServerMessage): void {
  process.send?.(m)
}

function count(counter: Counter): void {
  const value = ++counts[counter]
  for (let i = 0; i < waiters.length; i++) {
    const w = waiters[i]!
    if (w.counter !== counter || value < w.atLeast) continue
    waiters.splice(i--, 1)
    send({ type: 'reached', counter, value })
  }
}

const agents: Agent[] = []

async function shutdown(code: number): Promise<never> {
  setTimeout(() => process.exit(code), 2_000).unref()
  await Promise.allSettled(agents.map((a) => a.stop()))
  process.exit(code)
}

async function main(): Promise<void> {
  setTimeout(() => {
    console.error('agent-server: hard deadline reached, exiting')
    process.exit(2)
  }, HARD_DEADLINE_MS).unref()
  process.on('disconnect', () => void shutdown(0))
  process.on('message', (m: ServerCommand) => {
    if (m.type === 'exit') void shutdown(0)
    else if (m.type === 'cpu') {
      const { user, system } = process.cpuUsage()
      send({ type: 'cpu', us: user + system })
    } else if (counts[m.counter] >= m.atLeast) send({ type: 'reached', counter: m.counter, value: counts[m.counter] })
    else waiters.push({ counter: m.counter, atLeast: m.atLeast })
  })

  const cert = await generateDevCertificate()
  const tls = { cert: cert.cert, key: cert.key, pinSha256: [cert.sha256] }
  const server = await Agent.start({ id: SERVER_ID, registry: new RegistryServer(), tls })
  agents.push(server)
  server.handle(Echo, (b) => BlobBack.of(b))
  server.on(Work, (_, ctx) => count(ctx.lane === 'critical' ? 'critical' : 'oneway'))

  for (let i = 0; i < FANOUT; i++) {
    const sub = await Agent.start({
      id: `sub${i}`,
      registry: new RemoteRegistry({ address: server.address, id: SERVER_ID }),
      tls,
    })
    agents.push(sub)
    const ready = [sub.subscribe(TOPIC_ALL, Tick, () => count('deliveries')).ready]
    if (i === 0) ready.push(sub.subscribe(TOPIC_ONE, Tick, () => count('deliveries')).ready)
    await Promise.all(ready)
  }
  send({ type: 'ready', address: server.address, cert: cert.cert, key: cert.key, sha256: cert.sha256 })
}

main().catch((e: unknown) => {
  console.error('agent-server failed:', e)
  process.exit(1)
})
