import {
  createEnvelope,
  decodeDatagram,
  type Envelope,
  encodeFrame,
  FrameDecoder,
  LANES,
  type Lane,
  laneToPriority,
  Priority,
  QmsError,
} from '@quic-multistream/protocol'
import type { CloseInfo, QuicConnection, QuicStream } from '@quic-multistream/transport'
import { CloseCode } from './errors.js'
import { type EnvelopeHandler, FrameChannel } from './frame-channel.js'
import type { EnqueueOptions } from './lane-queue.js'

/** A stream the peer opened with a `stream-open` envelope, handed over with its read state. */
export interface IncomingStream {
  /** The opening envelope; its `type` names the stream protocol. */
  open: Envelope
  stream: QuicStream
  /** Continues reading after the opening frame (the stream's one iterator). */
  iterator: AsyncIterator<Uint8Array>
  /** The decoder that read the opening frame (it may hold the start of the next one). */
  decoder: FrameDecoder
  /** Envelopes that arrived in the same chunk as the opening one. */
  buffered: Envelope[]
  link: PeerLink
}

/** Where a link delivers what arrives. */
export interface LinkHandlers {
  /** Envelopes from every channel of the link. */
  envelope: EnvelopeHandler
  /** Streams opened with `stream-open`. */
  stream(incoming: IncomingStream): void
  /** Datagrams (already decoded). */
  datagram(env: Envelope, link: PeerLink): void
  /** Undecodable frames or datagrams. */
  protocolError(error: QmsError, link: PeerLink): void
}

/** Envelope type of the `error` a link sends back for a frame it could not decode. */
export const PROTOCOL_ERROR_TYPE = 'qms.protocol'

/**
 * Envelope type of the goodbye exchange: a `ping` of this type, the last frame on a channel of a link about to close,
 * answered by a `pong` on the same channel once the peer has read everything before it.
 */
export const BYE_TYPE = 'qms.bye'

/** Who is at the other end of a link, as its hello established. */
export interface PeerIdentity {
  peerId: string
  /** Agent id of the side that dialed the connection. */
  dialer: string
  /** The peer's instance nonce, if it sent one. */
  peerInstance: string | undefined
}

/** Settings of every link in a pool. */
export interface LinkOptions {
  /** Our agent id (the `from` of what the link itself sends). */
  selfId: string
  /** Most frames queued per lane before senders wait or fail fast. */
  laneCapacity: Readonly<Record<Lane, number>>
  /** Queue size of the reply direction of channels the peer opened. */
  replyCapacity: number
  maxFrameSize: number
  structures: boolean
  handlers: LinkHandlers
  /** The peer said goodbye on this link: it is about to close it, so nothing new should start here. */
  onPeerLeaving?(link: PeerLink): void
}

const laneIndex: Readonly<Record<Lane, number>> = { critical: 0, high: 1, normal: 2, low: 3, background: 4 }

/**
 * One authenticated connection to one peer agent. Each lane gets one long-lived bidirectional stream, opened on
 * first use at the lane's QUIC priority; what we send travels there and the peer's replies come back on the same
 * stream. Streams the peer opens are read the same way, and `stream-open` streams are handed to the owner.
 */
export class PeerLink {
  readonly peerId: string
  readonly connection: QuicConnection
  /** Agent id of the side that dialed this connection (decides which of two simultaneous dials survives). */
  readonly dialer: string
  /**
   * The instance nonce the peer presented in its hello (undefined from peers that send none): another link to the
   * same agent id with another instance means the peer process was restarted.
   */
  readonly peerInstance: string | undefined
  /** Set whenever a frame moves; the pool's sweep reads and clears it to track idleness without timestamps. */
  active = true
  /** When the pool's sweep last saw activity. */
  lastActive = Date.now()
  readonly #options: LinkOptions
  readonly #lanes: Array<FrameChannel | undefined> = [undefined, undefined, undefined, undefined, undefined]
  readonly #opening: Array<Promise<FrameChannel> | undefined> = [undefined, undefined, undefined, undefined, undefined]
  readonly #channels = new Set<FrameChannel>()
  readonly #incoming: AsyncIterator<QuicStream>
  /** Goodbye pings waiting for their pong, by envelope id. */
  readonly #byes = new Map<string, () => void>()
  #inflight = 0

  constructor(
    connection: QuicConnection,
    peer: PeerIdentity,
    options: LinkOptions,
    incoming: AsyncIterator<QuicStream> = connection.incomingStreams[Symbol.asyncIterator](),
  ) {
    this.connection = connection
    this.peerId = peer.peerId
    this.dialer = peer.dialer
    this.peerInstance = peer.peerInstance
    this.#options = options
    this.#incoming = incoming
  }

