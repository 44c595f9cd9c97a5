import { createLogger, isQmsError } from '@quic-multistream/protocol'
import type { QuicConnection, QuicStream } from '../types.js'
import { H3Error, H3ProtocolError } from './errors.js'
import {
  FrameType,
  HTTP2_ONLY_FRAME_TYPES,
  parseGoaway,
  readFrame,
  readFrameAfterType,
  StreamType,
  WT_BIDI_SIGNAL,
} from './h3-frames.js'
import { encodeSettingsFrame, parseSettings, type Settings } from './h3-settings.js'
import { decodeFieldSection, type HeaderList } from './qpack.js'
import type { SessionHost } from './session.js'
import { WtSession } from './session.js'
import { StreamReader, TruncatedError } from './stream-reader.js'
import { encodeVarints, readVarint, varintLength } from './varint.js'

const log = createLogger('qms:webtransport:h3')

/** Counters of the WebTransport layer (server side: per endpoint view; client side: per connection). */
export interface WebTransportStats {
  /** HTTP/3 connections seen. */
  h3Connections: number
  sessionsAccepted: number
  sessionsActive: number
  /** CONNECT requests answered with a non-2xx status (unknown path, wrong protocol, limits). */
  requestsRejected: number
  /** Request streams reset as malformed (H3_MESSAGE_ERROR, H3_REQUEST_INCOMPLETE...). */
  malformedRequests: number
  /** HTTP/3 connections closed with a protocol error (bad SETTINGS, QPACK failure, unexpected frames...). */
  protocolErrors: number
  /** Streams of unknown type, of sessions that do not exist, or over the buffering limit. */
  streamsRejected: number
  /** Datagrams that named no session or had no valid prefix. */
  datagramsUnroutable: number
}

/** Counters at zero. */
export function emptyWebTransportStats(): WebTransportStats {
  return {
    h3Connections: 0,
    sessionsAccepted: 0,
    sessionsActive: 0,
    requestsRejected: 0,
    malformedRequests: 0,
    protocolErrors: 0,
    streamsRejected: 0,
    datagramsUnroutable: 0,
  }
}

/** A request stream whose HEADERS have been read (server side). */
export interface IncomingRequest {
  stream: QuicStream
  reader: StreamReader
  headers: HeaderList
}

/** Frames the control stream buffers; every other type is skipped or refused by type alone. */
const CONTROL_FRAMES: ReadonlySet<number> = new Set([FrameType.SETTINGS, FrameType.GOAWAY])
const HEADERS_ONLY: ReadonlySet<number> = new Set([FrameType.HEADERS])
/** Streams referring to a session that is not established yet are held, up to this many per connection. */
const MAX_BUFFERED_STREAMS = 64

interface BufferedStream {
  inner: QuicStream
  source: AsyncIterator<Uint8Array>
  leftover: Uint8Array
  headerLength: number
}

/**
 * The HTTP/3 side of one QUIC connection, for either role: our control stream and SETTINGS, the peer's control and
 * QPACK streams, dispatch of WebTransport streams and datagrams to their sessions, and (server) request streams to
 * `onRequest`. Protocol violations close the connection with the HTTP/3 code RFC 9114 assigns; nothing hangs.
 */
export class H3Connection implements SessionHost {
  readonly sessions = new Map<number, WtSession>()
  readonly peerSettings: Promise<Settings>
  private resolveSettings!: (s: Settings) => void
  private rejectSettings!: (e: unknown) => void
  private readonly buffered = new Map<number, BufferedStream[]>()
  private bufferedCount = 0
  private readonly finishedSessions = new Set<number>()
  private peerControlSeen = false
  private goawayId: number | undefined
  private idleTimer: NodeJS.Timeout | undefined

  constructor(
    readonly quic: QuicConnection,
    private readonly localSettings: ReadonlyMap<number, number>,
    private readonly stats: WebTransportStats,
    private readonly onRequest?: (req: IncomingRequest) => void,
  ) {
    this.peerSettings = new Promise((resolve, reject) => {
      this.resolveSettings = resolve
      this.rejectSettings = reject
    })
    this.peerSettings.catch(() => {})
    stats.h3Connections++
  }

  get isServer(): boolean {
    return this.quic.role === 'server'
  }

  /** The peer sent GOAWAY: no new sessions should be started on this connection. */
  get goingAway(): boolean {
    return this.goawayId !== undefined
  }

  start(): void {
    void this.openControlStream()
    void this.acceptStreams()
    void this.routeDatagrams()
    void this.quic.closed.then((info) => {
      clearTimeout(this.idleTimer)
      this.rejectSettings(info.error ?? new Error('connection closed before SETTINGS'))
    })
  }

  /** Closes the whole connection with an HTTP/3 error code. */
  fail(code: number, message: string): void {
    if (!this.quic.isOpen) return
    this.stats.protocolErrors++
    if (log.enabled) log(`${this.quic.id} closing with 0x${code.toString(16)}: ${message}`)
    void this.quic.close(code, message)
  }

