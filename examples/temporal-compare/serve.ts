/**
 * A compare service in its own process: one agent listening on QUIC, answering `compare` streams.
 *
 *   node --conditions=source --import tsx serve.ts [--id compare-service] [--listen 127.0.0.1:0] [--lifeline]
 *
 * TLS: the certificate in the environment variable TEMPORAL_COMPARE_TLS (JSON `{ cert, key, sha256 }`, the one
 * every agent of the deployment shares and pins), or else a fresh development certificate. Clients in other
 * processes need its pin: it is printed in the ready line, `ready <id> <host:port> <sha256>`.
 * Stops on SIGINT/SIGTERM, and with `--lifeline` also when stdin closes (the parent that started it went away).
 */
import { parseArgs } from 'node:util'
import { Agent } from '@quic-multistream/agent'
import { StaticRegistry } from '@quic-multistream/mesh'
import { loadSharedTls } from './shared-tls.js'
import { startCompareService } from './src/index.js'

const { values } = parseArgs({
  options: {
    id: { type: 'string', default: 'compare-service' },
    listen: { type: 'string', default: '127.0.0.1:0' },
    lifeline: { type: 'boolean', default: false },
  },
})

const cert = await loadSharedTls()

const agent = await Agent.start({
  id: values.id,
  listen: values.listen,
  // Clients find this agent by address; it never needs to look anyone up.
  registry: new StaticRegistry(),
  tls: { cert: cert.cert, key: cert.key, pinSha256: [cert.sha256] },
})
const service = startCompareService(agent)
console.log(`ready ${agent.id} ${agent.address} ${cert.sha256}`)

let stopping = false
async function stop(): Promise<void> {
  if (stopping) return
  stopping = true
  service.close()
  // A paused stdin no longer holds the event loop open, so the process ends once the agent has stopped.
  if (values.lifeline) process.stdin.pause()
  await agent.stop()
  console.log(`stopped ${JSON.stringify(service.stats())}`)
}
process.once('SIGINT', () => void stop())
process.once('SIGTERM', () => void stop())
if (values.lifeline) {
  process.stdin.on('end', () => void stop())
  process.stdin.resume()
}
