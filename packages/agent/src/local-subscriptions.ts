import { assertPattern, type SubscriptionSpec, topicMatches } from '@quic-multistream/mesh'

/** One subscription of this agent. `deliver` decodes and runs the user's handler. */
export interface LocalSubscription {
  readonly id: number
  readonly pattern: string
  readonly queue: string | undefined
  readonly deliver: (delivery: Delivery) => Promise<void>
}

/** A published message on its way to local handlers. */
export interface Delivery {
  type: string
  body: unknown
  topic: string
  queue: string | undefined
  from: string
  id: string
  priority: number
}

/** This agent's subscriptions, and which of them a delivery goes to. */
export class LocalSubscriptions {
  readonly #subs = new Map<number, LocalSubscription>()
  readonly #rotation = new Map<string, number>()
  #nextId = 1

  add(pattern: string, queue: string | undefined, deliver: LocalSubscription['deliver']): LocalSubscription {
    assertPattern(pattern)
    const sub: LocalSubscription = { id: this.#nextId++, pattern, queue, deliver }
    this.#subs.set(sub.id, sub)
    return sub
  }

  remove(id: number): boolean {
    return this.#subs.delete(id)
  }

  /** Distinct (pattern, queue) pairs, as advertised in the registry. */
  specs(): SubscriptionSpec[] {
    const seen = new Set<string>()
    const out: SubscriptionSpec[] = []
    for (const s of this.#subs.values()) {
      const key = `${s.pattern}\u0000${s.queue ?? ''}`
      if (seen.has(key)) continue
      seen.add(key)
      out.push(s.queue === undefined ? { pattern: s.pattern } : { pattern: s.pattern, queue: s.queue })
    }
    return out
  }

  /**
   * The subscriptions a delivery reaches: for a plain delivery every matching subscription without a queue group;
   * for a queue delivery one matching member of that group in this agent (rotating).
   */
  select(topic: string, queue: string | undefined): LocalSubscription[] {
    const matching = [...this.#subs.values()].filter((s) => s.queue === queue && topicMatches(s.pattern, topic))
    if (queue === undefined || matching.length <= 1) return matching
    const turn = this.#rotation.get(queue) ?? 0
    this.#rotation.set(queue, turn + 1)
    return [matching[turn % matching.length]!]
  }
}
