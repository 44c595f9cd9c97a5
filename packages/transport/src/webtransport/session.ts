import { createLogger, isQmsError, QmsError } from '@quic-multistream/protocol'
import { AsyncQueue } from '../async-queue.js'
import { TransportErrorCode } from '../errors.js'
import type { CloseInfo, ConnectionStats, QuicConnection, QuicStream, SocketAddress, StreamOptions } from '../types.js'
import { H3Error, H3ProtocolError } from './errors.js'
import { CapsuleType, encodeFrame, FrameType, readFrame, StreamType, WT_BIDI_SIGNAL } from './h3-frames.js'
import type { HeaderList } from './qpack.js'
import type { StreamReader } from './stream-reader.js'
import { encodeVarints, readVarint } from './varint.js'
import { WtStream } from './wt-stream.js'

const log = createLogger('qms:webtransport:session')
const DATAGRAM_QUEUE = 4096
/** draft-ietf-webtrans-http3: the close reason is at most 1024 bytes. */
const MAX_REASON_BYTES = 1024
/** How long a closing side waits for the peer to finish the CONNECT stream before it gives up. */
const CLOSE_GRACE_MS = 1_000
const utf8 = new TextDecoder()
const utf8Encoder = new TextEncoder()
const DATA_ONLY: ReadonlySet<number> = new Set([FrameType.DATA])

/** A WebTransport session seen as a {@link QuicConnection}, plus what its CONNECT request carried. */
export interface WebTransportSession extends QuicConnection {
  /** Stream id of the CONNECT request that opened the session. */
  readonly sessionId: number
  /** Request path (with query) of the CONNECT. */
  readonly path: string
  /** Request headers (server side) or response headers (client side), as received. */
  readonly headers: ReadonlyArray<readonly [string, string]>
  /** The HTTP/3 QUIC connection carrying the session. */
  readonly connection: QuicConnection
}

/** What a session needs from the HTTP/3 connection that carries it. */
export interface SessionHost {
  readonly quic: QuicConnection
  sessionEnded(session: WtSession): void
}

/**
 * One WebTransport session: streams are QUIC streams prefixed with the session's stream header, datagrams carry the
 * quarter stream id, and the CONNECT stream carries capsules (CLOSE_WEBTRANSPORT_SESSION) until either side ends it.
 */
export class WtSession implements WebTransportSession {
  readonly incomingStreams = new AsyncQueue<QuicStream>()
  readonly incomingDatagrams = new AsyncQueue<Uint8Array>(DATAGRAM_QUEUE)
  readonly closed: Promise<CloseInfo>
  readonly id: string
  private resolveClosed!: (info: CloseInfo) => void
  private closeInfo: CloseInfo | undefined
  private closeError: QmsError | undefined
  private readonly streams = new Set<WtStream>()
  private readonly datagramPrefix: Uint8Array
  private readonly bidiHeader: Uint8Array
  private readonly uniHeader: Uint8Array
  private connectFinished = false
  private counters = {
    streamsOpened: 0,
    streamsClosed: 0,
    datagramsSent: 0,
    datagramsReceived: 0,
    datagramsDropped: 0,
  }

  constructor(
    private readonly host: SessionHost,
    readonly sessionId: number,
    private readonly connectStream: QuicStream,
    connectReader: StreamReader,
    readonly path: string,
    readonly headers: HeaderList,
  ) {
    this.id = `${host.quic.id}/wt${sessionId}`
    this.datagramPrefix = encodeVarints(sessionId / 4)
    this.bidiHeader = encodeVarints(WT_BIDI_SIGNAL, sessionId)
    this.uniHeader = encodeVarints(StreamType.WT_UNI, sessionId)
    this.closed = new Promise((r) => {
      this.resolveClosed = r
    })
    void this.readCapsules(connectReader)
    void host.quic.closed.then((info) => this.markClosed({ ...info }))
  }

  get connection(): QuicConnection {
    return this.host.quic
  }
  get role(): 'client' | 'server' {
    return this.host.quic.role
  }
  get remoteAddress(): SocketAddress {
    return this.host.quic.remoteAddress
  }
  get alpn(): string {
    return 'webtransport'
  }
  get peerCertificate(): Uint8Array | undefined {
    return this.host.quic.peerCertificate
  }
  get resumed(): boolean {
    return this.host.quic.resumed
  }
  get earlyData(): boolean {
    return this.host.quic.earlyData
  }
  get isOpen(): boolean {
    return this.closeInfo === undefined
  }
  get maxDatagramSize(): number {
    if (this.closeInfo) return 0
    return Math.max(0, this.host.quic.maxDatagramSize - this.datagramPrefix.length)
  }

