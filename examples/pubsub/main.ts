/**
 * Publish/subscribe in one command: two publishers and six subscribers (wildcards, a typed subscription, a queue
 * group), each an agent over QUIC on 127.0.0.1, printing which subscriber received which message.
 *
 *   node --conditions=source --import tsx examples/pubsub/main.ts
 */
import { runPubSubDemo } from './src/index.js'

try {
  await runPubSubDemo((line) => console.log(line))
} catch (err) {
  console.error(err instanceof Error ? err.message : String(err))
  process.exitCode = 1
}
