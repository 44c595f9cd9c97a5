import { createHash } from 'node:crypto'
import { createLogger, Priority, priorityToUrgency, QmsError } from '@quic-multistream/protocol'
import { AsyncQueue } from './async-queue.js'
import type { EngineConnection, EngineRecvInfo } from './engine.js'
import { codeForQuicError, LocalCloseCode, TransportErrorCode } from './errors.js'
import { QuicStreamImpl, READ_HIGH_WATER, type StreamHost } from './stream.js'
import type { CloseInfo, ConnectionStats, QuicConnection, QuicStream, SocketAddress, StreamOptions } from './types.js'

const log = createLogger('qms:transport:conn')
const textDecoder = new TextDecoder()
const textEncoder = new TextEncoder()

/** What a connection needs from its endpoint. */
export interface ConnectionHost {
  /** Schedule this connection's outgoing packets for the next flush. */
  markDirty(conn: QuicConnectionImpl): void
  /** Sends what the engine has ready for this connection now, not at the next flush. */
  sendNow(conn: QuicConnectionImpl): void
  /** Copies `n` bytes out of the scratch buffer into memory the caller may keep. */
  copyOut(n: number): Uint8Array
  /** Shared scratch buffer for reads (valid only during a synchronous call). */
  readonly scratch: Buffer
  /** Handshake finished (or 0-RTT began) on an accepted connection. */
  onServerReady(conn: QuicConnectionImpl): void
  /** Engine state is fully closed: forget the connection. */
  onFinalized(conn: QuicConnectionImpl): void
  /** Session ticket for future 0-RTT resumption of a client connection. */
  onSessionTicket(conn: QuicConnectionImpl, ticket: Uint8Array): void
}

/** Verification the driver does itself after the handshake (the engine verifies chains, not pins). */
export interface PostHandshakeChecks {
  pins?: Set<string>
  requireClientCert?: boolean
}

type OpenWaiter = {
  bidi: boolean
  options: StreamOptions | undefined
  resolve: (s: QuicStream) => void
  reject: (e: unknown) => void
  onAbort?: () => void
}

const DATAGRAM_QUEUE = 4096
/** Up to this many open streams, readable data is found by probing streams instead of asking for the engine's list. */
const PROBE_LIMIT = 16

/**
 * One QUIC connection: owns the engine connection, the stream objects and the connection's timer. All engine
 * calls happen synchronously from the packet handler, user calls, or the timer; sending is batched by the endpoint.
 */
export class QuicConnectionImpl implements QuicConnection, StreamHost {
  readonly incomingStreams: AsyncQueue<QuicStream> = new AsyncQueue()
  readonly incomingDatagrams: AsyncQueue<Uint8Array> = new AsyncQueue(DATAGRAM_QUEUE)
  readonly closed: Promise<CloseInfo>
  private resolveClosed!: (info: CloseInfo) => void
  private closeInfo: CloseInfo | undefined

  private readonly streams = new Map<number, QuicStreamImpl>()
  private nextLocalBidi: number
  private nextLocalUni: number
  private nextRemoteBidi: number
  private nextRemoteUni: number
  private readonly blockedWriters = new Set<QuicStreamImpl>()
  private readonly pausedReaders = new Set<QuicStreamImpl>()
  private openWaiters: OpenWaiter[] = []

  private ready = false
  private verified = false
  private readyResolvers: { resolve: () => void; reject: (e: unknown) => void } | null = null
  private haveTicket = false
  private sawEarlyData = false
  private handshakeDone = false
  private finalized = false
  /** Set on connections over a limit: they are closed with CONNECTION_REFUSED once the client can read it. */
  refuseAfterHandshake = false
  private deferredClose: { app: boolean; code: number; reason: string } | undefined
  private deferredCloseTimer: NodeJS.Timeout | undefined
  private timer: NodeJS.Timeout | undefined
  private timerDeadline = 0
  lastActivity = Date.now()
  /** Connection ids this connection is indexed under at the endpoint. */
  readonly cidKeys: string[] = []

  private counters = {
    streamsOpened: 0,
    streamsClosed: 0,
    datagramsSent: 0,
    datagramsReceived: 0,
    datagramsDropped: 0,
  }

