import type { IncomingStream, PeerLink } from '@quic-multistream/mesh'
import {
  createEnvelope,
  createLogger,
  type Envelope,
  encodeFrame,
  LANES,
  type Lane,
  type MessageRegistry,
  priorityToLane,
  QmsError,
} from '@quic-multistream/protocol'
import type { AgentCounters } from './agent-stats.js'
import { AgentStream } from './agent-stream.js'
import type { DedupStore } from './dedup-store.js'
import type { DedupWindow } from './dedup-window.js'
import { AgentErrorCode } from './errors.js'
import type { HandlerTable } from './handler-table.js'
import type { LocalSubscriptions } from './local-subscriptions.js'
import type { MessageContext, RequestContext } from './messages.js'
import type { PendingCalls } from './pending-calls.js'
import { describeFailure, errorEnvelope } from './remote-errors.js'

const log = createLogger('qms:agent:inbound')

/** Where answers to an envelope go: the stream it came on, or the agent itself for self-addressed messages. */
export interface ReplyPath {
  send(env: Envelope): Promise<void>
}

/** What the receiver remembers of a critical message, so a redelivery gets the same answer without rerunning. */
export interface CriticalRecord {
  /** The ack or error once the handler finished. */
  answer: Envelope | undefined
  /** Paths waiting for the answer (a redelivery can arrive on a new connection while the handler runs). */
  paths: Set<ReplyPath>
}

/**
 * The context of one request being served. Its AbortSignal is made only if the handler asks for it: most handlers
 * never do, and an AbortController per request is a measurable share of the hot path.
 */
class ServedRequest implements RequestContext {
  readonly from: string
  readonly id: string
  readonly type: string
  readonly lane: Lane
  readonly deadline: number | undefined
  #controller: AbortController | undefined
  #reason: unknown
  #aborted = false

  constructor(env: Envelope) {
    this.from = env.from
    this.id = env.id
    this.type = env.type
    this.lane = priorityToLane(env.priority)
    this.deadline = env.deadline
  }

