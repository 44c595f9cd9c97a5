import { randomBytes } from 'node:crypto'
import { createLogger, DEFAULT_MAX_FRAME_SIZE, LANES, type Lane, QmsError } from '@quic-multistream/protocol'
import type { QuicConnection, QuicEndpoint } from '@quic-multistream/transport'
import { parseAddress } from './address.js'
import { type BackoffOptions, backoffDelay, raceSignal, sleep } from './backoff.js'
import { asAuthFailure, CloseCode, MeshErrorCode } from './errors.js'
import type { EnvelopeHandler } from './frame-channel.js'
import { acceptHandshake, dialHandshake } from './handshake.js'
import { type LinkHandlers, type LinkOptions, PeerLink } from './peer-link.js'

const log = createLogger('qms:mesh:pool')

/** Options of a {@link ConnectionPool}. */
export interface ConnectionPoolOptions {
  endpoint: QuicEndpoint
  /** Our agent id, sent in every hello. */
  selfId: string
  /** Addresses (`host:port`) of an agent id, or undefined when no registry knows it. */
  resolve(peerId: string): Promise<readonly string[] | undefined>
  /** Where links deliver what arrives. */
  handlers: LinkHandlers
  /** Shared secret: peers must present it and we present it to them. */
  token?: string
  /** TLS server name for dials. Default: the transport's default. */
  serverName?: string
  /** Most open connections; past it the least recently used one is closed. Default 256. */
  maxConnections?: number
  /** Close a connection with no traffic and no call in progress for this long; 0 keeps them. Default 60,000 ms. */
  idleTimeoutMs?: number
  /** A link that lost a simultaneous-dial tie is closed after this long without traffic. Default 1,000 ms. */
  retireAfterMs?: number
  /** QUIC handshake deadline per dial. Default 5,000 ms. */
  dialTimeoutMs?: number
  /** Hello exchange deadline. Default 5,000 ms. */
  handshakeTimeoutMs?: number
  /** Dial attempts per `get` before `ERR_PEER_UNREACHABLE`. Default 4. */
  dialAttempts?: number
  /** Delays between attempts (jittered exponential). */
  backoff?: BackoffOptions
  /** Frames queued per lane per connection before senders wait or fail fast. Default 1,024 each. */
  laneCapacity?: Partial<Record<Lane, number>>
  maxFrameSize?: number
  /** msgpack structures on lane streams (faster, smaller). Default true. */
  structures?: boolean
}

/** Counters of a {@link ConnectionPool}. */
export interface PoolStats {
  /** Links in use, one per peer. */
  connections: number
  /** Links kept only until their traffic ends (the loser of a simultaneous dial). */
  retired: number
  dials: number
  dialFailures: number
  accepted: number
  /** Dials to a peer we had been connected to before. */
  reconnects: number
  /** Peers that failed our authentication (wrong token, failed hello). */
  authRejected: number
  /** Dials that failed authentication (the peer refused us, or answered wrongly). */
  authFailed: number
  evictedIdle: number
  evictedLimit: number
  /** Simultaneous dials resolved by keeping one connection. */
  duplicates: number
  /** Links dropped because a new instance of the same agent (a restarted process) said hello. */
  replaced: number
  /** Per lane, summed over links: frames written, queued now, fail-fast rejections. */
  lanes: Record<Lane, { written: number; queued: number; rejectedFull: number }>
}

interface PeerBackoff {
  failures: number
  notBefore: number
}

/**
 * One connection per remote agent: dialed lazily by {@link get}, authenticated by a hello exchange, shared by all
 * lanes, redialed with jittered exponential backoff, closed when idle, bounded in number. When two agents dial each
 * other at once both connections complete; both sides then keep the one dialed by the lower agent id, and the other
 * is retired (used by nothing new, closed once quiet). A hello from a known agent id but another instance (each pool
 * sends a random nonce) comes from a restarted process: its link replaces the old one at once, and the old one is
 * closed, failing or redelivering what was under way on it, instead of lingering until QUIC's idle timeout notices
 * the dead peer.
 */