  constructor(
    private readonly host: ConnectionHost,
    readonly engine: EngineConnection,
    readonly id: string,
    readonly role: 'client' | 'server',
    readonly remoteAddress: SocketAddress,
    readonly recvInfo: EngineRecvInfo,
    private readonly checks: PostHandshakeChecks,
  ) {
    const client = role === 'client'
    this.nextLocalBidi = client ? 0 : 1
    this.nextLocalUni = client ? 2 : 3
    this.nextRemoteBidi = client ? 1 : 0
    this.nextRemoteUni = client ? 3 : 2
    this.closed = new Promise((r) => {
      this.resolveClosed = r
    })
  }

  // ---- public API ----

  get alpn(): string {
    return textDecoder.decode(this.engine.applicationProto())
  }

  get peerCertificate(): Uint8Array | undefined {
    const chain = this.engine.peerCertChain()
    return chain?.[0]
  }

  get resumed(): boolean {
    return this.engine.isResumed()
  }

  get earlyData(): boolean {
    return this.sawEarlyData
  }

  get maxDatagramSize(): number {
    if (this.closeInfo) return 0
    return this.engine.dgramMaxWritableLen() ?? 0
  }

  get isOpen(): boolean {
    return this.closeInfo === undefined
  }

  get isReady(): boolean {
    return this.ready
  }

  openBidi(options?: StreamOptions): Promise<QuicStream> {
    return this.open(true, options)
  }

  openUni(options?: StreamOptions): Promise<QuicStream> {
    return this.open(false, options)
  }

  private open(bidi: boolean, options: StreamOptions | undefined): Promise<QuicStream> {
    if (this.closeInfo) return Promise.reject(this.closedError())
    if (options?.signal?.aborted) return Promise.reject(abortError(options.signal))
    if (this.openWaiters.length === 0) {
      const s = this.tryOpen(bidi, options)
      if (s) return Promise.resolve(s)
    }
    return new Promise((resolve, reject) => {
      const waiter: OpenWaiter = { bidi, options, resolve, reject }
      const signal = options?.signal
      if (signal) {
        waiter.onAbort = () => {
          this.openWaiters = this.openWaiters.filter((w) => w !== waiter)
          reject(abortError(signal))
        }
        signal.addEventListener('abort', waiter.onAbort, { once: true })
      }
      this.openWaiters.push(waiter)
    })
  }

  /** Creates the stream in the engine if the peer's stream limit allows; null when out of credit. */
  private tryOpen(bidi: boolean, options: StreamOptions | undefined): QuicStreamImpl | null {
    const left = bidi ? this.engine.peerStreamsLeftBidi() : this.engine.peerStreamsLeftUni()
    if (left <= 0) return null
    const id = bidi ? this.nextLocalBidi : this.nextLocalUni
    const priority = options?.priority ?? Priority.NORMAL
    const incremental = options?.incremental ?? false
    try {
      // Setting the priority creates the stream inside the engine, which is what consumes stream credit.
      this.engine.streamPriority(id, priorityToUrgency(priority), incremental)
    } catch (e) {
      if (String((e as Error).message).startsWith('StreamLimit')) return null
      throw e
    }
    if (bidi) this.nextLocalBidi += 4
    else this.nextLocalUni += 4
    const s = new QuicStreamImpl(this, id, 'local', priority, incremental)
    this.streams.set(id, s)
    this.counters.streamsOpened++
    return s
  }

  sendDatagram(data: Uint8Array): void {
    if (this.closeInfo) throw this.closedError()
    const max = this.engine.dgramMaxWritableLen()
    if (max === null) {
      throw new QmsError(TransportErrorCode.DATAGRAMS_DISABLED, 'the peer does not accept datagrams (yet)', {
        details: { size: data.length },
      })
    }
    if (data.length > max) {
      throw new QmsError(TransportErrorCode.DATAGRAM_TOO_LARGE, `datagram of ${data.length} bytes exceeds ${max}`, {
        details: { size: data.length, max },
      })
    }
    // A full send queue drops the datagram (the engine answers null or throws): unreliable by contract, but counted.
    let queued: boolean
    try {
      queued = this.engine.dgramSend(data) !== null
    } catch (e) {
      queued = false
      if (log.enabled) log(`${this.id} datagram dropped: ${(e as Error).message}`)
    }
    if (queued) this.counters.datagramsSent++
    else this.counters.datagramsDropped++
    this.host.markDirty(this)
  }

