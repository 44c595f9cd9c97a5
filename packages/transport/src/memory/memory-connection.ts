import { QmsError } from '@quic-multistream/protocol'
import { AsyncQueue } from '../async-queue.js'
import { TransportErrorCode } from '../errors.js'
import type { CloseInfo, ConnectionStats, QuicConnection, QuicStream, SocketAddress, StreamOptions } from '../types.js'
import { MemoryStream, type StreamOwner } from './memory-stream.js'

/** Limits one side advertises to its peer, as QUIC transport parameters do. */
export interface MemoryLimits {
  maxStreamsBidi: number
  maxStreamsUni: number
  streamWindow: number
  /** 0 when this side does not accept datagrams. */
  maxDatagramSize: number
  /** Datagrams held unread before new ones are dropped. */
  datagramQueue: number
}

type Direction = 'bidi' | 'uni'

interface CreditWaiter {
  resolve(): void
  reject(err: Error): void
}

let nextConnectionId = 1

function emptyStats(): ConnectionStats {
  return {
    packetsSent: 0,
    packetsReceived: 0,
    packetsLost: 0,
    retransmits: 0,
    bytesSent: 0,
    bytesReceived: 0,
    bytesLost: 0,
    rttMs: 0,
    cwnd: Number.MAX_SAFE_INTEGER,
    streamsOpened: 0,
    streamsClosed: 0,
    datagramsSent: 0,
    datagramsReceived: 0,
    datagramsDropped: 0,
  }
}

function abortError(signal: AbortSignal): QmsError {
  return new QmsError(TransportErrorCode.ABORTED, 'waiting for stream credit was aborted', { cause: signal.reason })
}

/** One side of an in-memory connection; {@link MemoryConnection.pair} makes both. */
export class MemoryConnection implements QuicConnection, StreamOwner {
  readonly id: string
  readonly role: 'client' | 'server'
  readonly remoteAddress: SocketAddress
  readonly localAddress: SocketAddress
  readonly alpn: string
  readonly peerCertificate: Uint8Array | undefined = undefined
  readonly resumed = false
  readonly earlyData = false
  readonly incomingStreams: AsyncQueue<QuicStream>
  readonly incomingDatagrams: AsyncQueue<Uint8Array>
  readonly closed: Promise<CloseInfo>
  #peer!: MemoryConnection
  readonly #limits: MemoryLimits
  readonly #streams = new Set<MemoryStream>()
  readonly #opened: Record<Direction, number> = { bidi: 0, uni: 0 }
  readonly #localOpen: Record<Direction, number> = { bidi: 0, uni: 0 }
  readonly #creditWaiters: Record<Direction, CreditWaiter[]> = { bidi: [], uni: [] }
  readonly #stats = emptyStats()
  readonly #onClosed: (conn: MemoryConnection) => void
  #closeInfo: CloseInfo | undefined
  #resolveClosed!: (info: CloseInfo) => void

  private constructor(
    role: 'client' | 'server',
    local: SocketAddress,
    remote: SocketAddress,
    alpn: string,
    limits: MemoryLimits,
    onClosed: (conn: MemoryConnection) => void,
  ) {
    this.id = `mem-${nextConnectionId++}`
    this.role = role
    this.localAddress = local
    this.remoteAddress = remote
    this.alpn = alpn
    this.#limits = limits
    this.#onClosed = onClosed
    this.incomingStreams = new AsyncQueue<QuicStream>()
    this.incomingDatagrams = new AsyncQueue<Uint8Array>(limits.datagramQueue)
    this.closed = new Promise((resolve) => {
      this.#resolveClosed = resolve
    })
  }

  /** Creates a connected client/server pair. */
  static pair(
    client: { address: SocketAddress; limits: MemoryLimits; onClosed: (conn: MemoryConnection) => void },
    server: { address: SocketAddress; limits: MemoryLimits; onClosed: (conn: MemoryConnection) => void },
    alpn: string,
  ): [client: MemoryConnection, server: MemoryConnection] {
    const c = new MemoryConnection('client', client.address, server.address, alpn, client.limits, client.onClosed)
    const s = new MemoryConnection('server', server.address, client.address, alpn, server.limits, server.onClosed)
    c.#peer = s
    s.#peer = c
    return [c, s]
  }

  /** @internal The other side of this connection. */
  get peer(): MemoryConnection {
    return this.#peer
  }

  get isOpen(): boolean {
    return this.#closeInfo === undefined
  }

