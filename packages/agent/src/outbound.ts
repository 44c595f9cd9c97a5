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
import { AGENT_ERROR_TYPE, AgentErrorCode } from './errors.js'
import type { PublishEnvelope, ReplyPath } from './inbound.js'
import { nextMessageId } from './message-ids.js'
import type { PublishTarget } from './peer-directory.js'
import { type PendingCall, type PendingCalls, RETRY } from './pending-calls.js'
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
   * Puts one envelope on the wire to `peer` (or delivers it locally), on `lane`; resolves when the transport took it.
   * Connection failures surface as `ERR_PEER_UNREACHABLE`; a call waiting on a connection that dies is failed the
   * same way. With `call`, a failure fails the call instead of the returned promise, and a call that settled (timed
   * out, aborted) while we were still connecting is not sent at all.
   */
  async transmit(peer: string, env: Envelope, lane: Lane, options: SendOptions, call?: PendingCall): Promise<void> {
    const laneIndex = LANES.indexOf(lane)
    let link: PeerLink | undefined
    try {
      if (peer === this.#c.selfId) {
        if (call) call.sent = true
        await this.#c.local.send(env)
        this.#c.counters.sent[laneIndex]!++
        return
      }
      link = this.#c.pool.peek(peer)
      if (link === undefined) {
        link = await this.#c.pool.get(peer, options.signal === undefined ? {} : { signal: options.signal })
        if (call && !this.#c.calls.get(call.env.id)) return
      }
      if (call) {
        call.hold(link)
        // From here on the request travels ahead of anything else sent on its lane, a `cancel` included.
        call.sent = true
      }
      this.#watch(link)
      await link.send(env, lane, options)
      this.#c.counters.sent[laneIndex]!++
    } catch (e) {
      const err = link === undefined ? e : unreachable(e, link, peer)
      if (call === undefined) throw err
      this.#c.calls.fail(call.env.id, err)
    }
  }

  /**
   * When a link dies, the requests waiting on it fail, and the critical messages waiting on it are redelivered (on
   * a new connection).
   */
  #watch(link: PeerLink): void {
    if (this.#watched.has(link)) return
    this.#watched.add(link)
    void link.closed.then(() => {
      for (const call of [...this.#c.calls.values()]) {
        if (call.link !== link) continue
        if (call.env.kind === 'critical') {
          call.retry()
          continue
        }
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
      id: nextMessageId(),
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
        link = this.#c.pool.peek(peer) ?? (await this.#c.pool.get(peer))
        call.hold(link)
        this.#watch(link)
        await link.send(env, 'critical')
        call.firstInstance ??= link.peerInstance
        this.#c.counters.sent[0]!++
        // Woken by the answer (false), by a "not yet" answer or by the loss of the link (true).
        if (!(await call.nextAttempt())) return
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
        id: nextMessageId(),
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
  if (answer.kind === 'error') {
    if (restartedWithoutHandler(call, answer)) return RETRY
    throw errorFromEnvelope(answer, call.peer)
  }
  const replyDef = call.replyDef
  if (!replyDef) return undefined
  if (answer.type !== replyDef.type) {
    throw new QmsError(AgentErrorCode.SCHEMA, `expected a "${replyDef.type}" reply, got "${answer.type}"`)
  }
  return replyDef.parse(answer.body)
}

/**
 * A critical message redelivered to a new instance of its peer (the process restarted) that has no handler for it:
 * the new process is most likely still registering its handlers, so the refusal is not final. The first instance's
 * refusal is (the peer has no such handler), and so is any refusal when the peer sends no instance.
 */
function restartedWithoutHandler(call: PendingCall, answer: Envelope): boolean {
  if (call.env.kind !== 'critical' || answer.type !== AGENT_ERROR_TYPE) return false
  const code = answer.error?.code
  if (code !== AgentErrorCode.NO_RESPONDERS && code !== AgentErrorCode.UNKNOWN_TYPE) return false
  const current = call.link?.peerInstance
  return call.firstInstance !== undefined && current !== undefined && current !== call.firstInstance
}

/** `e`, a failure to send on `link`, as the caller sees it: connection loss is `ERR_PEER_UNREACHABLE`. */
function unreachable(e: unknown, link: PeerLink, peer: string): unknown {
  if (isQmsError(e, MeshErrorCode.QUEUE_FULL) || isQmsError(e, MeshErrorCode.ABORTED)) return e
  if (!link.isOpen || isQmsError(e, 'ERR_STREAM_CLOSED') || isQmsError(e, 'ERR_CONNECTION_CLOSED')) {
    return new QmsError(MeshErrorCode.PEER_UNREACHABLE, `lost the connection to "${peer}"`, {
      cause: e,
      details: { peer },
    })
  }
  return e
}
