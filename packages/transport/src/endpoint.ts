import { createHash, randomBytes } from 'node:crypto'
import * as dgram from 'node:dgram'
import { lookup as dnsLookup } from 'node:dns'
import { lookup } from 'node:dns/promises'
import { isIP } from 'node:net'
import { createLogger, QmsError } from '@quic-multistream/protocol'
import { AsyncQueue } from './async-queue.js'
import { type ConnectionHost, type PostHandshakeChecks, QuicConnectionImpl } from './connection.js'
import { isLoopback, type ResolvedEndpointOptions, resolveOptions, udpPayloadFor } from './defaults.js'
import type { Engine, EngineAddress, EngineConfig, EngineHeader } from './engine.js'
import { PacketType } from './engine.js'
import { quicheEngine } from './engine-quiche.js'
import { TransportErrorCode } from './errors.js'
import {
  type ConnectOptions,
  type EndpointOptions,
  type EndpointStats,
  emptyEndpointStats,
  type QuicEndpoint,
  type TlsOptions,
} from './options.js'
import { RetryTokens } from './retry-token.js'
import { normalizePin } from './tls/certificate.js'
import type { QuicConnection, SocketAddress } from './types.js'

const log = createLogger('qms:transport:endpoint')

/** Our connection ids are always this long, so short-header packets can be routed without parsing. */
const CID_LEN = 20
/** RFC 9000 §14.1: servers must ignore client Initials in datagrams smaller than this. */
const MIN_INITIAL_SIZE = 1200
/** Outgoing packets are carved from slabs: no per-packet allocation, and buffers stay valid until the OS sent them. */
const SLAB_SIZE = 4 * 1024 * 1024
const MAX_TICKETS = 1024
/** Received stream data is copied into slabs of this size and handed out as views (one allocation per slab). */
const READ_SLAB_SIZE = 256 * 1024
/** A flush sends at most this much per connection, then yields to the event loop (fairness, and no spinning). */
const MAX_FLUSH_PACKETS = 256
const MAX_FLUSH_BYTES = 2 * 1024 * 1024

let endpointCounter = 0

/**
 * Creates a QUIC endpoint: one UDP socket that accepts connections (when it has a certificate) and dials others.
 *
 * @example
 * ```ts
 * const cert = await generateDevCertificate()
 * const server = await createEndpoint({ tls: { cert: cert.cert, key: cert.key } })
 * const client = await createEndpoint({ tls: { pinSha256: [cert.sha256] } })
 * const conn = await client.connect(server.address)
 * ```
 */
export async function createEndpoint(options: EndpointOptions = {}): Promise<QuicEndpoint> {
  const endpoint = new QuicEndpointImpl(resolveOptions(options), quicheEngine)
  await endpoint.bind()
  return endpoint
}

class QuicEndpointImpl implements QuicEndpoint, ConnectionHost {
  readonly incomingConnections = new AsyncQueue<QuicConnection>()
  readonly connections = new Set<QuicConnectionImpl>()
  readonly scratch = Buffer.allocUnsafe(65536)

  private readonly socket: dgram.Socket
  private readonly byCid = new Map<string, QuicConnectionImpl>()
  private readonly perIp = new Map<string, number>()
  private readonly refused = new WeakSet<QuicConnectionImpl>()
  private acceptedActive = 0
  private local!: EngineAddress
  private readonly id = ++endpointCounter
  private connCounter = 0

  private dirty: QuicConnectionImpl[] = []
  private flushScheduled = false
  private pending: QuicConnectionImpl[] = []
  private processScheduled = false
  private slab = Buffer.allocUnsafe(SLAB_SIZE)
  private slabOffset = 0
  private readSlab = Buffer.allocUnsafe(READ_SLAB_SIZE)
  private readSlabOffset = 0

  private readonly serverConfigs = new Map<boolean, EngineConfig>()
  private readonly clientConfigs = new Map<string, EngineConfig>()
  private readonly ticketKey = randomBytes(48)
  private readonly tickets = new Map<string, Uint8Array>()
  private readonly ticketKeys = new WeakMap<QuicConnectionImpl, string>()
  private readonly retryTokens = new RetryTokens()
  private readonly serverChecks: PostHandshakeChecks
  private keepAlive: NodeJS.Timeout | undefined
  private closing: Promise<void> | undefined
  private drained: (() => void) | undefined

