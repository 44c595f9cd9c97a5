import type { AgentEntry, SubscriptionSpec } from './types.js'

function isStringArray(x: unknown): x is string[] {
  return Array.isArray(x) && x.every((s) => typeof s === 'string')
}

function isSubscription(x: unknown): x is SubscriptionSpec {
  if (typeof x !== 'object' || x === null) return false
  const s = x as Record<string, unknown>
  return typeof s.pattern === 'string' && (s.queue === undefined || typeof s.queue === 'string')
}

/** True when `x` has the shape of an {@link AgentEntry} (entries arrive from the network). */
export function isAgentEntry(x: unknown): x is AgentEntry {
  if (typeof x !== 'object' || x === null) return false
  const e = x as Record<string, unknown>
  return (
    typeof e.id === 'string' &&
    e.id.length > 0 &&
    isStringArray(e.addresses) &&
    isStringArray(e.capabilities) &&
    Array.isArray(e.subscriptions) &&
    e.subscriptions.every(isSubscription) &&
    (e.meta === undefined ||
      (typeof e.meta === 'object' && e.meta !== null && Object.values(e.meta).every((v) => typeof v === 'string')))
  )
}

/** A deep copy with only the known fields, so stored entries never alias a caller's objects. */
export function copyEntry(e: AgentEntry): AgentEntry {
  const out: AgentEntry = {
    id: e.id,
    addresses: [...e.addresses],
    capabilities: [...e.capabilities],
    subscriptions: e.subscriptions.map((s) => (s.queue === undefined ? { pattern: s.pattern } : { ...s })),
  }
  if (e.meta !== undefined) out.meta = { ...e.meta }
  return out
}

/** Whether two entries say the same thing. */
export function sameEntry(a: AgentEntry, b: AgentEntry): boolean {
  return JSON.stringify(copyEntry(a)) === JSON.stringify(copyEntry(b))
}
