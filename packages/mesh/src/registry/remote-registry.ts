import { createLogger, type Envelope, isQmsError, Priority, QmsError } from '@quic-multistream/protocol'
import { backoffDelay, sleep } from '../backoff.js'
import { MeshErrorCode } from '../errors.js'
import type { FrameChannel } from '../frame-channel.js'
import { copyEntry, isAgentEntry, sameEntry } from './entry.js'
import type { AgentEntry, RegisterOptions, Registry, RegistryEvent, RegistryHost } from './types.js'
import { RegistryType, registryEnvelope } from './wire.js'

const log = createLogger('qms:mesh:registry-client')

/** Options of a {@link RemoteRegistry}. */
export interface RemoteRegistryOptions {
  /** Address (`host:port`) of the agent hosting the {@link RegistryServer}. */
  address: string
  /** That agent's id, when known: the hello must prove it. */
  id?: string
  /** TTL asked for our entries. Default 15,000 ms. */
  ttlMs?: number
  /** Heartbeat interval. Default a third of the TTL. */
  heartbeatMs?: number
  /** Deadline of each registry call. Default 5,000 ms. */
  timeoutMs?: number
}

interface Pending {
  resolve(body: unknown): void
  reject(err: Error): void
  timer: NodeJS.Timeout
}

/**
 * Client of an embedded {@link RegistryServer}, over the agent's own connection pool: one stream to the hosting
 * agent carries calls, heartbeats and a watch whose pushed changes keep a local mirror, so `lookup` and `list` are
 * answered without a round trip. If the stream or connection drops it reconnects with backoff, registers its
 * entries again and resynchronizes the mirror (announcing the differences to watchers).
 */
export class RemoteRegistry implements Registry {
  readonly #o: Required<Omit<RemoteRegistryOptions, 'id'>> & Pick<RemoteRegistryOptions, 'id'>
  readonly #mirror = new Map<string, AgentEntry>()
  readonly #listeners = new Set<(event: RegistryEvent) => void>()
  readonly #owned = new Map<string, { entry: AgentEntry; ttlMs: number }>()
  readonly #pending = new Map<string, Pending>()
  #host: RegistryHost | undefined
  #channel: FrameChannel | undefined
  #connecting: Promise<FrameChannel> | undefined
  #heartbeat: NodeJS.Timeout | undefined
  #closed = false

  constructor(options: RemoteRegistryOptions) {
    const ttlMs = options.ttlMs ?? 15_000
    this.#o = { ttlMs, heartbeatMs: Math.floor(ttlMs / 3), timeoutMs: 5_000, ...options }
  }

  attach(host: RegistryHost): void {
    this.#host = host
  }

  async register(entry: AgentEntry, options: RegisterOptions = {}): Promise<void> {
    const ttlMs = options.ttlMs ?? this.#o.ttlMs
    this.#owned.set(entry.id, { entry: copyEntry(entry), ttlMs })
    await this.#call(RegistryType.REGISTER, { entry, ttlMs })
    this.#startHeartbeat()
  }

  async unregister(id: string): Promise<void> {
    this.#owned.delete(id)
    await this.#call(RegistryType.UNREGISTER, { id })
  }

  async heartbeat(id: string): Promise<void> {
    await this.#call(RegistryType.HEARTBEAT, { id })
  }