  private counters: EndpointStats = emptyEndpointStats()

  constructor(
    private readonly options: ResolvedEndpointOptions,
    private readonly engine: Engine,
  ) {
    if (engine.maxConnIdLen < CID_LEN) throw new Error('engine connection ids are too short')
    const v6 = isIP(options.host) === 6
    this.socket = dgram.createSocket({
      type: v6 ? 'udp6' : 'udp4',
      recvBufferSize: options.socketBufferSize,
      sendBufferSize: options.socketBufferSize,
      lookup: literalLookup,
    })
    this.serverChecks = { requireClientCert: options.tls.requireClientCert ?? false }
    if (options.accept && !(options.tls.cert && options.tls.key)) {
      throw new QmsError(TransportErrorCode.TLS_CONFIG, 'accepting connections needs tls.cert and tls.key')
    }
    if (options.tls.requireClientCert && !options.tls.ca) {
      throw new QmsError(TransportErrorCode.TLS_CONFIG, 'tls.requireClientCert needs tls.ca to verify clients')
    }
  }

  async bind(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      const onError = (e: Error) =>
        reject(
          new QmsError(TransportErrorCode.BIND_FAILED, `cannot bind UDP ${this.options.host}:${this.options.port}`, {
            cause: e,
            details: { host: this.options.host, port: this.options.port, errno: (e as NodeJS.ErrnoException).code },
          }),
        )
      this.socket.once('error', onError)
      this.socket.bind(this.options.port, this.options.host, () => {
        this.socket.off('error', onError)
        resolve()
      })
    })
    const a = this.socket.address()
    this.local = { host: a.address, port: a.port }
    this.socket.on('message', (msg, rinfo) => this.onPacket(msg, rinfo))
    this.socket.on('error', (e) => {
      if (log.enabled) log(`socket error: ${e.message}`)
    })
    if (this.options.keepAliveMs > 0) {
      const every = Math.max(10, Math.floor(this.options.keepAliveMs / 2))
      this.keepAlive = setInterval(() => this.sendKeepAlives(), every)
      this.keepAlive.unref()
    }
    if (this.options.accept) this.serverConfig(true)
  }

  get address(): SocketAddress {
    return { host: this.local.host, port: this.local.port }
  }

  stats(): EndpointStats {
    return { ...this.counters, connectionsActive: this.connections.size }
  }

  // ---- configuration ----

  private tlsBytes(v: string | Uint8Array | undefined): Uint8Array | undefined {
    if (v === undefined) return undefined
    return typeof v === 'string' ? Buffer.from(v) : v
  }

  private baseConfig(loopback: boolean) {
    const o = this.options
    const payload = udpPayloadFor(o.maxUdpPayload, loopback ? '127.0.0.1' : '0.0.0.0')
    return {
      alpn: o.alpn,
      idleTimeoutMs: o.idleTimeoutMs,
      maxSendUdpPayload: payload,
      maxRecvUdpPayload: 65527,
      connectionWindow: o.connectionWindow,
      streamWindow: o.streamWindow,
      maxStreamsBidi: o.maxStreamsBidi,
      maxStreamsUni: o.maxStreamsUni,
      datagrams: o.datagrams,
      earlyData: o.earlyData,
      congestionControl: o.congestionControl,
    }
  }

  private serverConfig(loopback: boolean): EngineConfig {
    let c = this.serverConfigs.get(loopback)
    if (c) return c
    const tls = this.options.tls
    c = this.makeConfig({
      ...this.baseConfig(loopback),
      cert: this.tlsBytes(tls.cert),
      key: this.tlsBytes(tls.key),
      ca: tls.requireClientCert ? this.tlsBytes(tls.ca) : undefined,
      verifyPeer: tls.requireClientCert ?? false,
      ticketKey: this.ticketKey,
    })
    this.serverConfigs.set(loopback, c)
    return c
  }

  private clientConfig(policy: TlsOptions, alpn: string[], loopback: boolean): EngineConfig {
    const key = JSON.stringify([loopback, alpn, policy.insecure ?? false, policy.ca ? String(policy.ca) : null])
    let c = this.clientConfigs.get(key)
    if (c) return c
    const tls = this.options.tls
    const verifyChain = !policy.insecure && policy.ca !== undefined
    c = this.makeConfig({
      ...this.baseConfig(loopback),
      alpn,
      cert: this.tlsBytes(tls.cert),
      key: this.tlsBytes(tls.key),
      ca: verifyChain ? this.tlsBytes(policy.ca) : undefined,
      verifyPeer: verifyChain,
    })
    this.clientConfigs.set(key, c)
    return c
  }

  private makeConfig(o: Parameters<Engine['createConfig']>[0]): EngineConfig {
    try {
      return this.engine.createConfig(o)
    } catch (e) {
      throw new QmsError(TransportErrorCode.TLS_CONFIG, `invalid TLS configuration: ${(e as Error).message}`, {
        cause: e,
      })
    }
  }

  // ---- dialing ----

  async connect(co: ConnectOptions): Promise<QuicConnection> {
    if (this.closing) throw new QmsError(TransportErrorCode.ENDPOINT_CLOSED, 'endpoint is closed')
    if (!co || typeof co.host !== 'string' || !Number.isInteger(co.port) || co.port <= 0 || co.port > 65535) {
      throw new QmsError(TransportErrorCode.INVALID_ARGUMENT, `invalid address ${JSON.stringify(co)}`)
    }
    const host = isIP(co.host) ? co.host : await this.resolve(co.host)
    const policy: TlsOptions = { ...pickVerify(this.options.tls), ...co.tls }
    if (!policy.insecure && !policy.ca && !(policy.pinSha256 && policy.pinSha256.length > 0)) {
      throw new QmsError(
        TransportErrorCode.TLS_CONFIG,
        'connecting needs a way to verify the server: tls.ca, tls.pinSha256, or tls.insecure (development only)',
      )
    }
    const pins = policy.insecure ? undefined : new Set((policy.pinSha256 ?? []).map(normalizePin))
    const alpn = co.alpn && co.alpn.length > 0 ? co.alpn : this.options.alpn
    const loopback = isLoopback(host)
    const config = this.clientConfig(policy, alpn, loopback)
    const serverName = co.serverName ?? 'localhost'
    const remote = { host, port: co.port }
    const scid = randomBytes(CID_LEN)
    const engineConn = this.engine.connect(serverName, scid, this.local, remote, config)
    // Tickets are per verification policy too: resuming must never skip checks the new policy would make.
    const ticketKey = `${serverName}|${host}|${co.port}|${alpn.join(',')}|${policyKey(policy)}`
    const ticket = this.tickets.get(ticketKey)
    if ((co.earlyData ?? this.options.earlyData) && ticket) {
      try {
        engineConn.setSession(ticket)
      } catch {
        this.tickets.delete(ticketKey)
      }
    }
    const conn = new QuicConnectionImpl(
      this,
      engineConn,
      `e${this.id}c${++this.connCounter}`,
      'client',
      remote,
      { from: remote, to: this.local },
      { pins },
    )
    this.ticketKeys.set(conn, ticketKey)
    this.byCid.set(scid.toString('latin1'), conn)
    conn.cidKeys.push(scid.toString('latin1'))
    this.connections.add(conn)
    this.counters.connectionsDialed++
    this.flushConn(conn)
    conn.afterEngineEvent()

    const timeoutMs = co.timeoutMs ?? this.options.connectTimeoutMs
    let timer: NodeJS.Timeout | undefined
    let onAbort: (() => void) | undefined
    try {
      await Promise.race([
        conn.whenReady(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => {
            const e = new QmsError(
              TransportErrorCode.CONNECT_TIMEOUT,
              `no QUIC handshake with ${host}:${co.port} within ${timeoutMs} ms`,
              { details: { host, port: co.port, timeoutMs } },
            )
            reject(e)
            conn.destroy()
          }, timeoutMs)
          if (co.signal) {
            onAbort = () => {
              reject(new QmsError(TransportErrorCode.ABORTED, 'connect aborted', { cause: co.signal?.reason }))
              conn.destroy()
            }
            if (co.signal.aborted) onAbort()
            else co.signal.addEventListener('abort', onAbort, { once: true })
          }
        }),
      ])
    } finally {
      clearTimeout(timer)
      if (onAbort) co.signal?.removeEventListener('abort', onAbort)
    }
    return conn
  }

  private async resolve(hostname: string): Promise<string> {
    try {
      const family = isIP(this.local.host) === 6 ? 6 : 4
      return (await lookup(hostname, { family })).address
    } catch (e) {
      throw new QmsError(TransportErrorCode.INVALID_ARGUMENT, `cannot resolve ${hostname}`, { cause: e })
    }
  }

  // ---- receiving ----

  private onPacket(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    this.counters.packetsReceived++
    let conn: QuicConnectionImpl | undefined
    if (msg.length > CID_LEN && (msg[0] as number) & 0x80) {
      conn = this.routeLongHeader(msg, rinfo)
    } else if (msg.length > CID_LEN) {
      conn = this.byCid.get(msg.toString('latin1', 1, 1 + CID_LEN))
    }
    if (conn === undefined) {
      this.counters.badPacketsDropped++
      return
    }
    const r = conn.remoteAddress
    if (r.port !== rinfo.port || r.host !== rinfo.address) {
      // Migration is disabled: a known connection id from another address is spoofed (or a NAT rebinding we do
      // not follow). Dropping it keeps an attacker from steering the connection.
      this.counters.badPacketsDropped++
      return
    }
    if (!conn.receive(msg)) this.counters.badPacketsDropped++
    if (!conn.processQueued) {
      conn.processQueued = true
      this.pending.push(conn)
      if (!this.processScheduled) {
        this.processScheduled = true
        setImmediate(this.processAll)
        // Queue the flush right behind it: what the application writes in reaction (in the microtasks that run
        // after processAll) leaves in this same event-loop turn instead of the next one.
        if (!this.flushScheduled) {
          this.flushScheduled = true
          setImmediate(this.flushAll)
        }
      }
    }
  }

  /** Surfaces what a batch of datagrams made available, once per connection (replies are flushed after). */
  private readonly processAll = (): void => {
    this.processScheduled = false
    const list = this.pending
    this.pending = []
    for (const conn of list) {
      conn.processQueued = false
      conn.afterEngineEvent()
    }
  }

  private routeLongHeader(msg: Buffer, rinfo: dgram.RemoteInfo): QuicConnectionImpl | undefined {
    const hdr = this.engine.parseHeader(msg, CID_LEN)
    if (hdr === null) return undefined
    const existing = this.byCid.get(Buffer.from(hdr.dcid).toString('latin1'))
    if (existing) return existing
    if (hdr.type !== PacketType.Initial || !this.options.accept || this.closing) return undefined
    if (msg.length < MIN_INITIAL_SIZE) return undefined
    if (!this.engine.versionIsSupported(hdr.version)) {
      this.sendVersionNegotiation(hdr, rinfo)
      return undefined
    }
    return this.acceptInitial(hdr, rinfo)
  }

  private sendVersionNegotiation(hdr: EngineHeader, rinfo: dgram.RemoteInfo): void {
    const out = this.scratch
    const len = this.engine.negotiateVersion(hdr.scid, hdr.dcid, out)
    this.socket.send(Buffer.from(out.subarray(0, len)), rinfo.port, rinfo.address)
    this.counters.versionNegotiationsSent++
  }

  private acceptInitial(hdr: EngineHeader, rinfo: dgram.RemoteInfo): QuicConnectionImpl | undefined {
    const remote = { host: rinfo.address, port: rinfo.port }
    let scid: Buffer
    let odcid: Uint8Array | null = null
    if (this.options.retry) {
      if (!hdr.token || hdr.token.length === 0) {
        const newScid = randomBytes(CID_LEN)
        const token = this.retryTokens.mint(remote, hdr.dcid)
        const out = this.scratch
        const len = this.engine.retry(hdr.scid, hdr.dcid, newScid, token, hdr.version, out)
        this.socket.send(Buffer.from(out.subarray(0, len)), rinfo.port, rinfo.address)
        this.counters.retriesSent++
        return undefined
      }
      odcid = this.retryTokens.validate(hdr.token, remote)
      if (odcid === null || hdr.dcid.length !== CID_LEN) return undefined
      scid = Buffer.from(hdr.dcid)
    } else {
      scid = randomBytes(CID_LEN)
    }

    const ipCount = this.perIp.get(remote.host) ?? 0
    const refuse = this.acceptedActive >= this.options.maxConnections || ipCount >= this.options.maxConnectionsPerIp
    const config = this.serverConfig(isLoopback(remote.host))
    let engineConn: ReturnType<Engine['accept']>
    try {
      engineConn = this.engine.accept(scid, odcid, this.local, remote, config)
    } catch (e) {
      if (log.enabled) log(`accept failed: ${(e as Error).message}`)
      return undefined
    }
    const conn = new QuicConnectionImpl(
      this,
      engineConn,
      `e${this.id}s${++this.connCounter}`,
      'server',
      remote,
      { from: remote, to: this.local },
      this.serverChecks,
    )
    const keys = [scid.toString('latin1')]
    const dcidKey = Buffer.from(hdr.dcid).toString('latin1')
    if (dcidKey !== keys[0]) keys.push(dcidKey)
    for (const k of keys) {
      this.byCid.set(k, conn)
      conn.cidKeys.push(k)
    }
    this.connections.add(conn)
    if (refuse) {
      // Answer with CONNECTION_REFUSED rather than silence so the client fails fast with a clear error. The close
      // waits for the handshake: quiche would send it at the Handshake level, which a client can't read earlier.
      this.refused.add(conn)
      conn.refuseAfterHandshake = true
      this.counters.connectionsRejected++
    } else {
      this.acceptedActive++
      this.perIp.set(remote.host, ipCount + 1)
    }
    return conn
  }

  // ---- ConnectionHost ----

  onServerReady(conn: QuicConnectionImpl): void {
    if (this.refused.has(conn)) return
    this.counters.connectionsAccepted++
    if (!this.incomingConnections.push(conn)) void conn.close(0, 'endpoint is not accepting')
  }

  onFinalized(conn: QuicConnectionImpl): void {
    for (const k of conn.cidKeys) if (this.byCid.get(k) === conn) this.byCid.delete(k)
    if (!this.connections.delete(conn)) return
    if (conn.role === 'server' && !this.refused.has(conn) && !conn.isReady) this.counters.handshakesFailed++
    if (conn.role === 'server' && !this.refused.has(conn)) {
      this.acceptedActive--
      const n = (this.perIp.get(conn.remoteAddress.host) ?? 1) - 1
      if (n <= 0) this.perIp.delete(conn.remoteAddress.host)
      else this.perIp.set(conn.remoteAddress.host, n)
    }
    if (this.connections.size === 0) this.drained?.()
  }

  onSessionTicket(conn: QuicConnectionImpl, ticket: Uint8Array): void {
    const key = this.ticketKeys.get(conn)
    if (!key) return
    if (this.tickets.size >= MAX_TICKETS && !this.tickets.has(key)) {
      const oldest = this.tickets.keys().next().value
      if (oldest !== undefined) this.tickets.delete(oldest)
    }
    this.tickets.set(key, ticket)
  }

  copyOut(n: number): Uint8Array {
    if (this.readSlabOffset + n > READ_SLAB_SIZE) {
      this.readSlab = Buffer.allocUnsafe(READ_SLAB_SIZE)
      this.readSlabOffset = 0
    }
    const off = this.readSlabOffset
    this.scratch.copy(this.readSlab, off, 0, n)
    this.readSlabOffset = off + n
    return this.readSlab.subarray(off, off + n)
  }

  sendNow(conn: QuicConnectionImpl): void {
    if (!conn.isFinalized && this.drainEngine(conn)) this.markDirty(conn)
  }

  markDirty(conn: QuicConnectionImpl): void {
    if (conn.flushQueued || conn.isFinalized) return
    conn.flushQueued = true
    this.dirty.push(conn)
    if (!this.flushScheduled) {
      this.flushScheduled = true
      setImmediate(this.flushAll)
    }
  }

  // ---- sending ----

  private readonly flushAll = (): void => {
    this.flushScheduled = false
    const list = this.dirty
    this.dirty = []
    for (const conn of list) {
      conn.flushQueued = false
      this.flushConn(conn)
    }
  }

  private flushConn(conn: QuicConnectionImpl): void {
    if (conn.isFinalized) return
    const more = this.drainEngine(conn)
    if (!conn.handshakeSent && conn.engine.isEstablished()) conn.handshakeSent = true
    if (conn.applyDeferredClose()) this.drainEngine(conn)
    // Out of budget with more to send: continue on the next turn, after incoming packets had their chance. A
    // closing connection never gets more than its budget (an engine that keeps producing close packets must not spin).
    if (more && conn.isOpen) this.markDirty(conn)
    conn.updateTimer()
    if (conn.engine.isClosed()) conn.afterEngineEvent()
  }

  /** Sends what the engine has ready for this connection, within the flush budget; true when the budget ran out. */
  private drainEngine(conn: QuicConnectionImpl): boolean {
    const engine = conn.engine
    const { port, host } = conn.remoteAddress
    const maxPacket = 65535
    let bytes = 0
    for (let packets = 0; packets < MAX_FLUSH_PACKETS && bytes < MAX_FLUSH_BYTES; packets++) {
      if (this.slabOffset + maxPacket > SLAB_SIZE) {
        this.slab = Buffer.allocUnsafe(SLAB_SIZE)
        this.slabOffset = 0
      }
      let r: [number, unknown] | null
      try {
        r = engine.send(this.slab.subarray(this.slabOffset, this.slabOffset + maxPacket))
      } catch (e) {
        if ((e as Error).message !== 'Done' && log.enabled) log(`${conn.id} send failed: ${(e as Error).message}`)
        return false
      }
      if (r === null) return false
      const len = r[0]
      this.socket.send(this.slab, this.slabOffset, len, port, host)
      this.slabOffset += len
      bytes += len
      this.counters.packetsSent++
    }
    return true
  }

  private sendKeepAlives(): void {
    const idleFor = this.options.keepAliveMs
    const now = Date.now()
    for (const conn of this.connections) {
      if (conn.isOpen && conn.isReady && now - conn.lastActivity >= idleFor) {
        conn.engine.sendAckEliciting()
        conn.lastActivity = now
        this.markDirty(conn)
      }
    }
  }

  // ---- shutdown ----

  close(options: { code?: number; reason?: string; timeoutMs?: number } = {}): Promise<void> {
    if (this.closing) return this.closing
    this.closing = (async () => {
      this.incomingConnections.end()
      if (this.keepAlive) clearInterval(this.keepAlive)
      const drained = new Promise<void>((resolve) => {
        this.drained = resolve
      })
      for (const conn of this.connections) void conn.close(options.code ?? 0, options.reason ?? 'endpoint closing')
      if (this.connections.size > 0) {
        let timer: NodeJS.Timeout | undefined
        await Promise.race([drained, new Promise<void>((r) => (timer = setTimeout(r, options.timeoutMs ?? 2_000)))])
        clearTimeout(timer)
      }
      for (const conn of [...this.connections]) conn.destroy()
      this.flushAll()
      await new Promise<void>((resolve) => this.socket.close(() => resolve()))
    })()
    return this.closing
  }
}

/**
 * Every send names its destination by IP literal (we resolve names once, in connect). Node would still run each
 * send through dns.lookup and a nextTick; answering literals synchronously takes that off the per-packet path.
 */
function literalLookup(
  address: string,
  family: unknown,
  callback: (err: NodeJS.ErrnoException | null, address: string, family: number) => void,
): void {
  const kind = isIP(address)
  if (kind !== 0) {
    callback(null, address, kind)
    return
  }
  dnsLookup(address, { family: family === 6 || family === 'IPv6' ? 6 : 4 }, (err, resolved, fam) =>
    callback(err, resolved, fam),
  )
}

function policyKey(p: TlsOptions): string {
  if (p.insecure) return 'insecure'
  const ca = p.ca === undefined ? '' : createHash('sha256').update(p.ca).digest('hex')
  return `${ca}|${[...(p.pinSha256 ?? [])].map(normalizePin).sort().join(',')}`
}

function pickVerify(tls: TlsOptions): TlsOptions {
  const out: TlsOptions = {}
  if (tls.ca !== undefined) out.ca = tls.ca
  if (tls.pinSha256 !== undefined) out.pinSha256 = tls.pinSha256
  if (tls.insecure !== undefined) out.insecure = tls.insecure
  return out
}