  close(code = 0, reason = ''): Promise<void> {
    if (!this.closeInfo) {
      if (this.role === 'client' && !this.handshakeSent && !this.engine.isClosed()) {
        // A client whose handshake reply has not gone out yet (typically 0-RTT): quiche would drop the connection
        // without a CONNECTION_CLOSE the server can read, leaving the server to time out. Close for real once our
        // Finished is sent.
        this.deferredClose = { app: true, code, reason }
        this.deferredCloseTimer = setTimeout(() => this.destroy(), 5_000)
        this.deferredCloseTimer.unref()
      } else {
        this.engineClose(code, reason)
      }
      this.markClosed({ code, reason, remote: false, app: true })
      this.host.markDirty(this)
    }
    return this.closed.then(() => undefined)
  }

  /**
   * Applies a deferred close once the handshake is done and our handshake reply has been sent (quiche sends nothing
   * at all if asked to close before its Finished went out). Returns true when it produced packets to send.
   */
  applyDeferredClose(): boolean {
    if (!this.deferredClose || !this.handshakeSent) return false
    this.engineClose(this.deferredClose.code, this.deferredClose.reason, this.deferredClose.app)
    this.deferredClose = undefined
    clearTimeout(this.deferredCloseTimer)
    return true
  }

  /**
   * Closes the engine and sends the close at once. quiche 0.18 carries an application close only in a 1-RTT packet,
   * yet while closing it still picks an Initial or Handshake packet first whenever that space owes something (its
   * handshake flight, an ACK, a retransmission probe) and then fills it with nothing but, at most, an ACK; and it
   * drops every packet received after `close()`, so a late HANDSHAKE_DONE cannot clear the way. The close would never
   * leave: a server closing before its flight went out sent nothing, and a client whose probe timer fired between
   * `close()` and the next flush sent ACKs forever. So: settle what the handshake spaces owe under the normal rules,
   * close, and send the close in the same synchronous step, before any timer can queue another probe. A server drops
   * those spaces when its handshake completes; a client cannot tell when that happened at the server, so it always
   * settles first.
   */
  private engineClose(code: number, reason: string, app = true): void {
    if (this.role === 'client' || !this.engine.isEstablished()) this.host.sendNow(this)
    try {
      this.engine.close(app, code, textEncoder.encode(reason))
    } catch {
      // Already closing.
    }
    this.host.sendNow(this)
    if (log.enabled && !this.engine.isDraining() && !this.engine.isClosed()) log(`${this.id} close not sent yet`)
  }

  stats(): ConnectionStats {
    const s = this.engine.stats()
    const path = this.engine.pathStats()[0]
    return {
      packetsSent: s.sent,
      packetsReceived: s.recv,
      packetsLost: s.lost,
      retransmits: s.retrans,
      bytesSent: s.sentBytes,
      bytesReceived: s.recvBytes,
      bytesLost: s.lostBytes,
      rttMs: path ? path.rtt : 0,
      cwnd: path ? path.cwnd : 0,
      ...this.counters,
    }
  }

  /** Resolves when the handshake completes (or 0-RTT can be used); rejects if the connection dies first. */
  whenReady(): Promise<void> {
    if (this.ready) return Promise.resolve()
    if (this.closeInfo) return Promise.reject(this.closeInfo.error ?? this.closedError())
    return new Promise((resolve, reject) => {
      this.readyResolvers = { resolve, reject }
    })
  }

  // ---- engine driving (called by the endpoint) ----

  /**
   * Feeds one datagram to the engine. What it made available is surfaced later by {@link afterEngineEvent}, once per
   * batch of datagrams: several packets usually arrive together, and surfacing costs more than decrypting.
   */
  receive(packet: Uint8Array): boolean {
    if (this.finalized) return false
    try {
      this.engine.recv(packet, this.recvInfo)
    } catch (e) {
      if (log.enabled) log(`${this.id} recv rejected a packet: ${(e as Error).message}`)
      return false
    }
    this.lastActivity = Date.now()
    // Early data is judged on arrival: by the time the batch is surfaced the handshake may have completed.
    if (!this.handshakeDone) {
      if (this.engine.isInEarlyData() && this.engine.isReadable()) this.sawEarlyData = true
      this.handshakeDone = this.engine.isEstablished()
    }
    return true
  }