  async lookup(id: string): Promise<AgentEntry | undefined> {
    await this.#connected()
    const known = this.#mirror.get(id)
    if (known) return copyEntry(known)
    const body = (await this.#call(RegistryType.LOOKUP, { id })) as { entry?: unknown } | null
    return isAgentEntry(body?.entry) ? copyEntry(body.entry) : undefined
  }

  async list(): Promise<AgentEntry[]> {
    await this.#connected()
    return [...this.#mirror.values()].map(copyEntry)
  }

  watch(listener: (event: RegistryEvent) => void): () => void {
    this.#listeners.add(listener)
    void this.#connected().catch(() => {})
    return () => {
      this.#listeners.delete(listener)
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return
    const owned = [...this.#owned.keys()]
    if (this.#channel) {
      await Promise.allSettled(owned.map((id) => this.#call(RegistryType.UNREGISTER, { id })))
    }
    this.#closed = true
    this.#owned.clear()
    clearInterval(this.#heartbeat)
    const channel = this.#channel
    this.#channel = undefined
    if (channel) await channel.end()
    this.#failPending(new QmsError(MeshErrorCode.CLOSED, 'registry client closed'))
  }

  #connected(): Promise<FrameChannel> {
    if (this.#channel) return Promise.resolve(this.#channel)
    if (this.#closed) return Promise.reject(new QmsError(MeshErrorCode.CLOSED, 'registry client closed'))
    if (!this.#host) {
      return Promise.reject(
        new QmsError(MeshErrorCode.REGISTRY, 'RemoteRegistry is not attached to an agent (pass it as `registry`)'),
      )
    }
    if (!this.#connecting) {
      this.#connecting = this.#connect(this.#host).finally(() => {
        this.#connecting = undefined
      })
    }
    return this.#connecting
  }

  async #connect(host: RegistryHost): Promise<FrameChannel> {
    const link = await host.pool.connectAddress(
      this.#o.address,
      this.#o.id === undefined ? {} : { expectedId: this.#o.id },
    )
    const channel = await link.openChannel(Priority.HIGH, (env) => this.#onEnvelope(env))
    const snapshot = (await this.#request(channel, RegistryType.WATCH, 'subscribe', null)) as { entries?: unknown }
    this.#resync(Array.isArray(snapshot?.entries) ? snapshot.entries.filter(isAgentEntry) : [])
    for (const { entry, ttlMs } of this.#owned.values()) {
      await this.#request(channel, RegistryType.REGISTER, 'request', { entry, ttlMs })
    }
    this.#channel = channel
    void channel.closed.then(() => this.#lost(channel))
    log('connected to registry %s (%s)', link.peerId, this.#o.address)
    return channel
  }

  #lost(channel: FrameChannel): void {
    if (this.#channel !== channel) return
    this.#channel = undefined
    this.#failPending(new QmsError(MeshErrorCode.PEER_UNREACHABLE, 'lost the registry connection'))
    if (!this.#closed) void this.#reconnect()
  }

  async #reconnect(): Promise<void> {
    for (let attempt = 0; !this.#closed && !this.#channel; attempt++) {
      try {
        await this.#connected()
        return
      } catch (e) {
        // The agent closes its pool before its registry when stopping: that is the end, not a failure to retry.
        if (isQmsError(e, MeshErrorCode.CLOSED)) return
        log('registry reconnect failed: %s', e instanceof Error ? e.message : String(e))
        await sleep(backoffDelay(attempt, { baseMs: 100, maxMs: 5_000 }))
      }
    }
  }

  async #call(type: string, body: unknown): Promise<unknown> {
    const channel = await this.#connected()
    return this.#request(channel, type, 'request', body)
  }

  #request(channel: FrameChannel, type: string, kind: 'request' | 'subscribe', body: unknown): Promise<unknown> {
    const env = registryEnvelope({ kind, type, from: this.#host!.selfId, to: channel.link.peerId, body })
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(env.id)
        reject(new QmsError('ERR_TIMEOUT', `registry call ${type} timed out after ${this.#o.timeoutMs} ms`))
      }, this.#o.timeoutMs)
      this.#pending.set(env.id, { resolve, reject, timer })
      channel.send(env).catch((e: unknown) => {
        clearTimeout(timer)
        this.#pending.delete(env.id)
        reject(new QmsError(MeshErrorCode.PEER_UNREACHABLE, 'registry unreachable', { cause: e }))
      })
    })
  }

  #onEnvelope(env: Envelope): void {
    if (env.kind === 'publish' && env.type === RegistryType.EVENT) {
      this.#apply(env.body as RegistryEvent)
      return
    }
    if (env.corr === undefined) return
    const pending = this.#pending.get(env.corr)
    if (!pending) return
    this.#pending.delete(env.corr)
    clearTimeout(pending.timer)
    if (env.kind === 'error') {
      pending.reject(new QmsError(env.error?.code ?? MeshErrorCode.REGISTRY, env.error?.message ?? 'registry error'))
    } else {
      pending.resolve(env.body)
    }
  }

  #apply(event: RegistryEvent): void {
    if (event.type === 'down') {
      if (typeof event.id !== 'string' || !this.#mirror.delete(event.id)) return
    } else {
      if (!isAgentEntry(event.entry)) return
      this.#mirror.set(event.entry.id, copyEntry(event.entry))
    }
    this.#emit(event)
  }

  /** Replaces the mirror with a snapshot, announcing what changed since the last one. */
  #resync(entries: AgentEntry[]): void {
    const next = new Map(entries.map((e) => [e.id, copyEntry(e)]))
    for (const id of [...this.#mirror.keys()]) {
      if (!next.has(id)) {
        this.#mirror.delete(id)
        this.#emit({ type: 'down', id, reason: 'expired' })
      }
    }
    for (const [id, entry] of next) {
      const old = this.#mirror.get(id)
      this.#mirror.set(id, entry)
      if (!old) this.#emit({ type: 'up', entry: copyEntry(entry) })
      else if (!sameEntry(old, entry)) this.#emit({ type: 'update', entry: copyEntry(entry) })
    }
  }

  #emit(event: RegistryEvent): void {
    for (const l of [...this.#listeners]) l(event)
  }

  #startHeartbeat(): void {
    if (this.#heartbeat) return
    this.#heartbeat = setInterval(() => void this.#beat(), this.#o.heartbeatMs)
    this.#heartbeat.unref()
  }

  async #beat(): Promise<void> {
    for (const [id, { entry, ttlMs }] of this.#owned) {
      try {
        await this.#call(RegistryType.HEARTBEAT, { id })
      } catch (e) {
        // The server forgot us (we were cut off longer than the TTL): register again.
        if (e instanceof QmsError && e.code === MeshErrorCode.UNKNOWN_PEER && this.#owned.has(id)) {
          await this.#call(RegistryType.REGISTER, { entry, ttlMs }).catch(() => {})
        }
      }
    }
  }

  #failPending(error: Error): void {
    for (const p of this.#pending.values()) {
      clearTimeout(p.timer)
      p.reject(error)
    }
    this.#pending.clear()
  }
}