  /** Starts reading the peer's streams and datagrams. */
  start(): void {
    void this.#acceptStreams()
    void this.#acceptDatagrams()
  }

  get isOpen(): boolean {
    return this.connection.isOpen
  }

  /** Resolves when the connection has closed. */
  get closed(): Promise<CloseInfo> {
    return this.connection.closed
  }

  /** Calls in progress that need this link (the pool never evicts a link while it is above 0). */
  get inflight(): number {
    return this.#inflight
  }

  /** Marks a call in progress on this link. */
  retain(): void {
    this.#inflight++
  }

  /** Ends a call marked with {@link retain}. */
  release(): void {
    this.#inflight--
  }

  /**
   * Sends `env` on `lane`'s stream; resolves when the transport took it.
   * @throws QmsError `ERR_QUEUE_FULL` (fail-fast), `ERR_ABORTED`, or the stream's failure.
   */
  send(env: Envelope, lane: Lane, options?: EnqueueOptions): Promise<void> {
    const channel = this.#lanes[laneIndex[lane]]
    if (channel) return channel.send(env, options)
    return this.#openLane(lane).then((c) => c.send(env, options))
  }

  /** Opens a dedicated framed channel (its own stream) whose envelopes go to `onEnvelope` (default: the link's). */
  async openChannel(priority: number, onEnvelope?: EnvelopeHandler): Promise<FrameChannel> {
    const stream = await this.connection.openBidi({ priority })
    return this.#adopt(stream, this.#options.laneCapacity.high, onEnvelope)
  }

  /** Opens a raw bidirectional stream (for `stream-open` streams). */
  openStream(priority: number): Promise<QuicStream> {
    this.active = true
    return this.connection.openBidi({ priority })
  }

  /**
   * Sends a datagram.
   * @throws QmsError `ERR_DATAGRAM_TOO_LARGE` and the transport's errors.
   */
  sendDatagram(bytes: Uint8Array): void {
    this.active = true
    this.connection.sendDatagram(bytes)
  }

  /** Write-side counters of each lane stream we opened. */
  laneStats(): Record<Lane, { queued: number; written: number; rejectedFull: number }> {
    const out = {} as Record<Lane, { queued: number; written: number; rejectedFull: number }>
    for (const lane of LANES) {
      out[lane] = this.#lanes[laneIndex[lane]]?.stats() ?? { queued: 0, written: 0, rejectedFull: 0 }
    }
    return out
  }

  /** Resolves once every channel wrote what it had queued. */
  async drain(): Promise<void> {
    await Promise.all([...this.#channels].map((c) => c.drain()))
  }

  /** Closes the connection at once: whatever QUIC has not delivered yet is lost. */
  async close(code: number = CloseCode.NORMAL, reason = ''): Promise<void> {
    await this.connection.close(code, reason)
  }

  /**
   * Closes the connection once the peer has read everything we wrote, waiting at most `graceMs`. A QUIC close
   * discards stream data still unacknowledged, so a reply written just before an immediate close could be lost: each
   * channel's last frame is a goodbye `ping` that the peer answers on the same channel, after everything before it.
   */
  async shutdown(graceMs: number, code: number = CloseCode.NORMAL, reason = ''): Promise<void> {
    if (graceMs > 0 && this.isOpen) {
      let timer: NodeJS.Timeout | undefined
      await Promise.race([
        Promise.all([...this.#channels].map((c) => this.#bye(c))),
        this.connection.closed,
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, graceMs)
        }),
      ])
      clearTimeout(timer)
      this.#byes.clear()
    }
    await this.close(code, reason)
  }

  #openLane(lane: Lane): Promise<FrameChannel> {
    const i = laneIndex[lane]
    let opening = this.#opening[i]
    if (!opening) {
      opening = this.connection.openBidi({ priority: laneToPriority(lane) }).then(
        (stream) => {
          const channel = this.#adopt(stream, this.#options.laneCapacity[lane])
          this.#lanes[i] = channel
          // A lane whose stream dies is reopened on next use (while the connection lives).
          void channel.closed.then(() => {
            if (this.#lanes[i] === channel) {
              this.#lanes[i] = undefined
              this.#opening[i] = undefined
            }
          })
          return channel
        },
        (e: unknown) => {
          this.#opening[i] = undefined
          throw e
        },
      )
      this.#opening[i] = opening
    }
    return opening
  }