export class ConnectionPool {
  readonly #o: Required<Omit<ConnectionPoolOptions, 'token' | 'serverName' | 'laneCapacity' | 'backoff'>> &
    Pick<ConnectionPoolOptions, 'token' | 'serverName' | 'backoff'>
  readonly #linkOptions: LinkOptions
  /** Our instance nonce, sent in every hello. */
  readonly #instance = randomBytes(12).toString('base64url')
  readonly #links = new Map<string, PeerLink>()
  readonly #retired = new Set<PeerLink>()
  readonly #dialing = new Map<string, Promise<PeerLink>>()
  readonly #backoff = new Map<string, PeerBackoff>()
  readonly #known = new Set<string>()
  readonly #routes: Array<{ prefix: string; handler: EnvelopeHandler }> = []
  readonly #counters = {
    dials: 0,
    dialFailures: 0,
    accepted: 0,
    reconnects: 0,
    authRejected: 0,
    authFailed: 0,
    evictedIdle: 0,
    evictedLimit: 0,
    duplicates: 0,
    replaced: 0,
  }
  readonly #closedLaneTotals = Object.fromEntries(LANES.map((l) => [l, { written: 0, rejectedFull: 0 }])) as Record<
    Lane,
    { written: number; rejectedFull: number }
  >
  /** Fires on {@link close}: dials and backoff waits in progress stop at once instead of running out their time. */
  readonly #closing = new AbortController()
  #sweep: NodeJS.Timeout | undefined
  #closed = false

  constructor(options: ConnectionPoolOptions) {
    this.#o = {
      maxConnections: 256,
      idleTimeoutMs: 60_000,
      retireAfterMs: 1_000,
      dialTimeoutMs: 5_000,
      handshakeTimeoutMs: 5_000,
      dialAttempts: 4,
      maxFrameSize: DEFAULT_MAX_FRAME_SIZE,
      structures: true,
      ...options,
    }
    const capacity = Object.fromEntries(LANES.map((l) => [l, options.laneCapacity?.[l] ?? 1_024])) as Record<
      Lane,
      number
    >
    const handlers = options.handlers
    this.#linkOptions = {
      selfId: options.selfId,
      laneCapacity: capacity,
      replyCapacity: Math.max(...Object.values(capacity)),
      maxFrameSize: this.#o.maxFrameSize,
      structures: this.#o.structures,
      onPeerLeaving: (link) => this.#retire(link),
      handlers: {
        ...handlers,
        envelope: (env, channel) => {
          for (const r of this.#routes) if (env.type.startsWith(r.prefix)) return r.handler(env, channel)
          return handlers.envelope(env, channel)
        },
      },
    }
  }

  /** Our agent id. */
  get selfId(): string {
    return this.#o.selfId
  }

  /** Starts accepting connections on the endpoint and the idle sweep. */
  start(): void {
    void this.#acceptLoop()
    const idle = this.#o.idleTimeoutMs > 0 ? this.#o.idleTimeoutMs / 4 : Number.POSITIVE_INFINITY
    const every = Math.max(20, Math.min(5_000, Math.floor(Math.min(idle, this.#o.retireAfterMs))))
    this.#sweep = setInterval(() => this.#sweepLinks(), every)
    this.#sweep.unref()
  }

  /**
   * Sends envelopes whose `type` starts with `prefix` to `handler` instead of the default handler (how the embedded
   * registry serves on an agent's own endpoint).
   */
  route(prefix: string, handler: EnvelopeHandler): void {
    this.#routes.push({ prefix, handler })
  }

  /** The live link to `peerId`, if there is one (no dial). */
  peek(peerId: string): PeerLink | undefined {
    const link = this.#links.get(peerId)
    return link?.isOpen ? link : undefined
  }

  /**
   * The link to `peerId`, dialing it if needed (concurrent callers share one dial).
   * @throws QmsError `ERR_UNKNOWN_PEER`, `ERR_PEER_UNREACHABLE`, `ERR_AUTH`, `ERR_ABORTED`, `ERR_CLOSED`.
   */
  get(peerId: string, options: { signal?: AbortSignal } = {}): Promise<PeerLink> {
    const link = this.#links.get(peerId)
    if (link?.isOpen) return Promise.resolve(link)
    if (this.#closed) return Promise.reject(new QmsError(MeshErrorCode.CLOSED, 'connection pool is closed'))
    let dialing = this.#dialing.get(peerId)
    if (!dialing) {
      dialing = this.#dialPeer(peerId).finally(() => this.#dialing.delete(peerId))
      dialing.catch(() => {})
      this.#dialing.set(peerId, dialing)
    }
    return raceSignal(dialing, options.signal, `connecting to "${peerId}"`)
  }

  /**
   * Dials an address whose agent id we may not know yet (a registry server given by address), with the same retries
   * as {@link get}. The link is pooled under the id the peer proves in the hello.
   */
  async connectAddress(
    address: string,
    options: { signal?: AbortSignal; expectedId?: string } = {},
  ): Promise<PeerLink> {
    if (options.expectedId !== undefined) {
      const existing = this.peek(options.expectedId)
      if (existing) return existing
    }
    return this.#withRetries(address, () => this.#dial(address, options.expectedId, options.signal), options.signal)
  }

  /** Every open link, including retired ones. */
  links(): PeerLink[] {
    return [...this.#links.values(), ...this.#retired].filter((l) => l.isOpen)
  }

  stats(): PoolStats {
    const lanes = Object.fromEntries(
      LANES.map((l) => [
        l,
        { written: this.#closedLaneTotals[l].written, queued: 0, rejectedFull: this.#closedLaneTotals[l].rejectedFull },
      ]),
    ) as PoolStats['lanes']
    for (const link of this.links()) {
      const s = link.laneStats()
      for (const l of LANES) {
        lanes[l].written += s[l].written
        lanes[l].queued += s[l].queued
        lanes[l].rejectedFull += s[l].rejectedFull
      }
    }
    return {
      connections: [...this.#links.values()].filter((l) => l.isOpen).length,
      retired: this.#retired.size,
      ...this.#counters,
      lanes,
    }
  }

  /** Waits until every link wrote what it had queued. */
  async drain(): Promise<void> {
    await Promise.all(this.links().map((l) => l.drain()))
  }

  /**
   * Closes every link and stops accepting (the endpoint itself belongs to the caller). Each link first waits, up to
   * `graceMs` (default 1,000), until its peer has read everything written to it.
   */
  async close(options: { graceMs?: number } = {}): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    this.#closing.abort(new QmsError(MeshErrorCode.CLOSED, 'connection pool is closed'))
    clearInterval(this.#sweep)
    const graceMs = options.graceMs ?? 1_000
    await Promise.all(this.links().map((l) => l.shutdown(graceMs, CloseCode.NORMAL, 'shutting down')))
  }

  async #dialPeer(peerId: string): Promise<PeerLink> {
    return this.#withRetries(peerId, async (signal) => {
      const addresses = await this.#o.resolve(peerId)
      if (!addresses || addresses.length === 0) {
        throw new QmsError(MeshErrorCode.UNKNOWN_PEER, `no registry knows agent "${peerId}"`, {
          details: { peer: peerId },
        })
      }
      let last: unknown
      for (const address of addresses) {
        try {
          return await this.#dial(address, peerId, signal)
        } catch (e) {
          if (e instanceof QmsError && e.code === MeshErrorCode.AUTH) throw e
          last = e
        }
      }
      throw last
    })
  }

  /** Runs `attempt` up to `dialAttempts` times with backoff; auth and unknown-peer failures are final. */
  async #withRetries(
    key: string,
    attempt: (signal?: AbortSignal) => Promise<PeerLink>,
    signal?: AbortSignal,
  ): Promise<PeerLink> {
    let last: unknown
    const stop = signal ? AbortSignal.any([signal, this.#closing.signal]) : this.#closing.signal
    for (let i = 0; i < this.#o.dialAttempts; i++) {
      const state = this.#backoff.get(key)
      try {
        if (state && state.notBefore > Date.now()) await sleep(state.notBefore - Date.now(), stop)
        if (this.#closed) throw new QmsError(MeshErrorCode.CLOSED, 'connection pool is closed')
        const link = await attempt(stop)
        this.#backoff.delete(key)
        return link
      } catch (e) {
        if (this.#closed) throw new QmsError(MeshErrorCode.CLOSED, 'connection pool is closed', { cause: e })
        last = e
        if (e instanceof QmsError && (e.code === MeshErrorCode.AUTH || e.code === MeshErrorCode.UNKNOWN_PEER)) throw e
        if (e instanceof QmsError && e.code === MeshErrorCode.ABORTED) throw e
        const failures = (state?.failures ?? 0) + 1
        this.#backoff.set(key, { failures, notBefore: Date.now() + backoffDelay(failures - 1, this.#o.backoff) })
        log('dial %s failed (%d): %s', key, failures, e instanceof Error ? e.message : String(e))
      }
    }
    throw new QmsError(MeshErrorCode.PEER_UNREACHABLE, `cannot reach "${key}" after ${this.#o.dialAttempts} attempts`, {
      cause: last,
      details: { peer: key },
    })
  }

  async #dial(address: string, expectedId: string | undefined, signal?: AbortSignal): Promise<PeerLink> {
    this.#counters.dials++
    let conn: QuicConnection
    try {
      conn = await this.#o.endpoint.connect({
        ...parseAddress(address),
        timeoutMs: this.#o.dialTimeoutMs,
        ...(this.#o.serverName === undefined ? {} : { serverName: this.#o.serverName }),
        ...(signal === undefined ? {} : { signal }),
      })
    } catch (e) {
      this.#counters.dialFailures++
      const err = asAuthFailure(e, expectedId ?? address)
      if (err !== e) this.#counters.authFailed++
      throw err
    }
    try {
      const { peerId, peerInstance } = await dialHandshake(conn, {
        selfId: this.#o.selfId,
        instance: this.#instance,
        token: this.#o.token,
        timeoutMs: this.#o.handshakeTimeoutMs,
        maxFrameSize: this.#o.maxFrameSize,
        expectedId,
      })
      if (this.#known.has(peerId)) this.#counters.reconnects++
      return this.#adopt(new PeerLink(conn, { peerId, dialer: this.#o.selfId, peerInstance }, this.#linkOptions))
    } catch (e) {
      this.#counters.dialFailures++
      if (e instanceof QmsError && e.code === MeshErrorCode.AUTH) this.#counters.authFailed++
      throw e
    }
  }

  async #acceptLoop(): Promise<void> {
    try {
      for await (const conn of this.#o.endpoint.incomingConnections) {
        if (this.#closed) {
          void conn.close(CloseCode.NORMAL, 'shutting down')
          continue
        }
        void this.#accept(conn)
      }
    } catch (e) {
      log('accept loop ended: %s', e instanceof Error ? e.message : String(e))
    }
  }

  async #accept(conn: QuicConnection): Promise<void> {
    try {
      const { peerId, peerInstance, streams } = await acceptHandshake(conn, {
        selfId: this.#o.selfId,
        instance: this.#instance,
        token: this.#o.token,
        timeoutMs: this.#o.handshakeTimeoutMs,
        maxFrameSize: this.#o.maxFrameSize,
      })
      this.#counters.accepted++
      this.#adopt(new PeerLink(conn, { peerId, dialer: peerId, peerInstance }, this.#linkOptions, streams))
    } catch (e) {
      this.#counters.authRejected++
      log('refused a connection from %o: %s', conn.remoteAddress, e instanceof Error ? e.message : String(e))
    }
  }

  #adopt(link: PeerLink): PeerLink {
    const { peerId } = link
    if (this.#closed) {
      void link.close(CloseCode.NORMAL, 'shutting down')
      throw new QmsError(MeshErrorCode.CLOSED, 'connection pool is closed')
    }
    this.#known.add(peerId)
    this.#dropOldInstances(link)
    const existing = this.#links.get(peerId)
    if (existing?.isOpen) {
      this.#counters.duplicates++
      // Both ends apply the same rule, so they agree on the survivor without talking about it.
      const keepNew = preferred(link, existing, this.#o.selfId) === link
      const [keep, retire] = keepNew ? [link, existing] : [existing, link]
      this.#links.set(peerId, keep)
      this.#retired.add(retire)
    } else {
      this.#links.set(peerId, link)
    }
    link.start()
    void link.closed.then(() => {
      if (this.#links.get(peerId) === link) this.#links.delete(peerId)
      this.#retired.delete(link)
      const s = link.laneStats()
      for (const l of LANES) {
        this.#closedLaneTotals[l].written += s[l].written
        this.#closedLaneTotals[l].rejectedFull += s[l].rejectedFull
      }
    })
    this.#enforceLimit(link)
    return this.#links.get(peerId) ?? link
  }

  /**
   * Closes every link to `fresh`'s agent that went to another instance of it: that process is gone (or, if two live
   * processes share an id, the newest hello wins). Peers that send no instance are left to the simultaneous-dial rule.
   */
  #dropOldInstances(fresh: PeerLink): void {
    if (fresh.peerInstance === undefined) return
    const stale = (l: PeerLink) =>
      l.peerId === fresh.peerId && l.peerInstance !== undefined && l.peerInstance !== fresh.peerInstance
    const old = [...this.#links.values(), ...this.#retired].filter(stale)
    for (const link of old) {
      this.#forget(link)
      if (!link.isOpen) continue
      this.#counters.replaced++
      log('%s restarted: replacing its old connection', fresh.peerId)
      void link.close(CloseCode.REPLACED, 'replaced by a new instance of the agent')
    }
  }

  #enforceLimit(fresh: PeerLink): void {
    let open = this.links()
    while (open.length > this.#o.maxConnections) {
      const candidates = open.filter((l) => l !== fresh)
      const idle = candidates.filter((l) => l.inflight === 0)
      const pool = idle.length > 0 ? idle : candidates
      const victim = pool.reduce((a, b) => (b.lastActive < a.lastActive ? b : a))
      this.#counters.evictedLimit++
      this.#forget(victim)
      void victim.close(CloseCode.EVICTED, 'connection pool full')
      open = open.filter((l) => l !== victim)
    }
  }

  /** Keeps `link` only for what is already under way on it: its peer said goodbye, so nothing new should start. */
  #retire(link: PeerLink): void {
    if (this.#links.get(link.peerId) !== link) return
    this.#links.delete(link.peerId)
    if (link.isOpen) this.#retired.add(link)
  }

  #forget(link: PeerLink): void {
    if (this.#links.get(link.peerId) === link) this.#links.delete(link.peerId)
    this.#retired.delete(link)
  }

  #sweepLinks(): void {
    const now = Date.now()
    for (const link of this.links()) {
      if (link.active) {
        link.active = false
        link.lastActive = now
        continue
      }
      if (link.inflight > 0) continue
      const quiet = now - link.lastActive
      if (this.#retired.has(link) && quiet >= this.#o.retireAfterMs) {
        this.#forget(link)
        void link.close(CloseCode.DUPLICATE, 'duplicate connection')
      } else if (this.#o.idleTimeoutMs > 0 && quiet >= this.#o.idleTimeoutMs) {
        this.#counters.evictedIdle++
        this.#forget(link)
        void link.close(CloseCode.IDLE, 'idle')
      }
    }
  }
}

/** Of two links to the same peer, the one dialed by the lower agent id. */
function preferred(a: PeerLink, b: PeerLink, selfId: string): PeerLink {
  const low = selfId < a.peerId ? selfId : a.peerId
  if (a.dialer === b.dialer) return a
  return a.dialer === low ? a : b
}