  private async openControlStream(): Promise<void> {
    try {
      const s = await this.quic.openUni()
      await s.write(encodeVarints(StreamType.CONTROL))
      await s.write(encodeSettingsFrame(this.localSettings))
    } catch (e) {
      if (log.enabled) log(`${this.quic.id} control stream: ${(e as Error).message}`)
    }
  }

  private async acceptStreams(): Promise<void> {
    try {
      for await (const s of this.quic.incomingStreams) void this.handleStream(s)
    } catch {
      // The connection closed; every session learns through `quic.closed`.
    }
  }

  private async routeDatagrams(): Promise<void> {
    try {
      for await (const d of this.quic.incomingDatagrams) {
        const q = readVarint(d, 0)
        const session = q ? this.sessions.get(q.value * 4) : undefined
        if (q && session) session.onDatagram(d.subarray(q.next))
        else this.stats.datagramsUnroutable++
      }
    } catch {
      // Connection closed.
    }
  }

  private async handleStream(s: QuicStream): Promise<void> {
    const source = s[Symbol.asyncIterator]()
    const reader = new StreamReader(source)
    try {
      if (s.direction === 'uni') await this.handleUni(s, reader, source)
      else await this.handleBidi(s, reader, source)
    } catch (e) {
      this.streamFailed(s, e)
    }
  }

  private streamFailed(s: QuicStream, e: unknown): void {
    if (e instanceof H3ProtocolError) {
      this.fail(e.h3Code, e.message)
    } else if (e instanceof TruncatedError) {
      // A stream that ends inside its header or a frame; critical streams are handled where they are read.
      this.stats.malformedRequests++
      s.stopSending(H3Error.REQUEST_INCOMPLETE)
      if (s.direction === 'bidi') s.reset(H3Error.REQUEST_INCOMPLETE)
    } else if (!isQmsError(e)) {
      if (log.enabled) log(`${this.quic.id} stream ${s.id}: ${(e as Error).message}`)
      this.fail(H3Error.INTERNAL_ERROR, 'internal error')
    }
    // QmsErrors here are resets and closes from below: the stream or connection is already gone.
  }

  private async handleUni(s: QuicStream, reader: StreamReader, source: AsyncIterator<Uint8Array>): Promise<void> {
    const type = await reader.varint('a stream type')
    if (type === null) return
    switch (type) {
      case StreamType.CONTROL:
        if (this.peerControlSeen) throw new H3ProtocolError(H3Error.STREAM_CREATION_ERROR, 'second control stream')
        this.peerControlSeen = true
        return this.readControl(reader)
      case StreamType.QPACK_ENCODER:
      case StreamType.QPACK_DECODER:
        // With a table capacity of 0 there is nothing to learn from these; they must stay open, though.
        return this.drainCritical(reader)
      case StreamType.WT_UNI: {
        const sid = await reader.requireVarint('a session id')
        return this.route(sid, s, source, reader, varintLength(type) + varintLength(sid))
      }
      case StreamType.PUSH:
        if (this.isServer) throw new H3ProtocolError(H3Error.STREAM_CREATION_ERROR, 'client opened a push stream')
        // We never send MAX_PUSH_ID, so a server may not push either.
        throw new H3ProtocolError(H3Error.ID_ERROR, 'push stream without MAX_PUSH_ID')
      default:
        // Unknown and GREASE stream types are discarded (RFC 9114 §6.2).
        this.stats.streamsRejected++
        s.stopSending(H3Error.STREAM_CREATION_ERROR)
    }
  }

  private async drainCritical(reader: StreamReader): Promise<void> {
    try {
      while ((await reader.some(65536)).length > 0);
    } catch (e) {
      throw this.criticalStreamError(e)
    }
    throw new H3ProtocolError(H3Error.CLOSED_CRITICAL_STREAM, 'peer closed a critical stream')
  }

  /** What a failure to read a critical stream means: nothing new once the connection is gone, else its closure. */
  private criticalStreamError(e: unknown): unknown {
    if (e instanceof H3ProtocolError || !this.quic.isOpen) return e
    return new H3ProtocolError(H3Error.CLOSED_CRITICAL_STREAM, `critical stream failed: ${(e as Error).message}`, e)
  }

  private async readControl(reader: StreamReader): Promise<void> {
    let first = true
    for (;;) {
      let frame: Awaited<ReturnType<typeof readFrame>>
      try {
        frame = await readFrame(reader, CONTROL_FRAMES)
      } catch (e) {
        throw this.criticalStreamError(e)
      }
      if (frame === null) throw new H3ProtocolError(H3Error.CLOSED_CRITICAL_STREAM, 'peer closed its control stream')
      const type = frame.type
      if (first) {
        if (type !== FrameType.SETTINGS) {
          throw new H3ProtocolError(H3Error.MISSING_SETTINGS, `control stream starts with frame 0x${type.toString(16)}`)
        }
        first = false
        const settings = parseSettings(frame.payload)
        if (log.enabled)
          log(`${this.quic.id} peer SETTINGS ${[...settings].map(([k, v]) => `0x${k.toString(16)}=${v}`)}`)
        this.resolveSettings(settings)
        continue
      }
      if (
        type === FrameType.SETTINGS ||
        type === FrameType.DATA ||
        type === FrameType.HEADERS ||
        type === FrameType.PUSH_PROMISE ||
        HTTP2_ONLY_FRAME_TYPES.has(type) ||
        (type === FrameType.MAX_PUSH_ID && !this.isServer)
      ) {
        throw new H3ProtocolError(H3Error.FRAME_UNEXPECTED, `frame 0x${type.toString(16)} on the control stream`)
      }
      if (type === FrameType.GOAWAY) this.goawayId = parseGoaway(frame.payload)
    }
  }