  /** Sends a goodbye on `channel`; resolves when the peer answered it or the channel can carry no answer. */
  #bye(channel: FrameChannel): Promise<void> {
    const bye = createEnvelope({
      kind: 'ping',
      type: BYE_TYPE,
      from: this.#options.selfId,
      to: this.peerId,
      priority: Priority.CRITICAL,
      body: undefined,
    })
    return new Promise<void>((resolve) => {
      this.#byes.set(bye.id, resolve)
      channel.send(bye).catch(() => resolve())
      void channel.closed.then(() => resolve())
    })
  }

  /** Handles the goodbye exchange inside the link; true when `env` was part of it. */
  #goodbye(env: Envelope, channel: FrameChannel): boolean {
    if (env.type !== BYE_TYPE) return false
    if (env.kind === 'ping') {
      this.#options.onPeerLeaving?.(this)
      const answer = createEnvelope({
        kind: 'pong',
        type: BYE_TYPE,
        from: this.#options.selfId,
        to: this.peerId,
        corr: env.id,
        priority: Priority.CRITICAL,
        body: undefined,
      })
      channel.send(answer).catch(() => {})
      return true
    }
    if (env.kind === 'pong' && env.corr !== undefined) {
      this.#byes.get(env.corr)?.()
      this.#byes.delete(env.corr)
      return true
    }
    return false
  }

  #adopt(stream: QuicStream, capacity: number, onEnvelope?: EnvelopeHandler): FrameChannel {
    const channel = this.#channel(stream, capacity, onEnvelope)
    void channel.read()
    return channel
  }

  #channel(stream: QuicStream, capacity: number, onEnvelope?: EnvelopeHandler): FrameChannel {
    const { handlers, maxFrameSize, structures } = this.#options
    const deliver = onEnvelope ?? handlers.envelope
    const channel = new FrameChannel(stream, this, {
      capacity,
      maxFrameSize,
      structures,
      onEnvelope: (env, ch) => {
        if ((env.kind === 'ping' || env.kind === 'pong') && this.#goodbye(env, ch)) return
        return deliver(env, ch)
      },
      onProtocolError: (error, ch) => this.#protocolError(error, ch),
      onActivity: () => {
        this.active = true
      },
    })
    this.#channels.add(channel)
    void channel.closed.then(() => this.#channels.delete(channel))
    return channel
  }

  async #acceptStreams(): Promise<void> {
    try {
      for (;;) {
        const r = await this.#incoming.next()
        if (r.done) return
        void this.#serve(r.value)
      }
    } catch {
      // The connection closed; its `closed` promise tells the pool.
    }
  }

  /** Peeks at the first frame of a peer-opened stream to see whether it is a channel or a `stream-open` stream. */
  async #serve(stream: QuicStream): Promise<void> {
    this.active = true
    const decoder = new FrameDecoder({ maxFrameSize: this.#options.maxFrameSize })
    const iterator = stream[Symbol.asyncIterator]()
    let first: Envelope[] = []
    try {
      while (first.length === 0) {
        const r = await iterator.next()
        if (r.done) return
        first = decoder.push(r.value)
      }
    } catch (e) {
      if (e instanceof QmsError && (e.code.startsWith('ERR_FRAME_') || e.code === 'ERR_ENVELOPE_INVALID')) {
        this.#options.handlers.protocolError(e, this)
        stream.stopSending(CloseCode.PROTOCOL)
        await stream.end(encodeFrame(this.#refusal(e))).catch(() => {})
      }
      return
    }
    const [open, ...rest] = first as [Envelope, ...Envelope[]]
    if (open.kind === 'stream-open') {
      this.#options.handlers.stream({ open, stream, iterator, decoder, buffered: rest, link: this })
      return
    }
    const channel = this.#channel(stream, this.#options.replyCapacity)
    await channel.read(iterator, decoder, first)
  }

  async #acceptDatagrams(): Promise<void> {
    const { handlers, maxFrameSize } = this.#options
    try {
      for await (const bytes of this.connection.incomingDatagrams) {
        this.active = true
        let env: Envelope
        try {
          env = decodeDatagram(bytes, maxFrameSize)
        } catch (e) {
          if (e instanceof QmsError) handlers.protocolError(e, this)
          continue
        }
        handlers.datagram(env, this)
      }
    } catch {
      // Connection closed.
    }
  }

  #protocolError(error: QmsError, channel: FrameChannel): void {
    this.#options.handlers.protocolError(error, this)
    // Stop the garbage, but tell the sender why on our direction of the stream before finishing it.
    channel.stream.stopSending(CloseCode.PROTOCOL)
    channel
      .send(this.#refusal(error))
      .then(() => channel.end())
      .catch(() => channel.abort(error, CloseCode.PROTOCOL))
  }

  #refusal(error: QmsError): Envelope {
    return createEnvelope({
      kind: 'error',
      type: PROTOCOL_ERROR_TYPE,
      from: this.#options.selfId,
      to: this.peerId,
      priority: Priority.CRITICAL,
      body: undefined,
      error: { code: error.code, message: error.message },
    })
  }
}
