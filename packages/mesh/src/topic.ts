import { QmsError } from '@quic-multistream/protocol'

/**
 * Topics are dot-separated tokens (`tasks.42.done`). Patterns may use `*` for exactly one token and `>` as the last
 * token for one or more remaining tokens, as NATS subjects do.
 */

const TOKEN = /^[^.*>\s]+$/

/**
 * Checks a concrete topic (no wildcards).
 * @throws QmsError `ERR_INVALID_ARGUMENT`.
 */
export function assertTopic(topic: string): void {
  if (!topic.split('.').every((t) => TOKEN.test(t))) {
    throw new QmsError('ERR_INVALID_ARGUMENT', `"${topic}" is not a topic (dot-separated tokens, no wildcards)`)
  }
}

/**
 * Checks a subscription pattern.
 * @throws QmsError `ERR_INVALID_ARGUMENT`.
 */
export function assertPattern(pattern: string): void {
  const tokens = pattern.split('.')
  const ok = tokens.every((t, i) => TOKEN.test(t) || t === '*' || (t === '>' && i === tokens.length - 1))
  if (!ok) {
    throw new QmsError('ERR_INVALID_ARGUMENT', `"${pattern}" is not a pattern ('*' is one token, '>' ends it)`)
  }
}

/** True when `topic` matches `pattern`. Both are assumed valid. */
export function topicMatches(pattern: string, topic: string): boolean {
  if (pattern === topic) return true
  const p = pattern.split('.')
  const t = topic.split('.')
  for (let i = 0; i < p.length; i++) {
    const token = p[i]
    if (token === '>') return t.length > i
    if (i >= t.length) return false
    if (token !== '*' && token !== t[i]) return false
  }
  return p.length === t.length
}