  // ---- streams ----

  openBidi(options?: StreamOptions): Promise<QuicStream> {
    return this.open(true, options)
  }

  openUni(options?: StreamOptions): Promise<QuicStream> {
    return this.open(false, options)
  }

  private async open(bidi: boolean, options: StreamOptions | undefined): Promise<QuicStream> {
    if (this.closeError) throw this.closeError
    const inner = bidi ? await this.host.quic.openBidi(options) : await this.host.quic.openUni(options)
    const header = bidi ? this.bidiHeader : this.uniHeader
    if (this.closeError) {
      inner.reset(H3Error.WT_SESSION_GONE)
      throw this.closeError
    }
    // Queued ahead of anything the caller writes; a failure here surfaces on the caller's own writes.
    inner.write(header).catch(() => {})
    return this.track(new WtStream(inner, header.length))
  }

  /** A peer stream whose WebTransport header named this session. */
  adoptStream(inner: QuicStream, source: AsyncIterator<Uint8Array>, leftover: Uint8Array, headerLength: number): void {
    if (this.closeInfo) {
      inner.stopSending(H3Error.WT_SESSION_GONE)
      if (inner.direction === 'bidi') inner.reset(H3Error.WT_SESSION_GONE)
      return
    }
    const s = this.track(new WtStream(inner, headerLength, source, leftover))
    if (!this.incomingStreams.push(s)) s.sessionGone(this.closedError())
  }

  private track(s: WtStream): WtStream {
    this.streams.add(s)
    this.counters.streamsOpened++
    void s.inner.closed.then(() => {
      if (this.streams.delete(s)) this.counters.streamsClosed++
    })
    return s
  }

  // ---- datagrams ----

  sendDatagram(data: Uint8Array): void {
    if (this.closeError) throw this.closeError
    const max = this.maxDatagramSize
    if (data.length > max) {
      throw new QmsError(TransportErrorCode.DATAGRAM_TOO_LARGE, `datagram of ${data.length} bytes exceeds ${max}`, {
        details: { size: data.length, max },
      })
    }
    const out = new Uint8Array(this.datagramPrefix.length + data.length)
    out.set(this.datagramPrefix, 0)
    out.set(data, this.datagramPrefix.length)
    // The QUIC connection counts what its send queue drops; here we count what the session handed over.
    this.host.quic.sendDatagram(out)
    this.counters.datagramsSent++
  }

  /** A datagram whose quarter stream id named this session (prefix already removed). */
  onDatagram(payload: Uint8Array): void {
    if (this.closeInfo) return
    if (this.incomingDatagrams.push(payload)) this.counters.datagramsReceived++
    else this.counters.datagramsDropped++
  }

  // ---- closing ----

  close(code = 0, reason = ''): Promise<void> {
    if (!this.closeInfo) {
      let bytes = utf8Encoder.encode(reason)
      if (bytes.length > MAX_REASON_BYTES) bytes = bytes.subarray(0, MAX_REASON_BYTES)
      const payload = new Uint8Array(4 + bytes.length)
      new DataView(payload.buffer).setUint32(0, code >>> 0)
      payload.set(bytes, 4)
      // A capsule has a frame's layout: type, length, payload.
      const capsule = encodeFrame(CapsuleType.CLOSE_WEBTRANSPORT_SESSION, payload)
      this.finishConnect(capsule)
      this.markClosed({ code, reason, remote: false, app: true })
      // Like a native connection, the session is closed as soon as the close is queued; the client's QUIC
      // connection lingers until the peer saw the capsule, or closing it would discard the capsule unsent.
      if (this.role === 'client') void this.dropQuicAfterPeer()
    }
    return Promise.resolve()
  }

  /** Closes a client's QUIC connection once the peer finished the CONNECT stream too (or a grace period passed). */
  private async dropQuicAfterPeer(): Promise<void> {
    let timer: NodeJS.Timeout | undefined
    await Promise.race([
      this.connectStream.closed,
      this.host.quic.closed,
      new Promise<void>((r) => {
        timer = setTimeout(r, CLOSE_GRACE_MS)
        timer.unref()
      }),
    ])
    clearTimeout(timer)
    this.dropQuicIfClient()
  }

