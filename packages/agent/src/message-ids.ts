import { randomBytes } from 'node:crypto'

// 72 random bits per process: two processes (or two runs of one) share a prefix with negligible probability.
const prefix = randomBytes(9).toString('base64url')
let counter = 0

/**
 * A new message id: this process's random prefix and a counter. Unique across processes and restarts like a random
 * id, and far cheaper to make (the hot path makes one per message). Ids are predictable within a process; nothing
 * relies on them being secret, because receivers key what they remember by the authenticated sender too (an
 * envelope's `from` must be the peer its connection belongs to).
 */
export function nextMessageId(): string {
  return prefix + (counter++).toString(36)
}
