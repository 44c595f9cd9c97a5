/**
 * A UDP relay that damages traffic on purpose: loss, duplication, reordering, delay with jitter, and a blackhole to
 * simulate a link going down. It stands in for `tc netem`, which needs privileges this environment lacks.
 *
 * Clients send to `proxy.address`; each client address gets its own upstream socket towards the target, so the
 * target sees one peer per client and several clients can share one proxy. Every random decision comes from a
 * PRNG seeded by `seed` (one stream per direction), so a failing run can be replayed.
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram'
import { isIPv6 } from 'node:net'
import { performance } from 'node:perf_hooks'

/** What the proxy does to each datagram, in each direction. */
export interface Impairment {
  /** Probability (0..1) that a datagram is dropped. */
  loss: number
  /** Probability (0..1) that a datagram is held back and sent after the next datagram of the same flow. */
  reorder: number
  /** Probability (0..1) that a datagram is sent twice. */
  duplicate: number
  /** Fixed one-way delay added to every datagram, ms. */
  delayMs: number
  /** Extra random delay, uniform in [0, jitterMs) ms; more than the packet spacing reorders packets too. */
  jitterMs: number
  /** Drop everything (both directions) while true: the link is down. */
  blackhole: boolean
}

/** Options of {@link startImpairmentProxy}. */
export interface ImpairmentProxyOptions extends Partial<Impairment> {
  /** Where client datagrams go. */
  target: { host: string; port: number }
  /** PRNG seed: the same seed and traffic give the same decisions. */
  seed: number
  /** Address of the client-facing socket. Default `127.0.0.1`. */
  listenHost?: string
  /** Most datagrams waiting out their delay at once; datagrams beyond it are dropped (`overflowed`). Default 10,000. */
  maxQueued?: number
  /** A held-back datagram with no successor is sent anyway after this long. Default 20 ms. */
  reorderTimeoutMs?: number
  /** Socket buffer size to ask for, bytes (the kernel may cap it). Default 4 MiB. */
  socketBufferSize?: number
}

/** Counters of one direction. */
export interface DirectionStats {
  /** Datagrams that reached the proxy. */
  received: number
  /** Datagrams sent on, duplicates included. */
  forwarded: number
  /** Datagrams dropped by loss, blackhole or queue overflow. */
  dropped: number
  /** Extra copies sent. */
  duplicated: number
  /** Datagrams that were held back and then sent after a later one. */
  reordered: number
  /** Datagrams dropped because the delay queue was full (also counted in `dropped`). */
  overflowed: number
  /** Sends the OS refused (e.g. a datagram too large). */
  errors: number
}

/** Counters of the proxy. */
export interface ImpairmentProxyStats {
  /** Client to target. */
  toServer: DirectionStats
  /** Target to client. */
  toClient: DirectionStats
  /** Client addresses seen (one upstream socket each). */
  clients: number
  /** Datagrams waiting out their delay now. */
  queued: number
}

/** A running proxy. */
export interface ImpairmentProxy {
  /** Where clients should send. */
  readonly address: { host: string; port: number }
  stats(): ImpairmentProxyStats
  /** Changes the impairment from the next datagram on; unspecified fields keep their value. */
  setImpairment(change: Partial<Impairment>): void
  /** Stops relaying, drops queued datagrams, clears timers and closes every socket. Idempotent. */
  close(): Promise<void>
}

type Direction = 'toServer' | 'toClient'

/** One client's traffic in one direction: where it goes and its held-back datagram. */
interface Flow {
  direction: Direction
  send(payload: Buffer): void
  held: Buffer | undefined
  heldTimer: NodeJS.Timeout | undefined
}

interface Queued {
  due: number
  seq: number
  flow: Flow
  payload: Buffer
}

/** mulberry32: a tiny, fast 32-bit PRNG that is good enough for fault injection and fully reproducible. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296
  }
}

/** Min-heap on (due, seq): the order in which delayed datagrams leave. */
class DelayQueue {
  readonly #items: Queued[] = []

  get size(): number {
    return this.#items.length
  }

  peek(): Queued | undefined {
    return this.#items[0]
  }