  private finishConnect(last?: Uint8Array): void {
    if (this.connectFinished) return
    this.connectFinished = true
    const data = last ? encodeFrame(FrameType.DATA, last) : undefined
    this.connectStream.end(data).catch(() => {})
  }

  /** Reads capsules from the CONNECT stream until it ends; the session ends with it. */
  private async readCapsules(reader: StreamReader): Promise<void> {
    const capsules = new CapsuleParser()
    try {
      for (;;) {
        const frame = await readFrame(reader, DATA_ONLY)
        if (frame === null) break
        if (frame.type !== FrameType.DATA) continue
        for (const c of capsules.push(frame.payload)) {
          if (c.type === CapsuleType.CLOSE_WEBTRANSPORT_SESSION) {
            if (c.payload.length < 4 || c.payload.length > 4 + MAX_REASON_BYTES) {
              throw new H3ProtocolError(H3Error.MESSAGE_ERROR, 'malformed CLOSE_WEBTRANSPORT_SESSION capsule')
            }
            const code = new DataView(c.payload.buffer, c.payload.byteOffset).getUint32(0)
            const reason = utf8.decode(c.payload.subarray(4))
            this.markClosed({ code, reason, remote: true, app: true })
            this.finishConnect()
            this.dropQuicIfClient()
            return
          }
          // DRAIN_WEBTRANSPORT_SESSION and unknown capsules need no action.
        }
      }
      this.markClosed({ code: 0, reason: '', remote: true, app: true })
      this.finishConnect()
      this.dropQuicIfClient()
    } catch (e) {
      // The connection's own close info (code, reason) says more than the stream error it caused.
      if (!this.host.quic.isOpen) return
      if (log.enabled) log(`${this.id} CONNECT stream: ${(e as Error).message}`)
      const malformed = !isQmsError(e) || e instanceof H3ProtocolError
      const wasOpen = this.isOpen
      this.markClosed({ code: 0, reason: (e as Error).message, remote: true, app: true, error: e as Error })
      if (wasOpen && malformed) {
        this.connectStream.stopSending(H3Error.MESSAGE_ERROR)
        this.connectStream.reset(H3Error.MESSAGE_ERROR)
      }
      this.dropQuicIfClient()
    }
  }

  /** A client's QUIC connection exists for its one session: once the session is over, so is the connection. */
  private dropQuicIfClient(): void {
    if (this.role === 'client' && this.host.quic.isOpen) void this.host.quic.close(H3Error.NO_ERROR, '')
  }

  private closedError(): QmsError {
    if (!this.closeError) {
      this.closeError = new QmsError(TransportErrorCode.CONNECTION_CLOSED, 'WebTransport session is closed', {
        details: { sessionId: this.sessionId, ...this.closeInfo },
      })
    }
    return this.closeError
  }

  private markClosed(info: CloseInfo): void {
    if (this.closeInfo) return
    this.closeInfo = info
    const error = this.closedError()
    for (const s of this.streams) s.sessionGone(error)
    this.streams.clear()
    this.incomingStreams.end()
    this.incomingDatagrams.end()
    this.resolveClosed(info)
    this.host.sessionEnded(this)
  }

  stats(): ConnectionStats {
    return { ...this.host.quic.stats(), ...this.counters }
  }
}

/** One capsule (RFC 9297 §3.2). */
export interface Capsule {
  type: number
  payload: Uint8Array
}

/** Largest capsule we buffer; anything bigger on a WebTransport CONNECT stream is hostile. */
const MAX_CAPSULE = 64 * 1024

/** Splits the CONNECT stream's data into capsules, across DATA frame boundaries. */
export class CapsuleParser {
  private buf = new Uint8Array(0)

  push(data: Uint8Array): Capsule[] {
    const merged = new Uint8Array(this.buf.length + data.length)
    merged.set(this.buf, 0)
    merged.set(data, this.buf.length)
    const out: Capsule[] = []
    let off = 0
    for (;;) {
      const type = readVarint(merged, off)
      const len = type && readVarint(merged, type.next)
      if (!type || !len) break
      if (len.value > MAX_CAPSULE) {
        throw new H3ProtocolError(H3Error.MESSAGE_ERROR, `capsule of ${len.value} bytes is too large`)
      }
      if (len.next + len.value > merged.length) break
      out.push({ type: type.value, payload: merged.slice(len.next, len.next + len.value) })
      off = len.next + len.value
    }
    this.buf = merged.slice(off)
    return out
  }
}
