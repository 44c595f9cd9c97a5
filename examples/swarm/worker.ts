/**
 * One swarm worker process, started by the coordinator (`main.ts` / `runSwarm`) with its configuration in the
 * `QMS_SWARM_WORKER` environment variable. Prints `ready <id> <address>` once it accepts work, and exits 0 after the
 * coordinator asked it to finish.
 */
import { readWorkerConfig, startWorker } from './src/index.js'

// stdin is a pipe from the coordinator: its end means the coordinator died (even by SIGKILL), so stop with it.
process.stdin.on('end', () => process.exit(1))
process.stdin.resume()

const worker = await startWorker(readWorkerConfig())
console.log(`ready ${worker.agent.id} ${worker.agent.address}`)
const report = await worker.finished
console.log(`finished ${JSON.stringify(report)}`)
process.exit(0)