  get signal(): AbortSignal {
    if (!this.#controller) {
      this.#controller = new AbortController()
      if (this.#aborted) this.#controller.abort(this.#reason)
    }
    return this.#controller.signal
  }

  get aborted(): boolean {
    return this.#aborted
  }

  abort(reason: unknown): void {
    if (this.#aborted) return
    this.#aborted = true
    this.#reason = reason
    this.#controller?.abort(reason)
  }
}

/** A publish envelope; `queue` names the queue group this copy was picked for (absent: plain fan-out). */
export type PublishEnvelope = Envelope & { queue?: string }

/** The state inbound handling works with (owned by the agent). */
export interface InboundContext {
  selfId: string
  handlers: HandlerTable
  calls: PendingCalls
  dedup: DedupWindow<CriticalRecord>
  /** Where handled critical messages are also recorded, before their answer leaves. */
  dedupStore: DedupStore | undefined
  counters: AgentCounters
  subscriptions: LocalSubscriptions
  messages: MessageRegistry
  maxConcurrentHandlers: number
  maxFrameSize: number
  isStopping(): boolean
  /** Aborted when the agent stops; stream handlers get it. */
  stopSignal: AbortSignal
}

const laneIndex = (priority: number): number => LANES.indexOf(priorityToLane(priority))

/**
 * Everything that arrives: answers settle pending calls; requests, messages, publishes, datagrams and streams run
 * their handlers. Handlers run concurrently and never block the stream they came on (so a handler can call back the
 * agent that called it), up to `maxConcurrentHandlers`; past that the stream that brought more work waits, except
 * for critical messages. Bad input gets a typed `error` envelope back and is counted by code.
 */
export class Inbound {
  readonly #c: InboundContext
  readonly #serving = new Map<string, ServedRequest>()
  #active = 0
  #slotWaiters: Array<() => void> = []
  #idleWaiters: Array<() => void> = []

  constructor(context: InboundContext) {
    this.#c = context
  }

  /** Handlers running now. */
  get active(): number {
    return this.#active
  }

  /** Resolves when no handler is running. */
  idle(): Promise<void> {
    if (this.#active === 0) return Promise.resolve()
    return new Promise((resolve) => this.#idleWaiters.push(resolve))
  }

  /** Aborts the signal of every running request handler (the agent is stopping). */
  abortAll(reason: QmsError): void {
    for (const served of this.#serving.values()) served.abort(reason)
  }

  /** One envelope from a peer's stream (`link` set) or from ourselves. */
  envelope(env: Envelope, path: ReplyPath, link: PeerLink | undefined): void | Promise<void> {
    const c = this.#c
    c.counters.received[laneIndex(env.priority)]!++
    switch (env.kind) {
      case 'reply':
      case 'ack':
      case 'error':
        this.#answer(env)
        return
      case 'cancel':
        this.#serving
          .get(`${env.from}\u0000${env.corr}`)
          ?.abort(new QmsError(AgentErrorCode.ABORTED, 'caller cancelled'))
        return
      case 'ping':
        void this.#reply(
          path,
          createEnvelope({
            kind: 'pong',
            type: '',
            from: c.selfId,
            to: env.from,
            corr: env.id,
            priority: env.priority,
            body: undefined,
          }),
        )
        return
      case 'critical':
        this.#critical(env, path, link)
        return
      case 'request':
      case 'send':
      case 'publish':
        if (this.#active >= c.maxConcurrentHandlers) return this.#slot().then(() => this.#work(env, path, link))
        this.#work(env, path, link)
        return
      default:
        this.#refuse(env, path, 'ERR_UNEXPECTED_KIND', `"${env.kind}" is not expected here`)
    }
  }

  /** A datagram (`notify`): no answer is possible, so failures are only counted. */
  datagram(env: Envelope): void {
    const c = this.#c
    c.counters.notifications.received++
    const entry = c.handlers.notify.get(env.type)
    if (!entry) {
      c.counters.error(c.messages.has(env.type) ? AgentErrorCode.NO_RESPONDERS : AgentErrorCode.UNKNOWN_TYPE)
      return
    }
    let body: unknown
    try {
      body = entry.def.parse(env.body)
    } catch {
      c.counters.error(AgentErrorCode.SCHEMA)
      return
    }
    this.#run(
      () => entry.fn(body, this.#context(env)),
      undefined,
      (e) => c.counters.error(describeFailure(e).code),
    )
  }

  /** A `stream-open` stream: answer it, then hand it to the named handler. */
  stream(incoming: IncomingStream): void {
    const c = this.#c
    const { open, stream, link } = incoming
    const fn = c.handlers.streams.get(open.type)
    const refuse = (code: string, message: string) => {
      c.counters.error(code)
      stream.stopSending(0)
      void stream.end(encodeFrame(errorEnvelope(c.selfId, open, 'agent', code, message))).catch(() => {})
    }
    if (c.isStopping()) {
      refuse(AgentErrorCode.STOPPED, 'agent is stopping')
      return
    }
    if (!fn) {
      refuse(AgentErrorCode.NO_RESPONDERS, `no stream handler for "${open.type}"`)
      return
    }
    c.counters.streams.accepted++
    const accept = createEnvelope({
      kind: 'reply',
      type: open.type,
      from: c.selfId,
      to: open.from,
      corr: open.id,
      priority: open.priority,
      body: null,
    })
    const agentStream = new AgentStream({
      name: open.type,
      selfId: c.selfId,
      peer: link.peerId,
      stream,
      iterator: incoming.iterator,
      registry: c.messages,
      maxFrameSize: c.maxFrameSize,
      decoder: incoming.decoder,
      pending: incoming.buffered,
    })
    const ctx = { from: link.peerId, name: open.type, signal: c.stopSignal }
    this.#run(
      async () => {
        await stream.write(encodeFrame(accept))
        await fn(agentStream, ctx)
        await stream.end().catch(() => {})
      },
      link,
      (e) => {
        c.counters.error(describeFailure(e).code)
        agentStream.reset(1)
      },
    )
  }

  #answer(env: Envelope): void {
    const c = this.#c
    if (env.corr !== undefined && c.calls.answer(env.corr, env)) return
    // Nobody waits: a late answer after a timeout, or a peer reporting a problem with something fire-and-forget.
    if (env.kind === 'error') {
      c.counters.error(env.error?.code ?? AgentErrorCode.REMOTE)
      log('error from %s: %s %s', env.from, env.error?.code, env.error?.message)
    }
  }

  #work(env: Envelope, path: ReplyPath, link: PeerLink | undefined): void {
    if (env.kind === 'request') this.#request(env, path, link)
    else if (env.kind === 'send') this.#oneWay(env, path, link)
    else this.#publish(env as PublishEnvelope, path, link)
  }

  #request(env: Envelope, path: ReplyPath, link: PeerLink | undefined): void {
    const c = this.#c
    const entry = c.handlers.requests.get(env.type)
    if (!entry) {
      this.#refuse(env, path, AgentErrorCode.NO_RESPONDERS, `no handler for "${env.type}"`)
      return
    }
    if (c.isStopping()) {
      this.#refuse(env, path, AgentErrorCode.STOPPED, 'agent is stopping')
      return
    }
    if (env.deadline !== undefined && env.deadline <= Date.now()) {
      this.#refuse(env, path, AgentErrorCode.TIMEOUT, 'arrived after its deadline')
      return
    }
    let body: unknown
    try {
      body = entry.def.parse(env.body)
    } catch (e) {
      this.#refuse(env, path, AgentErrorCode.SCHEMA, describeFailure(e).message)
      return
    }
    const key = `${env.from}\u0000${env.id}`
    const ctx = new ServedRequest(env)
    this.#serving.set(key, ctx)
    c.counters.requests.served++
    this.#run(async () => {
      try {
        const reply = await entry.fn(body, ctx)
        if (ctx.aborted) return
        if (typeof reply !== 'object' || reply === null || typeof reply.type !== 'string') {
          throw new QmsError(AgentErrorCode.HANDLER, `handler of "${env.type}" returned no message`)
        }
        if (entry.replyType !== undefined && reply.type !== entry.replyType) {
          throw new QmsError(
            AgentErrorCode.HANDLER,
            `handler of "${env.type}" returned "${reply.type}", not "${entry.replyType}"`,
          )
        }
        await this.#reply(
          path,
          createEnvelope({
            kind: 'reply',
            type: reply.type,
            from: c.selfId,
            to: env.from,
            corr: env.id,
            priority: env.priority,
            body: reply.body,
          }),
        )
      } catch (e) {
        if (ctx.aborted) return
        const { code, message } = describeFailure(e)
        c.counters.error(code)
        await this.#reply(path, errorEnvelope(c.selfId, env, 'handler', code, message))
      } finally {
        this.#serving.delete(key)
      }
    }, link)
  }

  #oneWay(env: Envelope, path: ReplyPath, link: PeerLink | undefined, done?: (answer: Envelope) => void): void {
    const c = this.#c
    const refuse = (code: string, message: string) => {
      const answer = errorEnvelope(c.selfId, env, 'agent', code, message)
      c.counters.error(code)
      if (done) done(answer)
      else void this.#reply(path, answer)
    }
    const entry = c.handlers.oneWay.get(env.type)
    if (!entry) {
      const known = c.messages.has(env.type)
      refuse(known ? AgentErrorCode.NO_RESPONDERS : AgentErrorCode.UNKNOWN_TYPE, `no handler for "${env.type}"`)
      return
    }
    let body: unknown
    try {
      body = entry.def.parse(env.body)
    } catch (e) {
      refuse(AgentErrorCode.SCHEMA, describeFailure(e).message)
      return
    }
    this.#run(async () => {
      try {
        // A synchronous handler is settled without a microtask hop: nothing else runs between its side effects and
        // the dedup record `done` writes, so a crash cannot leave a batch of handled but unrecorded messages.
        const pending = entry.fn(body, this.#context(env))
        if (pending !== undefined) await pending
        done?.(
          createEnvelope({
            kind: 'ack',
            type: env.type,
            from: c.selfId,
            to: env.from,
            corr: env.id,
            priority: env.priority,
            body: undefined,
          }),
        )
      } catch (e) {
        const { code, message } = describeFailure(e)
        c.counters.error(code)
        done?.(errorEnvelope(c.selfId, env, 'handler', code, message))
      }
    }, link)
  }

  #critical(env: Envelope, path: ReplyPath, link: PeerLink | undefined): void {
    const c = this.#c
    const key = `${env.from}\u0000${env.id}`
    const seen = c.dedup.get(key)
    if (seen) {
      c.counters.dedupHits++
      if (seen.answer) void this.#reply(path, seen.answer)
      else seen.paths.add(path)
      return
    }
    if (c.isStopping()) {
      this.#refuse(env, path, AgentErrorCode.STOPPED, 'agent is stopping')
      return
    }
    const record: CriticalRecord = { answer: undefined, paths: new Set([path]) }
    c.dedup.add(key, record)
    c.counters.critical.handled++
    this.#oneWay(env, path, link, (answer) => {
      this.#persist(env, answer)
      record.answer = answer
      for (const p of record.paths) void this.#reply(p, answer)
      record.paths.clear()
    })
  }

  /** Records a handled critical message durably before its answer can leave (see `DedupStore`). */
  #persist(env: Envelope, answer: Envelope): void {
    const store = this.#c.dedupStore
    if (!store) return
    try {
      store.save({ from: env.from, id: env.id, at: Date.now(), answer })
    } catch (e) {
      // The handler has run and withholding the ack would not undo it; the in-memory window still recognises
      // redeliveries, only not across a restart.
      this.#c.counters.error(AgentErrorCode.DEDUP_STORE)
      log('could not record critical %s from %s: %s', env.id, env.from, e instanceof Error ? e.message : String(e))
    }
  }

  #publish(env: PublishEnvelope, path: ReplyPath, link: PeerLink | undefined): void {
    const c = this.#c
    c.counters.pubsub.received++
    const topic = env.topic ?? ''
    const subs = c.subscriptions.select(topic, env.queue)
    if (subs.length === 0) {
      // The publisher's view of our subscriptions was stale (we just unsubscribed).
      c.counters.error(AgentErrorCode.NO_RESPONDERS)
      return
    }
    const delivery = {
      type: env.type,
      body: env.body,
      topic,
      queue: env.queue,
      from: env.from,
      id: env.id,
      priority: env.priority,
    }
    for (const sub of subs) {
      this.#run(
        () => sub.deliver(delivery),
        link,
        (e) => {
          const { code, message } = describeFailure(e)
          c.counters.error(code)
          if (code === AgentErrorCode.SCHEMA)
            void this.#reply(path, errorEnvelope(c.selfId, env, 'agent', code, message))
        },
      )
    }
  }

  #context(env: Envelope): MessageContext {
    return { from: env.from, id: env.id, type: env.type, lane: priorityToLane(env.priority) as Lane }
  }

  #refuse(env: Envelope, path: ReplyPath, code: string, message: string): void {
    this.#c.counters.error(code)
    void this.#reply(path, errorEnvelope(this.#c.selfId, env, 'agent', code, message))
  }

  async #reply(path: ReplyPath, env: Envelope): Promise<void> {
    try {
      await path.send(env)
      this.#c.counters.sent[laneIndex(env.priority)]!++
    } catch (e) {
      // The path is gone (connection lost); a critical sender will redeliver and get the stored answer.
      log('answer to %s lost: %s', env.to, e instanceof Error ? e.message : String(e))
    }
  }

  /** Runs a handler as one unit of work: counted, holding its link open, never rejecting. */
  #run(task: () => unknown, link: PeerLink | undefined, onError?: (e: unknown) => void): void {
    this.#active++
    link?.retain()
    void (async () => {
      try {
        await task()
      } catch (e) {
        if (onError) onError(e)
        else log('handler failed: %s', e instanceof Error ? e.message : String(e))
      } finally {
        link?.release()
        this.#active--
        if (this.#active < this.#c.maxConcurrentHandlers) this.#slotWaiters.shift()?.()
        if (this.#active === 0) {
          const waiters = this.#idleWaiters
          this.#idleWaiters = []
          for (const w of waiters) w()
        }
      }
    })()
  }

  #slot(): Promise<void> {
    return new Promise((resolve) => this.#slotWaiters.push(resolve))
  }
}
