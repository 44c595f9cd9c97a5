import { type IncomingStream, MeshErrorCode, type PeerLink } from '@quic-multistream/mesh'
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
import { nextMessageId } from './message-ids.js'
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
  paths: ReplyPath[]
}

/** Lane index (0 critical .. 4 background) of each priority, for the per-lane counters. */
const laneIndexOf = Uint8Array.from({ length: 256 }, (_, p) => LANES.indexOf(priorityToLane(p)))

function isPromiseLike(x: unknown): x is PromiseLike<unknown> {
  return typeof (x as { then?: unknown } | null | undefined)?.then === 'function'
}

function lostAnswer(e: unknown): void {
  log('an answer was lost: %s', e instanceof Error ? e.message : String(e))
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
    c.counters.received[laneIndexOf[env.priority]!]!++
    if (link !== undefined && env.from !== link.peerId) {
      // Only the hello authenticated who is at the other end: an envelope claiming another sender is refused, so
      // nobody can act, cancel or answer in another agent's name.
      this.#refuse(env, path, MeshErrorCode.AUTH, `"${link.peerId}" sent an envelope from "${env.from}"`)
      return
    }
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
        this.#reply(
          path,
          createEnvelope({
            id: nextMessageId(),
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
      id: nextMessageId(),
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
    const ctx = new ServedRequest(env)
    c.counters.requests.served++
    let result: unknown
    try {
      result = entry.fn(body, ctx)
    } catch (e) {
      this.#handlerFailed(env, path, e)
      return
    }
    // A synchronous handler is answered at once; only one still running can be cancelled or counted as busy.
    if (!isPromiseLike(result)) {
      this.#answerRequest(env, path, entry.replyType, result)
      return
    }
    const key = `${env.from}\u0000${env.id}`
    this.#serving.set(key, ctx)
    this.#begin(link)
    result.then(
      (reply) => {
        this.#serving.delete(key)
        if (!ctx.aborted) this.#answerRequest(env, path, entry.replyType, reply)
        this.#end(link)
      },
      (e: unknown) => {
        this.#serving.delete(key)
        if (!ctx.aborted) this.#handlerFailed(env, path, e)
        this.#end(link)
      },
    )
  }

  /** Sends a request handler's reply, or an error if what it returned is no (or the wrong) message. */
  #answerRequest(env: Envelope, path: ReplyPath, replyType: string | undefined, reply: unknown): void {
    const message = reply as { type?: unknown; body?: unknown } | null
    if (typeof message !== 'object' || message === null || typeof message.type !== 'string') {
      this.#handlerFailed(
        env,
        path,
        new QmsError(AgentErrorCode.HANDLER, `handler of "${env.type}" returned no message`),
      )
      return
    }
    if (replyType !== undefined && message.type !== replyType) {
      const text = `handler of "${env.type}" returned "${message.type}", not "${replyType}"`
      this.#handlerFailed(env, path, new QmsError(AgentErrorCode.HANDLER, text))
      return
    }
    this.#reply(
      path,
      createEnvelope({
        id: nextMessageId(),
        kind: 'reply',
        type: message.type,
        from: this.#c.selfId,
        to: env.from,
        corr: env.id,
        priority: env.priority,
        body: message.body,
      }),
    )
  }

  #handlerFailed(env: Envelope, path: ReplyPath, e: unknown): void {
    const { code, message } = describeFailure(e)
    this.#c.counters.error(code)
    this.#reply(path, errorEnvelope(this.#c.selfId, env, 'handler', code, message))
  }

  /**
   * Runs the one-way handler of `env`. A plain `send` gets an answer only when it is refused; a critical message
   * (`record` set) is always answered: ack or error, once the handler has finished.
   */
  #oneWay(env: Envelope, path: ReplyPath, link: PeerLink | undefined, record?: CriticalRecord): void {
    const c = this.#c
    const entry = c.handlers.oneWay.get(env.type)
    if (!entry) {
      this.#refuseOneWay(env, path, record, this.#missingHandler(env.type), `no handler for "${env.type}"`)
      return
    }
    let body: unknown
    try {
      body = entry.def.parse(env.body)
    } catch (e) {
      this.#refuseOneWay(env, path, record, AgentErrorCode.SCHEMA, describeFailure(e).message)
      return
    }
    let pending: unknown
    try {
      pending = entry.fn(body, this.#context(env))
    } catch (e) {
      this.#oneWayFailed(env, record, e)
      return
    }
    // A synchronous handler is settled without a microtask hop: nothing else runs between its side effects and the
    // dedup record `#settleCritical` writes, so a crash cannot leave a batch of handled but unrecorded messages.
    if (!isPromiseLike(pending)) {
      if (record) this.#settleCritical(env, record, this.#ack(env))
      return
    }
    this.#begin(link)
    pending.then(
      () => {
        if (record) this.#settleCritical(env, record, this.#ack(env))
        this.#end(link)
      },
      (e: unknown) => {
        this.#oneWayFailed(env, record, e)
        this.#end(link)
      },
    )
  }

  #refuseOneWay(env: Envelope, path: ReplyPath, record: CriticalRecord | undefined, code: string, text: string): void {
    const answer = errorEnvelope(this.#c.selfId, env, 'agent', code, text)
    this.#c.counters.error(code)
    if (record) this.#settleCritical(env, record, answer)
    else this.#reply(path, answer)
  }

  #oneWayFailed(env: Envelope, record: CriticalRecord | undefined, e: unknown): void {
    const { code, message } = describeFailure(e)
    this.#c.counters.error(code)
    if (record) this.#settleCritical(env, record, errorEnvelope(this.#c.selfId, env, 'handler', code, message))
  }

  #ack(env: Envelope): Envelope {
    return createEnvelope({
      id: nextMessageId(),
      kind: 'ack',
      type: env.type,
      from: this.#c.selfId,
      to: env.from,
      corr: env.id,
      priority: env.priority,
      body: undefined,
    })
  }

  #critical(env: Envelope, path: ReplyPath, link: PeerLink | undefined): void {
    const c = this.#c
    const key = `${env.from}\u0000${env.id}`
    const seen = c.dedup.get(key)
    if (seen) {
      c.counters.dedupHits++
      if (seen.answer) this.#reply(path, seen.answer)
      else seen.paths.push(path)
      return
    }
    if (c.isStopping()) {
      this.#refuse(env, path, AgentErrorCode.STOPPED, 'agent is stopping')
      return
    }
    if (!c.handlers.oneWay.has(env.type)) {
      // Not recorded: nothing ran, and a restarted agent that is still registering its handlers must be able to
      // take the sender's redelivery a moment later.
      this.#refuse(env, path, this.#missingHandler(env.type), `no handler for "${env.type}"`)
      return
    }
    const record: CriticalRecord = { answer: undefined, paths: [path] }
    c.dedup.add(key, record)
    c.counters.critical.handled++
    this.#oneWay(env, path, link, record)
  }

  /** Records the outcome of a critical message (durably first, with a store) and answers everyone waiting for it. */
  #settleCritical(env: Envelope, record: CriticalRecord, answer: Envelope): void {
    this.#persist(env, answer)
    record.answer = answer
    const paths = record.paths
    record.paths = []
    for (let i = 0; i < paths.length; i++) this.#reply(paths[i]!, answer)
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
          if (code === AgentErrorCode.SCHEMA) this.#reply(path, errorEnvelope(c.selfId, env, 'agent', code, message))
        },
      )
    }
  }

  /** Why a message of `type` has no one-way handler: a type we know of without one, or one we never heard of. */
  #missingHandler(type: string): string {
    return this.#c.messages.has(type) ? AgentErrorCode.NO_RESPONDERS : AgentErrorCode.UNKNOWN_TYPE
  }

  #context(env: Envelope): MessageContext {
    return { from: env.from, id: env.id, type: env.type, lane: priorityToLane(env.priority) as Lane }
  }

  #refuse(env: Envelope, path: ReplyPath, code: string, message: string): void {
    this.#c.counters.error(code)
    this.#reply(path, errorEnvelope(this.#c.selfId, env, 'agent', code, message))
  }

  /** Hands an answer to its path; counted as sent there. A lost answer is only logged: its sender times out or redelivers. */
  #reply(path: ReplyPath, env: Envelope): void {
    this.#c.counters.sent[laneIndexOf[env.priority]!]!++
    const sending = path.send(env)
    if (log.enabled) sending.then(undefined, lostAnswer)
  }

  /** A handler started that does not finish at once: it counts against the limit and holds its link open. */
  #begin(link: PeerLink | undefined): void {
    this.#active++
    link?.retain()
  }

  #end(link: PeerLink | undefined): void {
    link?.release()
    this.#active--
    if (this.#active < this.#c.maxConcurrentHandlers) this.#slotWaiters.shift()?.()
    if (this.#active === 0) {
      const waiters = this.#idleWaiters
      this.#idleWaiters = []
      for (const w of waiters) w()
    }
  }

  /** Runs a handler as one unit of work: counted, holding its link open, never rejecting. */
  #run(task: () => unknown, link: PeerLink | undefined, onError?: (e: unknown) => void): void {
    this.#begin(link)
    void (async () => {
      try {
        await task()
      } catch (e) {
        if (onError) onError(e)
        else log('handler failed: %s', e instanceof Error ? e.message : String(e))
      } finally {
        this.#end(link)
      }
    })()
  }

  #slot(): Promise<void> {
    return new Promise((resolve) => this.#slotWaiters.push(resolve))
  }
}