  /** The endpoint queued this connection for {@link afterEngineEvent}. */
  processQueued = false
  /** The endpoint queued this connection for a flush. */
  flushQueued = false
  /** Our side of the handshake has been sent (a close before that would be silently dropped by the engine). */
  handshakeSent = false

  /** Called after any engine input (packet, timer): surface data, state changes, credit. */
  afterEngineEvent(): void {
    if (this.finalized) return
    const engine = this.engine
    if (this.refuseAfterHandshake && engine.isEstablished()) {
      this.refuseAfterHandshake = false
      this.closeWithError(TransportErrorCode.LIMIT_CONNECTIONS, LocalCloseCode.CONNECTION_REFUSED, 'connection limit')
    }
    if (!this.ready && (engine.isEstablished() || engine.isInEarlyData())) this.becomeReady()
    else if (this.ready && !this.verified && !this.closeInfo && engine.isEstablished()) this.verifyPeer()
    if (this.ready && !this.closeInfo) {
      // The engine's readable flag covers datagrams too: when nothing is readable, neither list is asked for.
      if (this.processReadable()) this.processDatagrams()
      if (this.blockedWriters.size > 0) this.processWritable()
      if (this.openWaiters.length > 0) this.processOpenWaiters()
      if (this.role === 'client' && !this.haveTicket && engine.isEstablished()) this.captureTicket()
    }
    const closed = engine.isClosed()
    if (!this.closeInfo && (closed || engine.isDraining())) this.markClosedFromEngine()
    if (closed) this.finalize()
    this.host.markDirty(this)
  }

  private becomeReady(): void {
    const engine = this.engine
    if (engine.isEstablished() && !this.verifyPeer()) return
    this.ready = true
    if (this.role === 'server') this.host.onServerReady(this)
    const r = this.readyResolvers
    this.readyResolvers = null
    r?.resolve()
  }

  /**
   * Runs our own checks once the handshake is complete; closes the connection and returns false when they fail.
   * A 0-RTT connection becomes usable before that, so this runs again when its handshake completes.
   */
  private verifyPeer(): boolean {
    this.verified = true
    const failure = this.postHandshakeFailure()
    if (!failure) return true
    this.closeWithError(failure.code, failure.quicCode, failure.message)
    return false
  }

  /** Pin and client-certificate checks the engine cannot do for us. */
  private postHandshakeFailure(): { code: string; quicCode: number; message: string } | null {
    const { pins, requireClientCert } = this.checks
    if (pins && pins.size > 0) {
      const leaf = this.engine.peerCertChain()?.[0]
      const hash = leaf ? createHash('sha256').update(leaf).digest('hex') : ''
      if (!pins.has(hash)) {
        return {
          code: TransportErrorCode.TLS_PIN_MISMATCH,
          quicCode: LocalCloseCode.BAD_CERTIFICATE,
          message: `peer certificate sha256 ${hash || '(none)'} matches no pinned hash`,
        }
      }
    }
    if (requireClientCert && !this.engine.peerCertChain()?.length) {
      return {
        code: TransportErrorCode.TLS_CERT_REQUIRED,
        quicCode: LocalCloseCode.CERTIFICATE_REQUIRED,
        message: 'client certificate required',
      }
    }
    return null
  }

  /** Closes with a transport-level error we detected; `closed` carries a QmsError with `code`. */
  closeWithError(code: string, quicCode: number, message: string): void {
    if (this.closeInfo) return
    if (this.role === 'client' && !this.handshakeSent && !this.engine.isClosed()) {
      // Same reason as in close(): the server could not read a close sent before our handshake reply.
      this.deferredClose = { app: false, code: quicCode, reason: message }
      this.deferredCloseTimer = setTimeout(() => this.destroy(), 5_000)
      this.deferredCloseTimer.unref()
    } else {
      this.engineClose(quicCode, message, false)
    }
    const error = new QmsError(code, message, { details: { quicCode } })
    this.markClosed({ code: quicCode, reason: message, remote: false, app: false, error })
    this.host.markDirty(this)
  }