  push(item: Queued): void {
    const items = this.#items
    items.push(item)
    let i = items.length - 1
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (!before(items[i]!, items[parent]!)) break
      ;[items[i], items[parent]] = [items[parent]!, items[i]!]
      i = parent
    }
  }

  pop(): Queued | undefined {
    const items = this.#items
    const top = items[0]
    const last = items.pop()
    if (top === undefined || last === undefined || items.length === 0) return top
    items[0] = last
    let i = 0
    for (;;) {
      const l = 2 * i + 1
      const r = l + 1
      let smallest = i
      if (l < items.length && before(items[l]!, items[smallest]!)) smallest = l
      if (r < items.length && before(items[r]!, items[smallest]!)) smallest = r
      if (smallest === i) break
      ;[items[i], items[smallest]] = [items[smallest]!, items[i]!]
      i = smallest
    }
    return top
  }

  clear(): void {
    this.#items.length = 0
  }
}

function before(a: Queued, b: Queued): boolean {
  return a.due < b.due || (a.due === b.due && a.seq < b.seq)
}

function emptyStats(): DirectionStats {
  return { received: 0, forwarded: 0, dropped: 0, duplicated: 0, reordered: 0, overflowed: 0, errors: 0 }
}

function checkProbability(name: string, value: number): void {
  if (!(value >= 0 && value <= 1)) throw new RangeError(`${name} must be within 0..1, got ${value}`)
}

function checkImpairment(imp: Impairment): void {
  checkProbability('loss', imp.loss)
  checkProbability('reorder', imp.reorder)
  checkProbability('duplicate', imp.duplicate)
  if (!(imp.delayMs >= 0) || !(imp.jitterMs >= 0)) throw new RangeError('delayMs and jitterMs must be >= 0')
}

function bindSocket(socket: Socket, host: string | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once('error', reject)
    socket.bind(0, host, () => {
      socket.off('error', reject)
      resolve()
    })
  })
}

function setBuffers(socket: Socket, size: number): void {
  // The kernel caps these at net.core.[rw]mem_max; asking for more is harmless, failing to set them is not fatal.
  try {
    socket.setRecvBufferSize(size)
    socket.setSendBufferSize(size)
  } catch {}
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.')
}