  get maxDatagramSize(): number {
    if (!this.isOpen || this.#limits.maxDatagramSize === 0) return 0
    return this.#peer.#limits.maxDatagramSize
  }

  openBidi(options?: StreamOptions): Promise<QuicStream> {
    return this.#open('bidi', options)
  }

  openUni(options?: StreamOptions): Promise<QuicStream> {
    return this.#open('uni', options)
  }

  sendDatagram(data: Uint8Array): void {
    this.#assertOpen()
    const max = this.maxDatagramSize
    if (data.byteLength > max) {
      throw new QmsError(TransportErrorCode.DATAGRAM_TOO_LARGE, `datagram of ${data.byteLength} bytes exceeds ${max}`, {
        details: { size: data.byteLength, max },
      })
    }
    this.#stats.datagramsSent++
    const peer = this.#peer
    if (peer.incomingDatagrams.push(data.slice())) peer.#stats.datagramsReceived++
    else peer.#stats.datagramsDropped++
  }

  async close(code = 0, reason = ''): Promise<void> {
    if (this.isOpen) {
      this.terminate({ code, reason, remote: false, app: true })
      this.#peer.terminate({ code, reason, remote: true, app: true })
    }
    await this.closed
  }

  stats(): ConnectionStats {
    return { ...this.#stats }
  }

  /** Ends this side with `info` (used by `close`, by the peer's close and by a severed link). */
  terminate(info: CloseInfo): void {
    if (this.#closeInfo) return
    this.#closeInfo = info
    const error = new QmsError(TransportErrorCode.CONNECTION_CLOSED, `connection closed: ${info.reason || info.code}`, {
      cause: info.error,
      details: { code: info.code, remote: info.remote, app: info.app },
    })
    for (const s of [...this.#streams]) s.terminate(error)
    for (const dir of ['bidi', 'uni'] as const) {
      const waiters = this.#creditWaiters[dir]
      this.#creditWaiters[dir] = []
      for (const w of waiters) w.reject(error)
    }
    this.incomingStreams.end()
    this.incomingDatagrams.end()
    this.#resolveClosed(info)
    this.#onClosed(this)
  }

  /** @internal StreamOwner: byte counters. */
  countSent(bytes: number): void {
    this.#stats.packetsSent++
    this.#stats.bytesSent += bytes
    this.#peer.#stats.packetsReceived++
    this.#peer.#stats.bytesReceived += bytes
  }

  /** @internal StreamOwner: a stream finished both ways, so its credit returns to the initiator. */
  streamFinished(stream: MemoryStream): void {
    if (!this.#streams.delete(stream)) return
    this.#stats.streamsClosed++
    if (stream.initiator !== 'local') return
    this.#localOpen[stream.direction]--
    this.#creditWaiters[stream.direction].shift()?.resolve()
  }

  async #open(direction: Direction, options: StreamOptions = {}): Promise<QuicStream> {
    const { signal } = options
    const limit = direction === 'bidi' ? this.#peer.#limits.maxStreamsBidi : this.#peer.#limits.maxStreamsUni
    while (this.#localOpen[direction] >= limit) {
      this.#assertOpen()
      if (signal?.aborted) throw abortError(signal)
      await new Promise<void>((resolve, reject) => {
        const waiter: CreditWaiter = {
          resolve: () => {
            signal?.removeEventListener('abort', onAbort)
            resolve()
          },
          reject,
        }
        const onAbort = () => {
          const list = this.#creditWaiters[direction]
          const i = list.indexOf(waiter)
          if (i >= 0) list.splice(i, 1)
          reject(abortError(signal!))
        }
        signal?.addEventListener('abort', onAbort, { once: true })
        this.#creditWaiters[direction].push(waiter)
      })
    }
    this.#assertOpen()
    // RFC 9000 section 2.1: bit 0 says who opened it, bit 1 says uni/bidi.
    const base = (this.role === 'client' ? 0 : 1) | (direction === 'uni' ? 2 : 0)
    const id = base + 4 * this.#opened[direction]++
    const priority = Math.max(0, Math.min(255, Math.trunc(options.priority ?? 128)))
    const incremental = options.incremental ?? false
    const peer = this.#peer
    const local = new MemoryStream({
      id,
      direction,
      initiator: 'local',
      priority,
      incremental,
      window: peer.#limits.streamWindow,
      canSend: true,
      canReceive: direction === 'bidi',
      owner: this,
    })
    const remote = new MemoryStream({
      id,
      direction,
      initiator: 'remote',
      priority: 128,
      incremental: false,
      window: this.#limits.streamWindow,
      canSend: direction === 'bidi',
      canReceive: true,
      owner: peer,
    })
    MemoryStream.link(local, remote)
    this.#streams.add(local)
    peer.#streams.add(remote)
    this.#localOpen[direction]++
    this.#stats.streamsOpened++
    peer.#stats.streamsOpened++
    peer.incomingStreams.push(remote)
    return local
  }

  #assertOpen(): void {
    if (this.#closeInfo) {
      throw new QmsError(TransportErrorCode.CONNECTION_CLOSED, 'connection is closed', {
        details: { code: this.#closeInfo.code },
      })
    }
  }
}