  private captureTicket(): void {
    const ticket = this.engine.session()
    if (ticket && ticket.length > 0) {
      this.haveTicket = true
      this.host.onSessionTicket(this, ticket)
    }
  }

  /** Surfaces readable stream data; false when the engine has nothing readable left (no datagrams either). */
  private processReadable(): boolean {
    const engine = this.engine
    // The engine's readable() list costs ~15 us per call even when empty, more than decrypting a packet; probing a
    // few candidate streams costs ~0.25 us each. Probe first, and list only when something readable is left over
    // (a new stream that arrived out of order, a paused reader, many streams).
    if (!engine.isReadable()) return false
    if (this.streams.size <= PROBE_LIMIT) {
      for (const s of this.streams.values()) {
        if (s.canRead && !s.readPaused && !s.isReadDone && engine.streamReadable(s.id)) this.pull(s)
      }
      if (engine.streamReadable(this.nextRemoteBidi)) this.pullNew(this.nextRemoteBidi)
      if (engine.streamReadable(this.nextRemoteUni)) this.pullNew(this.nextRemoteUni)
      if (!engine.isReadable()) return false
    }
    this.processReadableList()
    return true
  }

  /** Data on the next stream the peer may open: the stream is new. */
  private pullNew(id: number): void {
    const s = this.remoteStream(id)
    if (s) this.pull(s)
  }

  private processReadableList(): void {
    for (const id of this.engine.readable()) {
      let s = this.streams.get(id)
      if (s === undefined) {
        s = this.remoteStream(id)
        if (s === undefined) {
          this.discardStream(id)
          continue
        }
      }
      if (!s.readPaused) this.pull(s)
    }
  }

  /** Streams the peer opened arrive here the first time they have data; lower ids are implicitly opened too. */
  private remoteStream(id: number): QuicStreamImpl | undefined {
    const isLocal = (id & 0x1) === (this.role === 'client' ? 0 : 1)
    if (isLocal) return undefined
    const bidi = (id & 0x2) === 0
    let next = bidi ? this.nextRemoteBidi : this.nextRemoteUni
    if (id < next) return undefined
    let s: QuicStreamImpl | undefined
    for (; next <= id; next += 4) {
      s = new QuicStreamImpl(this, next, 'remote', Priority.NORMAL, false)
      this.streams.set(next, s)
      this.counters.streamsOpened++
      this.incomingStreams.push(s)
    }
    if (bidi) this.nextRemoteBidi = next
    else this.nextRemoteUni = next
    return s
  }

  /** Data for a stream we already finished with (or never knew): read and drop it so the engine can move on. */
  private discardStream(id: number): void {
    const buf = this.host.scratch
    try {
      while (this.engine.streamRecv(id, buf) !== null) {
        // Drop.
      }
    } catch {
      // Reset or invalid: nothing to drain.
    }
  }

  /** Moves readable bytes of one stream from the engine into the stream, up to the read high-water mark. */
  private pull(s: QuicStreamImpl): void {
    const buf = this.host.scratch
    const engine = this.engine
    while (s.bufferedRead < READ_HIGH_WATER) {
      let r: [number, boolean] | null
      try {
        r = engine.streamRecv(s.id, buf)
      } catch (e) {
        const m = /^StreamReset\((\d+)\)/.exec((e as Error).message)
        if (m) s.onReset(Number(m[1]))
        else s.onReset(0)
        return
      }
      if (r === null) return
      const n = r[0]
      if (n > 0) s.onData(this.host.copyOut(n))
      if (r[1]) {
        s.onFin()
        return
      }
      // The engine fills the buffer while it has contiguous data: a short read means the next one would find none.
      if (n < buf.length) return
    }
    if (!s.isReadDone) {
      s.readPaused = true
      this.pausedReaders.add(s)
    }
  }

  private processDatagrams(): void {
    const buf = this.host.scratch
    for (;;) {
      let n: number | null
      try {
        n = this.engine.dgramRecv(buf)
      } catch {
        return
      }
      if (n === null) return
      this.counters.datagramsReceived++
      if (!this.incomingDatagrams.push(this.host.copyOut(n))) this.counters.datagramsDropped++
    }
  }

