// The dashboard on its own, with a few demo agents making traffic:
//   node --conditions=source --import tsx examples/dashboard/main.ts
// then open the printed URL in Chromium (or any browser with WebTransport). Ctrl-C stops it.
import { Agent, defineRequest } from '@quic-multistream/agent'
import { RemoteRegistry } from '@quic-multistream/mesh'
import { defineMessage } from '@quic-multistream/protocol'
import { z } from 'zod'
import { startDashboard, startTelemetryReporter } from './src/index.js'

const Ping = defineMessage('demo.ping', z.object({ n: z.number() }))
const Pong = defineMessage('demo.pong', z.object({ n: z.number() }))
const PingPong = defineRequest(Ping, Pong)
const Tick = defineMessage('demo.tick', z.object({ n: z.number() }))

const dashboard = await startDashboard({ port: Number(process.env.PORT ?? 0), token: 'demo' })
const join = (id: string) =>
  Agent.start({
    id,
    token: 'demo',
    tls: { pinSha256: [dashboard.certificateHash] },
    registry: new RemoteRegistry({ address: dashboard.address, id: dashboard.agent.id }),
  })
const server = await join('demo-server')
const client = await join('demo-client')
server.handle(PingPong, (body) => Pong.of({ n: body.n }))
server.on(Tick, () => {})
const stops = [server, client].map((a) => startTelemetryReporter(a, { role: 'demo' }))

let n = 0
const traffic = setInterval(() => {
  for (let i = 0; i < 20; i++) void client.request('demo-server', PingPong, { n: n++ }).catch(() => {})
  void client.sendCritical('demo-server', Tick, { n }, { timeout: 2_000 }).catch(() => {})
}, 100)

console.log(`dashboard: ${dashboard.url}`)
process.once('SIGINT', async () => {
  clearInterval(traffic)
  for (const stop of stops) stop()
  await Promise.all([client.stop(), server.stop()])
  await dashboard.close()
  process.exit(0)
})
