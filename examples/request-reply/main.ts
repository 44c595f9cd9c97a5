/**
 * Typed request/reply in one command: a `pricing` agent and a `shop` agent over QUIC on 127.0.0.1.
 *
 *   node --conditions=source --import tsx examples/request-reply/main.ts
 *
 * Exits 0 when every step behaved as described, 1 otherwise.
 */
import { runRequestReplyDemo } from './src/index.js'

try {
  await runRequestReplyDemo((line) => console.log(line))
} catch (err) {
  console.error(err instanceof Error ? err.message : String(err))
  process.exitCode = 1
}
