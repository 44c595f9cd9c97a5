import {
  type AnyMessageDef,
  type Codec,
  createCodec,
  createEnvelope,
  type Envelope,
  FrameDecoder,
  type Infer,
  type InferInput,
  type MessageRegistry,
  ProtocolErrorCode,
  QmsError,
} from '@quic-multistream/protocol'
import type { QuicStream } from '@quic-multistream/transport'
import { nextMessageId } from './message-ids.js'
import type { ReceivedMessage } from './messages.js'

/** How an {@link AgentStream} is put together (by `openStream` or by the accepting side). */
export interface AgentStreamInit {
  name: string
  selfId: string
  peer: string
  stream: QuicStream
  iterator: AsyncIterator<Uint8Array>
  registry: MessageRegistry
  maxFrameSize: number
  /** Bytes already read past the opening exchange. */
  leftover?: Uint8Array | undefined
  /** A decoder already in use on this stream, with envelopes it decoded that nobody consumed yet. */
  decoder?: FrameDecoder
  pending?: Envelope[]
}

/**
 * A stream between two agents opened by name (`agent.openStream(peer, name)` / `agent.onStream(name, ...)`).
 * Typed messages both ways: `send(def, body)` writes one framed message and resolves when the transport took it (so
 * awaiting it is backpressure); iterating yields the peer's messages, decoded through the agent's message registry.
 * For bulk data use the byte view instead (`writeBytes` / `bytes()`); mixing the two views on one direction is
 * undefined.
 */
export class AgentStream implements AsyncIterable<ReceivedMessage> {
  /** The name the stream was opened with. */
  readonly name: string
  /** The other agent's id. */
  readonly peer: string
  /** The underlying QUIC stream. */
  readonly raw: QuicStream
  readonly #init: AgentStreamInit
  readonly #codec: Codec
  readonly #decoder: FrameDecoder
  #leftover: Uint8Array | undefined
  #pending: Envelope[]

  constructor(init: AgentStreamInit) {
    this.#init = init
    this.name = init.name
    this.peer = init.peer
    this.raw = init.stream
    this.#codec = createCodec({ structures: true, maxFrameSize: init.maxFrameSize })
    this.#decoder = init.decoder ?? new FrameDecoder({ maxFrameSize: init.maxFrameSize })
    this.#leftover = init.leftover
    this.#pending = init.pending ?? []
  }

  /** Resolves when both directions are finished. */
  get closed(): Promise<void> {
    return this.raw.closed
  }

  /**
   * Sends one typed message.
   * @throws QmsError `ERR_SCHEMA` for a body that does not match, or the stream's failure.
   */
  async send<D extends AnyMessageDef>(def: D, body: InferInput<D>): Promise<void> {
    def.parse(body)
    const env = createEnvelope({
      id: nextMessageId(),
      kind: 'send',
      type: def.type,
      from: this.#init.selfId,
      to: this.peer,
      priority: this.raw.priority,
      body,
    })
    await this.raw.write(this.#codec.encodeFrame(env))
  }

  /** Writes raw bytes. */
  writeBytes(data: Uint8Array): Promise<void> {
    return this.raw.write(data)
  }

  /** Finishes our direction (FIN) after what was written. */
  end(): Promise<void> {
    return this.raw.end()
  }

  /** Abandons both directions. */
  reset(code = 0): void {
    this.raw.reset(code)
    this.raw.stopSending(code)
  }

  /**
   * The peer's messages, each decoded through the registry when its type is registered (else the raw body).
   * @throws QmsError `ERR_SCHEMA`, `ERR_FRAME_*`, or the stream's failure.
   */
  async *[Symbol.asyncIterator](): AsyncIterator<ReceivedMessage> {
    const registry = this.#init.registry
    for await (const env of this.#envelopes()) {
      yield { type: env.type, body: registry.has(env.type) ? registry.decodeBody(env.type, env.body) : env.body }
    }
  }

  /**
   * The peer's messages as bodies of one type.
   * @throws QmsError `ERR_UNKNOWN_TYPE` for a message of another type, `ERR_SCHEMA` for a bad body.
   */
  async *messages<D extends AnyMessageDef>(def: D): AsyncIterable<Infer<D>> {
    for await (const env of this.#envelopes()) {
      if (env.type !== def.type) {
        throw new QmsError(ProtocolErrorCode.UNKNOWN_TYPE, `expected "${def.type}" on stream, got "${env.type}"`)
      }
      yield def.parse(env.body) as Infer<D>
    }
  }

  /** The bytes the peer sends, after the opening exchange. */
  async *bytes(): AsyncIterable<Uint8Array> {
    const leftover = this.#leftover
    this.#leftover = undefined
    if (leftover) yield leftover
    for (;;) {
      const r = await this.#init.iterator.next()
      if (r.done) return
      yield r.value
    }
  }

  async *#envelopes(): AsyncGenerator<Envelope> {
    const pending = this.#pending
    this.#pending = []
    yield* pending
    for await (const chunk of this.bytes()) yield* this.#decoder.push(chunk)
    this.#decoder.finish()
  }
}
