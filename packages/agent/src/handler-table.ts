import { type AnyMessageDef, type Message, QmsError } from '@quic-multistream/protocol'
import type { AgentStream } from './agent-stream.js'
import type { MessageContext, RequestContext } from './messages.js'

/** A registered request handler. */
export interface RequestEntry {
  def: AnyMessageDef
  /** The reply type the handler must produce, when paired with {@link defineRequest}. */
  replyType: string | undefined
  fn: (body: unknown, ctx: RequestContext) => Message | Promise<Message>
}

/** A registered one-way handler (`on`, `onNotify`). */
export interface OneWayEntry {
  def: AnyMessageDef
  fn: (body: unknown, ctx: MessageContext) => void | Promise<void>
}

/** Context of a stream handler. */
export interface StreamContext {
  /** The agent that opened the stream. */
  readonly from: string
  readonly name: string
  /** Aborted when the agent stops. */
  readonly signal: AbortSignal
}

/** Handler of streams opened by name. */
export type StreamHandler = (stream: AgentStream, ctx: StreamContext) => void | Promise<void>

function register<V>(map: Map<string, V>, key: string, value: V, what: string): () => void {
  if (map.has(key)) {
    throw new QmsError('ERR_INVALID_ARGUMENT', `there is already a ${what} handler for "${key}"`, { details: { key } })
  }
  map.set(key, value)
  return () => {
    if (map.get(key) === value) map.delete(key)
  }
}

/** The agent's handlers by message type (or stream name). One handler per key and kind. */
export class HandlerTable {
  readonly requests = new Map<string, RequestEntry>()
  readonly oneWay = new Map<string, OneWayEntry>()
  readonly notify = new Map<string, OneWayEntry>()
  readonly streams = new Map<string, StreamHandler>()

  addRequest(entry: RequestEntry): () => void {
    return register(this.requests, entry.def.type, entry, 'request')
  }

  addOneWay(entry: OneWayEntry): () => void {
    return register(this.oneWay, entry.def.type, entry, 'message')
  }

  addNotify(entry: OneWayEntry): () => void {
    return register(this.notify, entry.def.type, entry, 'notify')
  }

  addStream(name: string, fn: StreamHandler): () => void {
    return register(this.streams, name, fn, 'stream')
  }

  /** Message types with a handler, as advertised in the registry. */
  capabilities(): string[] {
    return [...new Set([...this.requests.keys(), ...this.oneWay.keys(), ...this.notify.keys()])]
  }
}