/** Starts a proxy relaying to `options.target` with the given impairment. */
export async function startImpairmentProxy(options: ImpairmentProxyOptions): Promise<ImpairmentProxy> {
  const impairment: Impairment = {
    loss: options.loss ?? 0,
    reorder: options.reorder ?? 0,
    duplicate: options.duplicate ?? 0,
    delayMs: options.delayMs ?? 0,
    jitterMs: options.jitterMs ?? 0,
    blackhole: options.blackhole ?? false,
  }
  checkImpairment(impairment)
  const { target } = options
  const listenHost = options.listenHost ?? '127.0.0.1'
  const maxQueued = options.maxQueued ?? 10_000
  const reorderTimeoutMs = options.reorderTimeoutMs ?? 20
  const bufferSize = options.socketBufferSize ?? 4 * 1024 * 1024
  const targetFamily = isIPv6(target.host) ? 'udp6' : 'udp4'
  const upstreamHost = isLoopback(target.host) ? (targetFamily === 'udp6' ? '::1' : '127.0.0.1') : undefined

  const rng: Record<Direction, () => number> = {
    toServer: mulberry32(options.seed),
    toClient: mulberry32(options.seed ^ 0x9e3779b9),
  }
  const stats: Record<Direction, DirectionStats> = { toServer: emptyStats(), toClient: emptyStats() }
  const queue = new DelayQueue()
  const sessions = new Map<string, { upstream: Socket; toServer: Flow; toClient: Flow }>()
  let queueTimer: NodeJS.Timeout | undefined
  let queueTimerDue = Number.POSITIVE_INFINITY
  let seq = 0
  let closed = false

  const front = createSocket(isIPv6(listenHost) ? 'udp6' : 'udp4')
  front.on('error', () => {
    // Send errors also arrive in the send callback, where they are counted; nothing else is expected here.
  })
  await bindSocket(front, listenHost)
  setBuffers(front, bufferSize)
  const frontAddress = front.address()

  function transmit(flow: Flow, payload: Buffer): void {
    if (closed) return
    stats[flow.direction].forwarded++
    flow.send(payload)
  }

  function drainQueue(): void {
    queueTimer = undefined
    queueTimerDue = Number.POSITIVE_INFINITY
    const now = performance.now()
    for (let next = queue.peek(); next !== undefined && next.due <= now + 1; next = queue.peek()) {
      queue.pop()
      transmit(next.flow, next.payload)
    }
    armQueueTimer()
  }

  function armQueueTimer(): void {
    const next = queue.peek()
    if (closed || next === undefined || next.due >= queueTimerDue) return
    if (queueTimer !== undefined) clearTimeout(queueTimer)
    queueTimerDue = next.due
    queueTimer = setTimeout(drainQueue, Math.max(0, next.due - performance.now()))
  }

  function delayStage(flow: Flow, payload: Buffer): void {
    const extra = impairment.jitterMs > 0 ? rng[flow.direction]() * impairment.jitterMs : 0
    const delay = impairment.delayMs + extra
    if (delay === 0 && queue.size === 0) {
      transmit(flow, payload)
      return
    }
    if (queue.size >= maxQueued) {
      stats[flow.direction].overflowed++
      stats[flow.direction].dropped++
      return
    }
    queue.push({ due: performance.now() + delay, seq: seq++, flow, payload })
    armQueueTimer()
  }

  function releaseHeld(flow: Flow): void {
    const held = flow.held
    if (held === undefined) return
    clearTimeout(flow.heldTimer)
    flow.held = undefined
    flow.heldTimer = undefined
    delayStage(flow, held)
  }

  function ingest(flow: Flow, payload: Buffer): void {
    const s = stats[flow.direction]
    const random = rng[flow.direction]
    s.received++
    if (impairment.blackhole || (impairment.loss > 0 && random() < impairment.loss)) {
      s.dropped++
      return
    }
    const copies = impairment.duplicate > 0 && random() < impairment.duplicate ? 2 : 1
    if (copies === 2) s.duplicated++
    if (flow.held === undefined && impairment.reorder > 0 && random() < impairment.reorder) {
      flow.held = payload
      flow.heldTimer = setTimeout(() => releaseHeld(flow), reorderTimeoutMs)
      if (copies === 2) delayStage(flow, payload)
      return
    }
    for (let i = 0; i < copies; i++) delayStage(flow, payload)
    if (flow.held !== undefined) {
      s.reordered++
      releaseHeld(flow)
    }
  }

  function sessionFor(client: RemoteInfo) {
    const key = `${client.address}|${client.port}`
    let session = sessions.get(key)
    if (session !== undefined) return session
    const upstream = createSocket(targetFamily)
    upstream.on('error', () => {})
    upstream.bind(0, upstreamHost)
    upstream.once('listening', () => setBuffers(upstream, bufferSize))
    const onSent = (direction: Direction) => (err: Error | null) => {
      if (err) stats[direction].errors++
    }
    const toServer: Flow = {
      direction: 'toServer',
      send: (payload) => upstream.send(payload, target.port, target.host, onSent('toServer')),
      held: undefined,
      heldTimer: undefined,
    }
    const toClient: Flow = {
      direction: 'toClient',
      send: (payload) => front.send(payload, client.port, client.address, onSent('toClient')),
      held: undefined,
      heldTimer: undefined,
    }
    upstream.on('message', (payload) => {
      if (!closed) ingest(toClient, payload)
    })
    session = { upstream, toServer, toClient }
    sessions.set(key, session)
    return session
  }

  front.on('message', (payload, client) => {
    if (!closed) ingest(sessionFor(client).toServer, payload)
  })

  const closeSocket = (socket: Socket) =>
    new Promise<void>((resolve) => {
      try {
        socket.close(() => resolve())
      } catch {
        resolve() // already closed
      }
    })

  return {
    address: { host: frontAddress.address, port: frontAddress.port },
    stats: () => ({
      toServer: { ...stats.toServer },
      toClient: { ...stats.toClient },
      clients: sessions.size,
      queued: queue.size,
    }),
    setImpairment(change) {
      const next = { ...impairment, ...change }
      checkImpairment(next)
      Object.assign(impairment, next)
    },
    async close() {
      if (closed) return
      closed = true
      if (queueTimer !== undefined) clearTimeout(queueTimer)
      queue.clear()
      const sockets = [front]
      for (const session of sessions.values()) {
        clearTimeout(session.toServer.heldTimer)
        clearTimeout(session.toClient.heldTimer)
        sockets.push(session.upstream)
      }
      sessions.clear()
      await Promise.all(sockets.map(closeSocket))
    },
  }
}