  private async handleBidi(s: QuicStream, reader: StreamReader, source: AsyncIterator<Uint8Array>): Promise<void> {
    const first = await reader.varint('a frame type')
    if (first === null) return
    if (first === WT_BIDI_SIGNAL) {
      const sid = await reader.requireVarint('a session id')
      return this.route(sid, s, source, reader, varintLength(first) + varintLength(sid))
    }
    if (!this.isServer) throw new H3ProtocolError(H3Error.STREAM_CREATION_ERROR, 'server opened a request stream')
    // A request: HEADERS first (unknown frame types may precede it and are skipped).
    let frame = await readFrameAfterType(reader, first, HEADERS_ONLY)
    while (frame.type !== FrameType.HEADERS) {
      const type = frame.type
      if (
        type === FrameType.DATA ||
        type === FrameType.SETTINGS ||
        type === FrameType.GOAWAY ||
        type === FrameType.MAX_PUSH_ID ||
        type === FrameType.CANCEL_PUSH ||
        HTTP2_ONLY_FRAME_TYPES.has(type)
      ) {
        throw new H3ProtocolError(H3Error.FRAME_UNEXPECTED, `frame 0x${type.toString(16)} before HEADERS`)
      }
      const next = await readFrame(reader, HEADERS_ONLY)
      if (next === null) throw new TruncatedError('a request without HEADERS')
      frame = next
    }
    const headers = decodeFieldSection(frame.payload)
    if (log.enabled) log(`${this.quic.id} request on stream ${s.id}: ${JSON.stringify(headers)}`)
    this.onRequest?.({ stream: s, reader, headers })
  }

  private route(
    sid: number,
    inner: QuicStream,
    source: AsyncIterator<Uint8Array>,
    reader: StreamReader,
    headerLength: number,
  ): void {
    const leftover = reader.takeBuffered()
    const session = this.sessions.get(sid)
    if (session) {
      session.adoptStream(inner, source, leftover, headerLength)
      return
    }
    if (this.finishedSessions.has(sid) || this.bufferedCount >= MAX_BUFFERED_STREAMS || !this.mayBeSession(sid)) {
      this.rejectStream(inner, H3Error.WT_BUFFERED_STREAM_REJECTED)
      return
    }
    // The stream outran its CONNECT (different QUIC streams are not ordered): hold it until the session exists.
    const list = this.buffered.get(sid) ?? []
    list.push({ inner, source, leftover, headerLength })
    this.buffered.set(sid, list)
    this.bufferedCount++
  }

  /** Only a client-initiated bidirectional stream can carry a CONNECT. */
  private mayBeSession(sid: number): boolean {
    return sid % 4 === 0
  }

  private rejectStream(inner: QuicStream, code: number): void {
    this.stats.streamsRejected++
    inner.stopSending(code)
    if (inner.direction === 'bidi') inner.reset(code)
  }

  /** Registers an established session and hands it any streams that arrived before it. */
  addSession(
    sessionId: number,
    stream: QuicStream,
    reader: StreamReader,
    path: string,
    headers: HeaderList,
  ): WtSession {
    clearTimeout(this.idleTimer)
    const session = new WtSession(this, sessionId, stream, reader, path, headers)
    this.sessions.set(sessionId, session)
    this.stats.sessionsAccepted++
    this.stats.sessionsActive++
    const early = this.buffered.get(sessionId)
    if (early) {
      this.buffered.delete(sessionId)
      this.bufferedCount -= early.length
      for (const b of early) session.adoptStream(b.inner, b.source, b.leftover, b.headerLength)
    }
    return session
  }

  /** A CONNECT on `sessionId` was refused: streams waiting for it are refused too. */
  sessionRefused(sessionId: number): void {
    this.finishedSessions.add(sessionId)
    const early = this.buffered.get(sessionId)
    if (!early) return
    this.buffered.delete(sessionId)
    this.bufferedCount -= early.length
    for (const b of early) this.rejectStream(b.inner, H3Error.WT_BUFFERED_STREAM_REJECTED)
  }

  sessionEnded(session: WtSession): void {
    if (!this.sessions.delete(session.sessionId)) return
    this.finishedSessions.add(session.sessionId)
    this.stats.sessionsActive--
    if (this.isServer && this.sessions.size === 0 && this.quic.isOpen) {
      // Browsers open one connection per WebTransport; one left without sessions is closed after a grace period
      // (the peer usually closes it first).
      this.idleTimer = setTimeout(() => {
        if (this.sessions.size === 0) void this.quic.close(H3Error.NO_ERROR, '')
      }, 2_000)
      this.idleTimer.unref()
    }
  }
}
