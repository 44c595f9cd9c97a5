import { createLogger, type Envelope, QmsError } from '@quic-multistream/protocol'
import { MeshErrorCode } from '../errors.js'
import type { FrameChannel } from '../frame-channel.js'
import { isAgentEntry } from './entry.js'
import { RegistryStore } from './registry-store.js'
import type { AgentEntry, RegisterOptions, Registry, RegistryEvent, RegistryHost } from './types.js'
import { RegistryType, registryEnvelope } from './wire.js'

const log = createLogger('qms:mesh:registry')

/** Options of a {@link RegistryServer}. */
export interface RegistryServerOptions {
  /** TTL of entries registered by remote agents that do not ask for one. Default 15,000 ms. */
  defaultTtlMs?: number
  /** Longest TTL a remote agent may ask for. Default 5 minutes. */
  maxTtlMs?: number
  /** Expiry sweep interval (see {@link RegistryStore}). */
  sweepMs?: number
}

/**
 * The embedded registry: one agent hosts it (pass it as that agent's `registry`) and serves it on its own endpoint;
 * other agents reach it with {@link RemoteRegistry}. Remote entries live as long as their heartbeats; a remote agent
 * may only register, renew or remove its own id (the one its hello proved). The hosting agent uses it directly.
 */
export class RegistryServer implements Registry {
  readonly #store: RegistryStore
  readonly #defaultTtlMs: number
  readonly #maxTtlMs: number
  readonly #watchers = new Set<FrameChannel>()
  #selfId = ''
  #unwatch: (() => void) | undefined

  constructor(options: RegistryServerOptions = {}) {
    this.#defaultTtlMs = options.defaultTtlMs ?? 15_000
    this.#maxTtlMs = options.maxTtlMs ?? 300_000
    this.#store = new RegistryStore({
      defaultTtlMs: Number.POSITIVE_INFINITY,
      ...(options.sweepMs === undefined ? {} : { sweepMs: options.sweepMs }),
    })
  }

  /** Serves the registry protocol on the hosting agent's connection pool. */
  attach(host: RegistryHost): void {
    this.#selfId = host.selfId
    host.pool.route(RegistryType.PREFIX, (env, channel) => this.#serve(env, channel))
    this.#unwatch = this.#store.watch((event) => this.#push(event))
  }

  /** Registers locally (the hosting agent's own entry, which does not expire unless `ttlMs` is given). */
  async register(entry: AgentEntry, options: RegisterOptions = {}): Promise<void> {
    this.#store.put(entry, options.ttlMs)
  }

  async unregister(id: string): Promise<void> {
    this.#store.remove(id)
  }

  async heartbeat(id: string): Promise<void> {
    this.#store.touch(id)
  }

  async lookup(id: string): Promise<AgentEntry | undefined> {
    return this.#store.get(id)
  }

  async list(): Promise<AgentEntry[]> {
    return this.#store.list()
  }

  watch(listener: (event: RegistryEvent) => void): () => void {
    return this.#store.watch(listener)
  }

  async close(): Promise<void> {
    this.#unwatch?.()
    this.#store.close()
    this.#watchers.clear()
  }

  #serve(env: Envelope, channel: FrameChannel): void {
    if (env.kind === 'reply' || env.kind === 'error' || env.kind === 'publish') return
    try {
      const body = this.#handle(env, channel)
      this.#answer(channel, env, { kind: 'reply', body })
    } catch (e) {
      const err = e instanceof QmsError ? e : new QmsError(MeshErrorCode.REGISTRY, String(e))
      this.#answer(channel, env, { kind: 'error', body: undefined, error: { code: err.code, message: err.message } })
    }
  }

  #handle(env: Envelope, channel: FrameChannel): unknown {
    const peer = channel.link.peerId
    const body = (env.body ?? {}) as Record<string, unknown>
    const own = (id: unknown): string => {
      if (id !== peer) {
        throw new QmsError(MeshErrorCode.AUTH, `agent "${peer}" may not change the entry of "${String(id)}"`)
      }
      return id
    }
    switch (env.type) {
      case RegistryType.REGISTER: {
        if (!isAgentEntry(body.entry)) throw new QmsError('ERR_SCHEMA', 'register needs an agent entry')
        own(body.entry.id)
        const asked = typeof body.ttlMs === 'number' && body.ttlMs > 0 ? body.ttlMs : this.#defaultTtlMs
        this.#store.put(body.entry, Math.min(asked, this.#maxTtlMs))
        return null
      }
      case RegistryType.HEARTBEAT:
        if (!this.#store.touch(own(body.id))) {
          throw new QmsError(MeshErrorCode.UNKNOWN_PEER, `no entry for "${String(body.id)}" (expired?)`)
        }
        return null
      case RegistryType.UNREGISTER:
        this.#store.remove(own(body.id))
        return null
      case RegistryType.LOOKUP:
        return { entry: typeof body.id === 'string' ? (this.#store.get(body.id) ?? null) : null }
      case RegistryType.LIST:
        return { entries: this.#store.list() }
      case RegistryType.WATCH:
        if (!this.#watchers.has(channel)) {
          this.#watchers.add(channel)
          void channel.closed.then(() => this.#watchers.delete(channel))
        }
        return { entries: this.#store.list() }
      default:
        throw new QmsError('ERR_UNKNOWN_TYPE', `unknown registry operation "${env.type}"`)
    }
  }

  #answer(channel: FrameChannel, request: Envelope, fields: Pick<Envelope, 'kind' | 'body' | 'error'>): void {
    const reply = registryEnvelope({
      ...fields,
      type: request.type,
      from: this.#selfId,
      to: request.from,
      corr: request.id,
    })
    channel.send(reply).catch((e: unknown) => log('registry reply to %s lost: %s', request.from, String(e)))
  }

  #push(event: RegistryEvent): void {
    for (const channel of this.#watchers) {
      const env = registryEnvelope({
        kind: 'publish',
        type: RegistryType.EVENT,
        from: this.#selfId,
        to: channel.link.peerId,
        body: event,
      })
      channel.send(env).catch(() => this.#watchers.delete(channel))
    }
  }
}
