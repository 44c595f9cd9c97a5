import {
  type Codec,
  createCodec,
  type Envelope,
  FrameDecoder,
  type Lane,
  laneToPriority,
  priorityToLane,
  QmsError,
} from '@quic-multistream/protocol'
import type { QuicStream } from '@quic-multistream/transport'
import { type EnqueueOptions, LaneQueue } from './lane-queue.js'
import type { PeerLink } from './peer-link.js'

/**
 * Receives each envelope read from a channel. Returning a promise pauses reading this channel until it settles,
 * which is how a busy receiver pushes back on one stream without stalling the others.
 */
export type EnvelopeHandler = (env: Envelope, channel: FrameChannel) => void | Promise<void>

/** Options of a {@link FrameChannel}. */
export interface FrameChannelOptions {
  /** Most frames queued for writing before senders wait (or fail fast). */
  capacity: number
  maxFrameSize: number
  /** Per-stream msgpack structures on the frames this side writes (the reader needs no agreement). */
  structures: boolean
  onEnvelope: EnvelopeHandler
  /** A frame that could not be decoded: the channel is unusable after it. */
  onProtocolError(error: QmsError, channel: FrameChannel): void
  /** Called for every frame in or out, so the pool knows the link is busy. */
  onActivity(): void
}

/**
 * A QUIC stream carrying framed envelopes both ways: a bounded, coalescing writer ({@link LaneQueue}) on the send
 * side and a read loop on the receive side. Long-lived per-lane channels carry requests one way and replies back on
 * the same stream, so the hot path never opens a stream per message.
 */
export class FrameChannel {
  readonly stream: QuicStream
  /** The link this channel belongs to. */
  readonly link: PeerLink
  /** Resolves when the read side has ended (FIN, reset, error or connection loss). */
  readonly closed: Promise<void>
  readonly #options: FrameChannelOptions
  readonly #codec: Codec
  readonly #queue: LaneQueue
  #resolveClosed!: () => void
  #prioritized = false
  /** What the last handler returned to push back, until the read loop waited for it. */
  #pause: Promise<void> | undefined

  constructor(stream: QuicStream, link: PeerLink, options: FrameChannelOptions) {
    this.stream = stream
    this.link = link
    this.#options = options
    this.#codec = createCodec({ structures: options.structures, maxFrameSize: options.maxFrameSize })
    this.#queue = new LaneQueue((bytes) => stream.write(bytes), options.capacity)
    this.closed = new Promise((resolve) => {
      this.#resolveClosed = resolve
    })
  }

  /** The lane this channel's stream is prioritized as. */
  get lane(): Lane {
    return priorityToLane(this.stream.priority)
  }

  /** Frames queued and not yet written. */
  get queued(): number {
    return this.#queue.size
  }

  /** Write-side counters. */
  stats(): { queued: number; written: number; rejectedFull: number } {
    return this.#queue.stats()
  }

  /**
   * Queues `env`; resolves once the transport accepted its bytes (not when the peer read them).
   * @throws QmsError `ERR_QUEUE_FULL` (fail-fast), `ERR_ABORTED`, encoding errors, or the stream's failure.
   */
  send(env: Envelope, options?: EnqueueOptions): Promise<void> {
    this.#options.onActivity()
    return this.#queue.enqueue(() => this.#codec.encodeFrameView(env), options)
  }

  /** Resolves when every queued frame was written. */
  drain(): Promise<void> {
    return this.#queue.onIdle()
  }

  /** Finishes the send side after the queued frames (FIN). */
  async end(): Promise<void> {
    await this.#queue.onIdle()
    await this.stream.end().catch(() => {})
  }

  /** Drops the channel: queued frames fail with `error`, both directions are reset. */
  abort(error: QmsError, code = 0): void {
    this.#queue.fail(error)
    this.stream.reset(code)
    this.stream.stopSending(code)
  }

  /**
   * Runs the read loop until the stream ends. `iterator`, `decoder` and `first` continue a read that someone else
   * started (the link peeks at each incoming stream's first frame to see what it is for).
   */
  async read(
    iterator: AsyncIterator<Uint8Array> = this.stream[Symbol.asyncIterator](),
    decoder: FrameDecoder = new FrameDecoder({ maxFrameSize: this.#options.maxFrameSize }),
    first: readonly Envelope[] = [],
  ): Promise<void> {
    try {
      if (first.length > 0) await this.#dispatch(first, 0)
      for (;;) {
        const r = await iterator.next()
        if (r.done) break
        const envs = decoder.push(r.value)
        // Handlers rarely push back: deliver synchronously and only wait (in #dispatch) once one does.
        const paused = this.#deliver(envs, 0)
        if (paused >= 0) await this.#dispatch(envs, paused)
      }
      decoder.finish()
    } catch (e) {
      if (e instanceof QmsError && (e.code.startsWith('ERR_FRAME_') || e.code === 'ERR_ENVELOPE_INVALID')) {
        this.#options.onProtocolError(e, this)
      }
      // Otherwise the stream or connection went away; the link's close handling reports that. Either way nothing
      // written here could be answered any more. (A clean FIN leaves the write side alone: replies may still be due.)
      this.#queue.fail(new QmsError('ERR_STREAM_CLOSED', 'channel closed', { cause: e }))
    } finally {
      this.#resolveClosed()
    }
  }

  /**
   * Hands `envs[from..]` to the handler until one returns a promise; returns the index after that envelope (the
   * handler's promise is left in `#pause`), or -1 when all were delivered.
   */
  #deliver(envs: readonly Envelope[], from: number): number {
    const { onEnvelope, onActivity } = this.#options
    for (let i = from; i < envs.length; i++) {
      const env = envs[i] as Envelope
      if (!this.#prioritized && this.stream.initiator === 'remote') {
        // Replies go back on the stream the request came in on, at the urgency of the lane it came from.
        this.#prioritized = true
        this.stream.setPriority(laneToPriority(priorityToLane(env.priority)))
      }
      onActivity()
      const pending = onEnvelope(env, this)
      if (pending) {
        this.#pause = pending
        return i + 1
      }
    }
    return -1
  }

  /** Delivers `envs[from..]`, waiting for each handler that pushes back (and for the one `#deliver` left behind). */
  async #dispatch(envs: readonly Envelope[], from: number): Promise<void> {
    let next = from
    for (;;) {
      const pause = this.#pause
      this.#pause = undefined
      if (pause) await pause
      if (next < 0 || next >= envs.length) return
      next = this.#deliver(envs, next)
    }
  }
}
