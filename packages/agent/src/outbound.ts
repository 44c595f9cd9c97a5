import {
  backoffDelay,
  type ConnectionPool,
  isQmsError,
  MeshErrorCode,
  type PeerLink,
  sleep,
} from '@quic-multistream/mesh'
import {
  createEnvelope,
  createLogger,
  type Envelope,
  LANES,
  type Lane,
  laneToPriority,
  priorityToLane,
  QmsError,
} from '@quic-multistream/protocol'
import type { AgentCounters } from './agent-stats.js'
import type { SendOptions } from './call-options.js'
import { AgentErrorCode } from './errors.js'
import type { PublishEnvelope, ReplyPath } from './inbound.js'
import type { PublishTarget } from './peer-directory.js'
import type { PendingCall, PendingCalls } from './pending-calls.js'
import { errorFromEnvelope } from './remote-errors.js'

const log = createLogger('qms:agent:outbound')

/** The state outbound traffic works with (owned by the agent). */
export interface OutboundContext {
  selfId: string
  pool: ConnectionPool
  calls: PendingCalls
  counters: AgentCounters
  /** Delivery to ourselves, skipping the network. */
  local: ReplyPath
}

/**
 * Everything that leaves: putting envelopes on lanes (or delivering them locally), redelivering critical messages,
 * withdrawing abandoned requests, publishing to one target. Connection loss is mapped to `ERR_PEER_UNREACHABLE`.
 */
export class Outbound {
  readonly #c: OutboundContext
  readonly #watched = new WeakSet<PeerLink>()

  constructor(context: OutboundContext) {
    this.#c = context
  }

  /**
   * Puts one envelope on the wire to `peer` (or delivers it locally), on `lane`. Connection failures surface as
   * `ERR_PEER_UNREACHABLE`; a call waiting on a connection that dies is failed the same way.
   */
  async transmit(peer: string, env: Envelope, lane: Lane, options: SendOptions, call?: PendingCall): Promise<void> {
    if (peer === this.#c.selfId) {
      await this.#c.local.send(env)
      this.#c.counters.sent[LANES.indexOf(lane)]!++
      return
    }
    const link = await this.#c.pool.get(peer, options.signal === undefined ? {} : { signal: options.signal })
    if (call) {
      call.link = link
      // A quiet link is closed by the pool's idle sweep unless a call holds it; a slow handler must not lose its reply.
      link.retain()
      const release = () => link.release()
      void call.promise.then(release, release)
    }
    this.#watch(link)
    try {
      await link.send(env, lane, {
        ...(options.signal === undefined ? {} : { signal: options.signal }),
        ...(options.failFast === undefined ? {} : { failFast: options.failFast }),
      })
    } catch (e) {
      if (isQmsError(e, MeshErrorCode.QUEUE_FULL) || isQmsError(e, MeshErrorCode.ABORTED)) throw e
      if (!link.isOpen || isQmsError(e, 'ERR_STREAM_CLOSED') || isQmsError(e, 'ERR_CONNECTION_CLOSED')) {
        throw new QmsError(MeshErrorCode.PEER_UNREACHABLE, `lost the connection to "${peer}"`, {
          cause: e,
          details: { peer },
        })
      }
      throw e
    }
    this.#c.counters.sent[LANES.indexOf(lane)]!++
  }

  /** When a link dies, the requests waiting on it fail (critical sends redeliver on their own). */
  #watch(link: PeerLink): void {
    if (this.#watched.has(link)) return
    this.#watched.add(link)
    void link.closed.then(() => {
      for (const call of [...this.#c.calls.values()]) {
        if (call.link !== link) continue
        this.#c.calls.fail(
          call.env.id,
          new QmsError(MeshErrorCode.PEER_UNREACHABLE, `lost the connection to "${call.peer}"`, {
            details: { peer: call.peer },
          }),
        )
      }
    })
  }

  /** Withdraws a request the caller gave up on, so the remote handler's signal fires. */
  cancel(call: PendingCall): void {
    const { env, peer } = call
    if (!call.sent || env.kind !== 'request') return
    const cancel = createEnvelope({
      kind: 'cancel',
      type: env.type,
      from: this.#c.selfId,
      to: peer,
      corr: env.id,
      priority: env.priority,
      body: undefined,
    })
    this.transmit(peer, cancel, priorityToLane(env.priority), {}).catch(() => {})
  }

  /** Sends a critical envelope until it is answered, redelivering over new connections when one drops. */
  async deliverCritical(call: PendingCall): Promise<void> {
    const { env, peer } = call
    const done = call.promise.then(
      () => false,
      () => false,
    )
    for (let attempt = 0; this.#c.calls.get(env.id); attempt++) {
      if (attempt > 0) {
        this.#c.counters.critical.retries++
        await sleep(backoffDelay(attempt - 1, { baseMs: 20, maxMs: 1_000 }))
        if (!this.#c.calls.get(env.id)) return
      }
      if (peer === this.#c.selfId) {
        await this.#c.local.send(env)
        return
      }
      let link: PeerLink | undefined
      try {
        link = await this.#c.pool.get(peer)
        call.link = link
        link.retain()
        await link.send(env, 'critical')
        this.#c.counters.sent[0]!++
        const lost = await Promise.race([done, link.closed.then(() => true)])
        if (!lost) return
      } catch (e) {
        const final = [MeshErrorCode.UNKNOWN_PEER, MeshErrorCode.AUTH, MeshErrorCode.CLOSED].some((c) =>
          isQmsError(e, c),
        )
        if (final || isQmsError(e, 'ERR_ENVELOPE_INVALID') || isQmsError(e, 'ERR_FRAME_TOO_LARGE')) {
          this.#c.calls.fail(env.id, e)
          return
        }
        log(
          'critical %s to %s: attempt %d failed: %s',
          env.id,
          peer,
          attempt,
          e instanceof Error ? e.message : String(e),
        )
      } finally {
        link?.release()
      }
    }
  }

  async publishTo(
    target: PublishTarget,
    topic: string,
    type: string,
    body: unknown,
    lane: Lane,
    options: SendOptions,
  ): Promise<boolean> {
    for (const id of [target.id, ...target.fallbacks]) {
      const env: PublishEnvelope = createEnvelope({
        kind: 'publish',
        type,
        from: this.#c.selfId,
        to: id,
        topic,
        priority: laneToPriority(lane),
        body,
      })
      if (target.queue !== undefined) env.queue = target.queue
      try {
        await this.transmit(id, env, lane, options)
        return true
      } catch (e) {
        if (isQmsError(e, MeshErrorCode.ABORTED)) throw e
        this.#c.counters.error(isQmsError(e) ? e.code : AgentErrorCode.HANDLER)
      }
    }
    return false
  }
}

/** How answers settle calls: a request's reply is checked against its reply type; a critical send wants an ack. */
export function decodeAnswer(call: PendingCall, answer: Envelope): unknown {
  if (answer.kind === 'error') throw errorFromEnvelope(answer, call.peer)
  const replyDef = call.replyDef
  if (!replyDef) return undefined
  if (answer.type !== replyDef.type) {
    throw new QmsError(AgentErrorCode.SCHEMA, `expected a "${replyDef.type}" reply, got "${answer.type}"`)
  }
  return replyDef.parse(answer.body)
}