  private processWritable(): void {
    if (this.blockedWriters.size > 16) {
      // Many blocked writers: ask the engine which streams have room instead of retrying each one.
      for (const id of this.engine.writable()) {
        const s = this.streams.get(id)
        if (s && this.blockedWriters.has(s) && s.drainWrites()) this.blockedWriters.delete(s)
      }
      return
    }
    for (const s of this.blockedWriters) if (s.drainWrites()) this.blockedWriters.delete(s)
  }

  private processOpenWaiters(): void {
    while (this.openWaiters.length > 0) {
      const w = this.openWaiters[0] as OpenWaiter
      const s = this.tryOpen(w.bidi, w.options)
      if (!s) return
      this.openWaiters.shift()
      if (w.onAbort) w.options?.signal?.removeEventListener('abort', w.onAbort)
      w.resolve(s)
    }
  }

  /** Timer expiry from the engine's `timeout()`. */
  onTimer(): void {
    this.timer = undefined
    if (this.finalized) return
    const now = performance.now()
    if (now + 0.5 < this.timerDeadline) {
      this.armTimer(this.timerDeadline - now)
      return
    }
    this.engine.onTimeout()
    this.afterEngineEvent()
  }

  /** Re-arms the single timer from the engine's next deadline (called after each flush). */
  updateTimer(): void {
    if (this.finalized) return
    const t = this.engine.timeout()
    if (t === null) {
      if (this.timer) clearTimeout(this.timer)
      this.timer = undefined
      return
    }
    const deadline = performance.now() + t
    // Keep an earlier timer armed (it re-arms itself on wake-up); only pull it forward.
    if (this.timer && this.timerDeadline <= deadline + 0.5) {
      this.timerDeadline = deadline
      return
    }
    this.timerDeadline = deadline
    this.armTimer(t)
  }

  private armTimer(ms: number): void {
    if (this.timer) clearTimeout(this.timer)
    this.timer = setTimeout(() => this.onTimer(), Math.max(0, ms))
    this.timer.unref()
  }

  // ---- StreamHost ----

  streamSend(stream: QuicStreamImpl, data: Uint8Array, fin: boolean): number {
    if (this.closeInfo) throw this.closedError()
    let n: number | null
    try {
      n = this.engine.streamSend(stream.id, data, fin)
    } catch (e) {
      const msg = (e as Error).message
      if (msg === 'Done') return 0
      const stopped = /^StreamStopped\((\d+)\)/.exec(msg)
      if (stopped) {
        throw new QmsError(TransportErrorCode.STREAM_STOPPED, `peer stopped reading stream ${stream.id}`, {
          details: { code: Number(stopped[1]), streamId: stream.id },
        })
      }
      throw new QmsError(TransportErrorCode.STREAM_STATE, `stream ${stream.id} cannot send: ${msg}`, {
        cause: e,
        details: { streamId: stream.id },
      })
    }
    if (n !== null && n > 0 && this.role === 'client' && !this.sawEarlyData && !this.handshakeDone) {
      // Stream bytes accepted before the handshake completed can only travel in 0-RTT packets.
      this.handshakeDone = this.engine.isEstablished()
      if (!this.handshakeDone && this.engine.isInEarlyData()) this.sawEarlyData = true
    }
    // quiche 0.18 collects a stream once every byte it sent is acknowledged and both directions are finished,
    // whether or not the FIN has left. An empty FIN written after the last data went out is therefore lost if the
    // ACK of that data is read before the next flush (the peer then waits forever): send it before reading again.
    // (When congestion control holds the FIN back, that ACK can still win; quiche offers no way to prevent it.)
    if (fin && data.length === 0) this.host.sendNow(this)
    this.host.markDirty(this)
    return n ?? 0
  }

  streamShutdown(stream: QuicStreamImpl, direction: 'read' | 'write', code: number): void {
    if (this.closeInfo) return
    this.engine.streamShutdown(stream.id, direction === 'read' ? 0 : 1, code)
    this.host.markDirty(this)
  }

  streamPriority(stream: QuicStreamImpl, priority: number, incremental: boolean): void {
    if (this.closeInfo) return
    try {
      this.engine.streamPriority(stream.id, priorityToUrgency(priority), incremental)
    } catch {
      // The stream is already complete in the engine; priority no longer matters.
    }
  }

