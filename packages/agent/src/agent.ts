import {
  type AgentEntry,
  abortError,
  assertTopic,
  ConnectionPool,
  formatAddress,
  isQmsError,
  parseAddress,
  type Registry,
  sleep,
} from '@quic-multistream/mesh'
import {
  type AnyMessageDef,
  createEnvelope,
  createLogger,
  DEFAULT_MAX_FRAME_SIZE,
  encodeDatagram,
  encodeFrame,
  type Infer,
  type InferInput,
  LANES,
  laneToPriority,
  MessageRegistry,
  Priority,
  priorityToLane,
  QmsError,
} from '@quic-multistream/protocol'
import { createEndpoint, type QuicEndpoint } from '@quic-multistream/transport'
import { AgentCounters, type AgentStats } from './agent-stats.js'
import { AgentStream } from './agent-stream.js'
import type {
  CriticalOptions,
  OpenStreamOptions,
  RequestOptions,
  RequestWithReplyOptions,
  SendOptions,
  SubscribeOptions,
  Subscription,
} from './call-options.js'
import { restoreDedupWindow } from './dedup-store.js'
import { AgentErrorCode } from './errors.js'
import { HandlerTable, type StreamHandler } from './handler-table.js'
import { Inbound, type ReplyPath } from './inbound.js'
import { LocalSubscriptions } from './local-subscriptions.js'
import { nextMessageId } from './message-ids.js'
import {
  isRequestDef,
  type MessageHandler,
  type RequestDef,
  type RequestHandler,
  type SubscriptionHandler,
  type TypedSubscriptionHandler,
  type UntypedRequestHandler,
} from './messages.js'
import { type MetricsServer, serveAgentMetrics } from './metrics.js'
import type { AgentOptions } from './options.js'
import { decodeAnswer, Outbound } from './outbound.js'
import { PeerDirectory } from './peer-directory.js'
import { PendingCall, PendingCalls } from './pending-calls.js'
import { errorFromEnvelope } from './remote-errors.js'
import { readOneFrame } from './stream-frames.js'

const log = createLogger('qms:agent')

const ID = /^[A-Za-z0-9._:-]{1,128}$/

/**
 * An agent: a QUIC endpoint with an id, a registry entry and typed handlers. See the package README for the
 * delivery semantics of each call.
 */
export class Agent {
  /** This agent's id. */
  readonly id: string
  readonly #o: AgentOptions
  readonly #endpoint: QuicEndpoint
  readonly #registry: Registry
  readonly #pool: ConnectionPool
  readonly #directory: PeerDirectory
  readonly #messages: MessageRegistry
  readonly #handlers = new HandlerTable()
  readonly #subscriptions = new LocalSubscriptions()
  readonly #calls: PendingCalls
  readonly #counters = new AgentCounters()
  readonly #inbound: Inbound
  readonly #stopController = new AbortController()
  readonly #out: Outbound
  readonly #validateOutgoing: boolean
  readonly #maxFrameSize: number
  readonly #local: ReplyPath
  #announcing: Promise<void> | undefined
  #stopping: Promise<void> | undefined
  #metrics: MetricsServer | undefined