  resumeRead(stream: QuicStreamImpl): void {
    stream.readPaused = false
    this.pausedReaders.delete(stream)
    if (this.closeInfo) return
    this.pull(stream)
    this.host.markDirty(this)
  }

  blockWriter(stream: QuicStreamImpl): void {
    this.blockedWriters.add(stream)
  }

  streamFinished(stream: QuicStreamImpl): void {
    if (this.streams.get(stream.id) === stream) {
      this.streams.delete(stream.id)
      this.counters.streamsClosed++
    }
    this.blockedWriters.delete(stream)
    this.pausedReaders.delete(stream)
  }

  // ---- closing ----

  private closedError(): QmsError {
    const info = this.closeInfo
    if (info?.error instanceof QmsError) return info.error
    return new QmsError(TransportErrorCode.CONNECTION_CLOSED, `connection ${this.id} is closed`, {
      details: info ? { code: info.code, reason: info.reason, remote: info.remote } : {},
    })
  }

  private markClosedFromEngine(): void {
    const peer = this.engine.peerError()
    const local = this.engine.localError()
    if (peer) {
      const reason = textDecoder.decode(peer.reason)
      const code = codeForQuicError(peer.isApp, peer.errorCode)
      const error =
        peer.isApp && peer.errorCode === 0
          ? undefined
          : new QmsError(code, `peer closed the connection: ${reason || `code ${peer.errorCode}`}`, {
              details: { quicCode: peer.errorCode, app: peer.isApp, reason },
            })
      this.markClosed({ code: peer.errorCode, reason, remote: true, app: peer.isApp, error })
      return
    }
    if (this.engine.isTimedOut()) {
      const code = this.ready ? TransportErrorCode.IDLE_TIMEOUT : TransportErrorCode.CONNECT_TIMEOUT
      const error = new QmsError(code, this.ready ? 'connection idle timeout' : 'handshake timed out')
      this.markClosed({ code: 0, reason: 'idle timeout', remote: false, app: false, error })
      return
    }
    if (local) {
      const reason = textDecoder.decode(local.reason)
      const code = codeForQuicError(local.isApp, local.errorCode)
      const error = new QmsError(code, `connection closed: ${reason || `code ${local.errorCode}`}`, {
        details: { quicCode: local.errorCode, app: local.isApp, reason },
      })
      this.markClosed({ code: local.errorCode, reason, remote: false, app: local.isApp, error })
      return
    }
    this.markClosed({ code: 0, reason: '', remote: false, app: false })
  }

  private markClosed(info: CloseInfo): void {
    if (this.closeInfo) return
    this.closeInfo = info
    if (log.enabled) log(`${this.id} closed`, { code: info.code, reason: info.reason, remote: info.remote })
    const error = this.closedError()
    for (const s of this.streams.values()) s.onConnectionClosed(error)
    this.streams.clear()
    this.blockedWriters.clear()
    this.pausedReaders.clear()
    for (const w of this.openWaiters) w.reject(error)
    this.openWaiters = []
    this.incomingStreams.end()
    this.incomingDatagrams.end()
    const r = this.readyResolvers
    this.readyResolvers = null
    r?.reject(info.error ?? error)
    if (this.role === 'client' && !this.haveTicket && this.engine.isEstablished()) this.captureTicket()
    this.resolveClosed(info)
  }

  /** Forces the connection out immediately (endpoint shutdown deadline passed). */
  destroy(): void {
    if (!this.closeInfo) this.markClosed({ code: 0, reason: 'endpoint closed', remote: false, app: true })
    this.finalize()
  }

  private finalize(): void {
    if (this.finalized) return
    if (!this.closeInfo) this.markClosedFromEngine()
    this.finalized = true
    clearTimeout(this.deferredCloseTimer)
    if (this.timer) clearTimeout(this.timer)
    this.timer = undefined
    this.host.onFinalized(this)
  }

  get isFinalized(): boolean {
    return this.finalized
  }
}

function abortError(signal: AbortSignal): QmsError {
  return new QmsError(TransportErrorCode.ABORTED, 'aborted', { cause: signal.reason })
}