  private constructor(options: AgentOptions, endpoint: QuicEndpoint) {
    this.id = options.id
    this.#o = options
    this.#endpoint = endpoint
    this.#registry = options.registry
    this.#maxFrameSize = options.maxFrameSize ?? DEFAULT_MAX_FRAME_SIZE
    this.#validateOutgoing = options.validateOutgoing ?? process.env.NODE_ENV !== 'production'
    this.#calls = new PendingCalls(decodeAnswer, (call) => this.#out.cancel(call))
    this.#messages = new MessageRegistry()
    for (const d of options.messages ?? []) this.#learn(d)
    this.#directory = new PeerDirectory(options.registry, options.id)
    this.#local = {
      send: (env) => {
        // Self-addressed traffic skips the network but keeps the asynchrony of a real delivery.
        queueMicrotask(() => void this.#inbound.envelope(env, this.#local, undefined))
        return Promise.resolve()
      },
    }
    this.#inbound = new Inbound({
      selfId: options.id,
      handlers: this.#handlers,
      calls: this.#calls,
      dedup: restoreDedupWindow(options.dedup),
      dedupStore: options.dedup?.store,
      counters: this.#counters,
      subscriptions: this.#subscriptions,
      messages: this.#messages,
      maxConcurrentHandlers: options.maxConcurrentHandlers ?? 1_024,
      maxFrameSize: this.#maxFrameSize,
      isStopping: () => this.#stopping !== undefined,
      stopSignal: this.#stopController.signal,
    })
    this.#pool = new ConnectionPool({
      ...options.pool,
      endpoint,
      selfId: options.id,
      maxFrameSize: this.#maxFrameSize,
      ...(options.token === undefined ? {} : { token: options.token }),
      resolve: (peer) => this.#resolve(peer),
      handlers: {
        envelope: (env, channel) => this.#inbound.envelope(env, channel, channel.link),
        stream: (incoming) => this.#inbound.stream(incoming),
        datagram: (env) => this.#inbound.datagram(env),
        protocolError: (error) => this.#counters.error(error.code),
      },
    })
    this.#out = new Outbound({
      selfId: options.id,
      pool: this.#pool,
      calls: this.#calls,
      counters: this.#counters,
      local: this.#local,
    })
  }

  /**
   * Binds the endpoint, joins the registry and starts serving.
   * @throws QmsError `ERR_INVALID_ARGUMENT` for a bad id or address, the transport's bind errors, the registry's errors.
   */
  static async start(options: AgentOptions): Promise<Agent> {
    if (!ID.test(options.id)) {
      throw new QmsError('ERR_INVALID_ARGUMENT', `agent id "${options.id}" must match ${ID}`)
    }
    const { host, port } = parseAddress(options.listen ?? '127.0.0.1:0')
    const factory = options.transport ?? createEndpoint
    const endpoint = await factory({
      ...options.endpoint,
      host,
      port,
      ...(options.tls === undefined ? {} : { tls: options.tls }),
    })
    let agent: Agent | undefined
    try {
      agent = new Agent(options, endpoint)
      await agent.#startMetrics()
      await agent.#join()
    } catch (e) {
      if (agent) await Promise.all([agent.#pool.close(), agent.#metrics?.close()])
      options.dedup?.store?.close()
      await endpoint.close()
      throw e
    }
    return agent
  }

  /** The address peers reach this agent at (`host:port`). */
  get address(): string {
    return this.#o.advertise ?? formatAddress(this.#endpoint.address)
  }

  /** Where this agent serves Prometheus metrics (the `metrics` option), e.g. `http://127.0.0.1:9464/metrics`. */
  get metricsUrl(): string | undefined {
    return this.#metrics?.url
  }

  /** Agents this one currently knows of (its registry view), itself included. */
  peers(): AgentEntry[] {
    return this.#directory.list()
  }

  /**
   * Handles requests of a paired definition; the handler must return the reply type's message (`Reply.of(...)`).
   * Returns the function that removes the handler.
   */
  handle<R extends RequestDef>(def: R, handler: RequestHandler<R>): () => void
  /** Handles requests of a plain definition; callers name the reply type with `{ reply }`. */
  handle<D extends AnyMessageDef>(def: D, handler: UntypedRequestHandler<D>): () => void
  handle(def: AnyMessageDef | RequestDef, handler: UntypedRequestHandler<AnyMessageDef>): () => void {
    this.#learn(def)
    const remove = this.#handlers.addRequest({
      def: isRequestDef(def) ? def.request : def,
      replyType: isRequestDef(def) ? def.reply.type : undefined,
      fn: handler,
    })
    return this.#changed(remove)
  }

  /** Handles one-way messages of a type (`send` and `sendCritical`). Returns the function that removes it. */
  on<D extends AnyMessageDef>(def: D, handler: MessageHandler<D>): () => void {
    this.#learn(def)
    return this.#changed(this.#handlers.addOneWay({ def, fn: handler as MessageHandler<AnyMessageDef> }))
  }

  /** Handles datagrams of a type (`notify`). Returns the function that removes it. */
  onNotify<D extends AnyMessageDef>(def: D, handler: MessageHandler<D>): () => void {
    this.#learn(def)
    return this.#changed(this.#handlers.addNotify({ def, fn: handler as MessageHandler<AnyMessageDef> }))
  }

  /** Accepts streams opened with `openStream(thisAgent, name)`. Returns the function that removes it. */
  onStream(name: string, handler: StreamHandler): () => void {
    return this.#handlers.addStream(name, handler)
  }

  /**
   * Fire-and-forget on a lane: resolves once the transport took the message, with no word from the peer. A peer
   * that cannot handle it reports back asynchronously (counted in `stats().errors`).
   * @throws QmsError `ERR_SCHEMA`, `ERR_UNKNOWN_PEER`, `ERR_PEER_UNREACHABLE`, `ERR_QUEUE_FULL`, `ERR_ABORTED`.
   */
  async send<D extends AnyMessageDef>(
    peer: string,
    def: D,
    body: InferInput<D>,
    options: SendOptions = {},
  ): Promise<void> {
    this.#checkOutgoing(def, body)
    const lane = options.priority ?? 'normal'
    const env = createEnvelope({
      id: nextMessageId(),
      kind: 'send',
      type: def.type,
      from: this.id,
      to: peer,
      priority: laneToPriority(lane),
      body,
    })
    try {
      await this.#out.transmit(peer, env, lane, options)
    } catch (e) {
      this.#counters.error(isQmsError(e) ? e.code : AgentErrorCode.HANDLER)
      throw e
    }
  }

  /**
   * Acknowledged delivery on the critical lane: resolves when the peer's handler has run. Redelivers over a new
   * connection when the old one drops before the acknowledgement; the receiver recognises redeliveries by message
   * id, so its handler runs once.
   * @throws QmsError `ERR_TIMEOUT` (no acknowledgement in time), `ERR_REMOTE` (the handler threw),
   * `ERR_NO_RESPONDERS`, `ERR_UNKNOWN_TYPE`, `ERR_SCHEMA`, `ERR_UNKNOWN_PEER`, `ERR_AUTH`, `ERR_ABORTED`.
   */
  async sendCritical<D extends AnyMessageDef>(
    peer: string,
    def: D,
    body: InferInput<D>,
    options: CriticalOptions = {},
  ): Promise<void> {
    this.#checkOutgoing(def, body)
    const timeout = options.timeout ?? this.#o.criticalTimeoutMs ?? 30_000
    const env = createEnvelope({
      id: nextMessageId(),
      kind: 'critical',
      type: def.type,
      from: this.id,
      to: peer,
      priority: Priority.CRITICAL,
      body,
    })
    const call = this.#calls.add(new PendingCall(env, peer, Date.now() + timeout, undefined))
    this.#counters.critical.sent++
    const signal = options.signal
    if (signal) call.listen(signal, () => this.#calls.fail(env.id, abortError(signal, 'sendCritical')))
    void this.#out.deliverCritical(call)
    try {
      await call.promise
      this.#counters.critical.acked++
    } catch (e) {
      this.#counters.error(isQmsError(e) ? e.code : AgentErrorCode.HANDLER)
      throw e
    }
  }

  /** Request/reply with a paired definition: the reply's type is known. */
  request<R extends RequestDef>(
    peer: string,
    def: R,
    body: InferInput<R['request']>,
    options?: RequestOptions,
  ): Promise<Infer<R['reply']>>
  /** Request/reply with a plain definition: name the reply type with `{ reply }`. */
  request<D extends AnyMessageDef, P extends AnyMessageDef>(
    peer: string,
    def: D,
    body: InferInput<D>,
    options: RequestWithReplyOptions<P>,
  ): Promise<Infer<P>>
  /**
   * Sends a request and waits for its reply (correlated by id). On timeout or abort the remote handler's
   * `ctx.signal` is aborted via a `cancel` message.
   * @throws QmsError `ERR_TIMEOUT`, `ERR_ABORTED`, `ERR_NO_RESPONDERS`, `ERR_REMOTE`, `ERR_SCHEMA`,
   * `ERR_UNKNOWN_PEER`, `ERR_PEER_UNREACHABLE`, `ERR_QUEUE_FULL`, `ERR_AUTH`.
   */
  request(
    peer: string,
    def: AnyMessageDef | RequestDef,
    body: unknown,
    options: RequestOptions & { reply?: AnyMessageDef } = {},
  ): Promise<unknown> {
    let call: PendingCall
    try {
      call = this.#startRequest(peer, def, body, options)
    } catch (e) {
      return Promise.reject(e)
    }
    // Not an async function: one derived promise with handlers shared by every call is the cheapest way to count.
    return call.promise.then(this.#requestSucceeded, this.#requestFailed)
  }

  readonly #requestSucceeded = (reply: unknown): unknown => {
    this.#counters.requests.succeeded++
    return reply
  }

  readonly #requestFailed = (e: unknown): never => {
    this.#counters.requests.failed++
    this.#counters.error(isQmsError(e) ? e.code : AgentErrorCode.HANDLER)
    throw e
  }

  /** Registers and sends a request; everything but waiting for the answer (kept apart so the await is cheap). */
  #startRequest(
    peer: string,
    def: AnyMessageDef | RequestDef,
    body: unknown,
    options: RequestOptions & { reply?: AnyMessageDef },
  ): PendingCall {
    const requestDef = isRequestDef(def) ? def.request : def
    const replyDef = isRequestDef(def) ? def.reply : options.reply
    if (!replyDef) throw new QmsError('ERR_INVALID_ARGUMENT', 'request() with a plain definition needs { reply }')
    this.#checkOutgoing(requestDef, body)
    const lane = options.priority ?? 'normal'
    const deadline = Date.now() + (options.timeout ?? this.#o.requestTimeoutMs ?? 10_000)
    const env = createEnvelope({
      id: nextMessageId(),
      kind: 'request',
      type: requestDef.type,
      from: this.id,
      to: peer,
      priority: laneToPriority(lane),
      deadline,
      body,
    })
    const call = this.#calls.add(new PendingCall(env, peer, deadline, replyDef))
    this.#counters.requests.sent++
    const signal = options.signal
    if (signal) {
      call.listen(signal, () => {
        if (this.#calls.fail(env.id, abortError(signal, 'request'))) this.#out.cancel(call)
      })
    }
    void this.#out.transmit(peer, env, lane, options, call)
    return call
  }

  /**
   * Subscribes to a topic pattern (`*` one token, `>` the rest); the subscription is published through the registry.
   * With `{ queue }`, each message goes to one member of the group.
   */
  subscribe(pattern: string, handler: SubscriptionHandler, options?: SubscribeOptions): Subscription
  /** Subscribes to messages of one type on a topic pattern; other types published there are skipped. */
  subscribe<D extends AnyMessageDef>(
    pattern: string,
    def: D,
    handler: TypedSubscriptionHandler<D>,
    options?: SubscribeOptions,
  ): Subscription
  subscribe(
    pattern: string,
    a: SubscriptionHandler | AnyMessageDef,
    b?: SubscribeOptions | TypedSubscriptionHandler<AnyMessageDef>,
    c?: SubscribeOptions,
  ): Subscription {
    const def = typeof a === 'function' ? undefined : a
    const handler = (typeof a === 'function' ? a : b) as SubscriptionHandler | TypedSubscriptionHandler<AnyMessageDef>
    const options = (typeof a === 'function' ? b : c) as SubscribeOptions | undefined
    if (def) this.#learn(def)
    const messages = this.#messages
    const sub = this.#subscriptions.add(pattern, options?.queue, async (d) => {
      const ctx = {
        from: d.from,
        id: d.id,
        type: d.type,
        lane: priorityToLane(d.priority),
        topic: d.topic,
        queue: d.queue,
      }
      if (def) {
        if (d.type !== def.type) return
        await (handler as TypedSubscriptionHandler<AnyMessageDef>)(def.parse(d.body), ctx)
      } else {
        const body = messages.has(d.type) ? messages.decodeBody(d.type, d.body) : d.body
        await (handler as SubscriptionHandler)({ type: d.type, body }, ctx)
      }
    })
    const ready = this.#announce()
    ready.catch(() => {})
    return {
      pattern,
      queue: options?.queue,
      ready,
      unsubscribe: async () => {
        if (this.#subscriptions.remove(sub.id)) await this.#announce()
      },
    }
  }

  /**
   * Publishes on a topic to every matching subscriber (one per queue group); resolves with the number of agents the
   * message was handed to the transport for. An unreachable subscriber is skipped (a queue group tries its next
   * member) and counted in `stats().errors`.
   */
  async publish<D extends AnyMessageDef>(
    topic: string,
    def: D,
    body: InferInput<D>,
    options: SendOptions = {},
  ): Promise<number> {
    assertTopic(topic)
    this.#checkOutgoing(def, body)
    const lane = options.priority ?? 'normal'
    this.#counters.pubsub.published++
    const results = await Promise.all(
      this.#directory.targets(topic).map((t) => this.#out.publishTo(t, topic, def.type, body, lane, options)),
    )
    const delivered = results.filter(Boolean).length
    this.#counters.pubsub.deliveries += delivered
    return delivered
  }

  /**
   * Opens a named stream to a peer, whose `onStream(name)` handler gets the other end; resolves once it accepted.
   * @throws QmsError `ERR_NO_RESPONDERS` (no such stream handler), `ERR_TIMEOUT`, and the connection errors.
   */
  async openStream(peer: string, name: string, options: OpenStreamOptions = {}): Promise<AgentStream> {
    this.#assertRunning()
    if (peer === this.id) throw new QmsError('ERR_INVALID_ARGUMENT', 'an agent cannot open a stream to itself')
    const lane = options.priority ?? 'normal'
    const link = await this.#pool.get(peer, options.signal === undefined ? {} : { signal: options.signal })
    const stream = await link.openStream(laneToPriority(lane))
    const open = createEnvelope({
      id: nextMessageId(),
      kind: 'stream-open',
      type: name,
      from: this.id,
      to: peer,
      priority: laneToPriority(lane),
      body: null,
    })
    await stream.write(encodeFrame(open))
    const iterator = stream[Symbol.asyncIterator]()
    const timeout = options.timeout ?? this.#o.requestTimeoutMs ?? 10_000
    let timer: NodeJS.Timeout | undefined
    // Removed in `finally`: a long-lived signal shared by many opens must not collect one listener per call.
    let onAbort: (() => void) | undefined
    const signal = options.signal
    try {
      const answer = await Promise.race([
        readOneFrame(iterator, this.#maxFrameSize),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new QmsError(AgentErrorCode.TIMEOUT, `"${peer}" did not accept the stream`)),
            timeout,
          )
          if (signal) {
            onAbort = () => reject(abortError(signal, 'openStream'))
            if (signal.aborted) onAbort()
            else signal.addEventListener('abort', onAbort, { once: true })
          }
        }),
      ])
      if (answer.env.kind === 'error') throw errorFromEnvelope(answer.env, peer)
      this.#counters.streams.opened++
      return new AgentStream({
        name,
        selfId: this.id,
        peer,
        stream,
        iterator,
        registry: this.#messages,
        maxFrameSize: this.#maxFrameSize,
        leftover: answer.rest,
      })
    } catch (e) {
      stream.reset(0)
      stream.stopSending(0)
      this.#counters.error(isQmsError(e) ? e.code : AgentErrorCode.HANDLER)
      throw e
    } finally {
      clearTimeout(timer)
      if (onAbort) signal?.removeEventListener('abort', onAbort)
    }
  }

  /**
   * Sends a datagram: unreliable, unordered, for telemetry. Resolves true if it was handed to QUIC, false if it was
   * dropped (peer unreachable, connection lost).
   * @throws QmsError `ERR_SCHEMA`, `ERR_DATAGRAM_TOO_LARGE` (it never fits: a programming error).
   */
  async notify<D extends AnyMessageDef>(peer: string, def: D, body: InferInput<D>): Promise<boolean> {
    this.#checkOutgoing(def, body)
    const env = createEnvelope({
      id: nextMessageId(),
      kind: 'send',
      type: def.type,
      from: this.id,
      to: peer,
      priority: Priority.BACKGROUND,
      body,
    })
    if (peer === this.id) {
      queueMicrotask(() => this.#inbound.datagram(env))
      return true
    }
    const link = this.#pool.peek(peer) ?? (await this.#pool.get(peer).catch(() => undefined))
    if (!link) {
      this.#counters.notifications.dropped++
      return false
    }
    try {
      link.sendDatagram(encodeDatagram(env))
    } catch (e) {
      if (isQmsError(e, 'ERR_DATAGRAM_TOO_LARGE')) throw e
      this.#counters.notifications.dropped++
      return false
    }
    this.#counters.notifications.sent++
    return true
  }

  /** Counters: per lane, requests, critical, pub/sub, errors by code, dedup hits, connection pool. */
  stats(): AgentStats {
    const pool = this.#pool.stats()
    const c = this.#counters
    const lanes = Object.fromEntries(
      LANES.map((lane, i) => [
        lane,
        {
          sent: c.sent[i]!,
          received: c.received[i]!,
          queued: pool.lanes[lane].queued,
          rejectedFull: pool.lanes[lane].rejectedFull,
        },
      ]),
    ) as AgentStats['lanes']
    const errors = Object.fromEntries(c.errors)
    if (pool.authRejected > 0) errors.ERR_AUTH = (errors.ERR_AUTH ?? 0) + pool.authRejected
    return {
      id: this.id,
      lanes,
      requests: { ...c.requests, timedOut: this.#calls.timedOut, inflight: this.#calls.size },
      critical: { ...c.critical },
      pubsub: { ...c.pubsub },
      notifications: { ...c.notifications },
      streams: { ...c.streams },
      dedupHits: c.dedupHits,
      errors,
      pool,
    }
  }

  /**
   * Stops: leaves the registry, refuses new work, waits (up to `drainTimeoutMs`) for running handlers and our own
   * outstanding calls, flushes the lanes, then closes connections, registry and endpoint.
   */
  stop(): Promise<void> {
    this.#stopping ??= this.#shutdown()
    return this.#stopping
  }

  async #shutdown(): Promise<void> {
    await this.#registry.unregister(this.id).catch((e: unknown) => log('unregister failed: %s', String(e)))
    const drainUntil = Date.now() + (this.#o.drainTimeoutMs ?? 5_000)
    while ((this.#inbound.active > 0 || this.#calls.size > 0) && Date.now() < drainUntil) {
      await Promise.race([this.#inbound.idle(), sleep(10)])
    }
    const stopped = new QmsError(AgentErrorCode.STOPPED, 'agent stopped')
    this.#stopController.abort(stopped)
    this.#inbound.abortAll(stopped)
    for (const call of [...this.#calls.values()]) this.#calls.fail(call.env.id, stopped)
    // The deadline's timer is cancelled once the pool drains, or it would keep the process alive until it fires.
    const drained = new AbortController()
    await Promise.race([
      this.#pool.drain(),
      sleep(Math.max(0, drainUntil - Date.now()), drained.signal).catch(() => undefined),
    ]).finally(() => drained.abort())
    this.#directory.stop()
    await this.#pool.close({ graceMs: Math.max(0, drainUntil - Date.now()) })
    await this.#registry.close()
    await this.#endpoint.close()
    this.#o.dedup?.store?.close()
    await this.#metrics?.close()
  }

  /** Serves the `metrics` option: each scrape reads the live stats and this agent's QUIC endpoint. */
  async #startMetrics(): Promise<void> {
    if (!this.#o.metrics) return
    const source = { id: this.id, stats: () => this.stats(), endpoint: this.#endpoint }
    this.#metrics = await serveAgentMetrics(source, this.#o.metrics)
  }

  async #join(): Promise<void> {
    this.#pool.start()
    await this.#registry.attach?.({ selfId: this.id, pool: this.#pool })
    await this.#directory.start()
    await this.#announce()
  }

  #entry(): AgentEntry {
    const entry: AgentEntry = {
      id: this.id,
      addresses: [this.address],
      capabilities: this.#handlers.capabilities(),
      subscriptions: this.#subscriptions.specs(),
    }
    if (this.#o.meta) entry.meta = { ...this.#o.meta }
    return entry
  }

  /** Publishes our entry; changes in the same tick share one registration. */
  #announce(): Promise<void> {
    this.#announcing ??= Promise.resolve().then(() => {
      this.#announcing = undefined
      const entry = this.#entry()
      this.#directory.setSelf(entry)
      if (this.#stopping) return
      return this.#registry.register(entry)
    })
    return this.#announcing
  }

  /** Wraps a handler remover so that the registry hears about capability changes both ways. */
  #changed(remove: () => void): () => void {
    this.#announce().catch((e: unknown) => log('registry update failed: %s', String(e)))
    return () => {
      remove()
      this.#announce().catch(() => {})
    }
  }

  #learn(def: AnyMessageDef | RequestDef): void {
    if (isRequestDef(def)) {
      this.#messages.add(def.request)
      this.#messages.add(def.reply)
    } else {
      this.#messages.add(def)
    }
  }

  async #resolve(peer: string): Promise<readonly string[] | undefined> {
    const known = this.#directory.get(peer)
    if (known) return known.addresses
    return (await this.#registry.lookup(peer))?.addresses
  }

  #assertRunning(): void {
    if (this.#stopping) throw new QmsError(AgentErrorCode.STOPPED, `agent "${this.id}" is stopping`)
  }

  #checkOutgoing(def: AnyMessageDef, body: unknown): void {
    this.#assertRunning()
    if (this.#validateOutgoing) def.parse(body)
  }
}
