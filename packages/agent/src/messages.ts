import type { AnyMessageDef, Infer, InferInput, Lane, Message, TypeName } from '@quic-multistream/protocol'

/**
 * A request type paired with its reply type, so that `request` knows what it gets back and `handle` must return
 * exactly that. Made by {@link defineRequest}.
 */
export interface RequestDef<Req extends AnyMessageDef = AnyMessageDef, Rep extends AnyMessageDef = AnyMessageDef> {
  /** The request's type name (what travels in the envelope). */
  readonly type: TypeName<Req>
  readonly request: Req
  readonly reply: Rep
}

/**
 * Pairs a request definition with its reply definition:
 *
 * ```ts
 * const Task = defineMessage('task', z.object({ id: z.string() }))
 * const Result = defineMessage('result', z.object({ ok: z.boolean() }))
 * const RunTask = defineRequest(Task, Result)
 * agent.handle(RunTask, async (task) => Result.of({ ok: true }))
 * const result = await agent.request('worker', RunTask, { id: 't1' }) // { ok: boolean }
 * ```
 */
export function defineRequest<Req extends AnyMessageDef, Rep extends AnyMessageDef>(
  request: Req,
  reply: Rep,
): RequestDef<Req, Rep> {
  return Object.freeze({ type: request.type as TypeName<Req>, request, reply })
}

/** True when `x` is a {@link RequestDef} rather than a plain message definition. */
export function isRequestDef(x: AnyMessageDef | RequestDef): x is RequestDef {
  return 'request' in x && 'reply' in x
}

/** The `{ type, body }` a sender of `D` produces (`D.of(body)`). */
export type MessageOf<D> = Message<TypeName<D>, InferInput<D>>

/** A received message whose type is known only at run time (subscriptions, stream iteration). */
export interface ReceivedMessage {
  readonly type: string
  readonly body: unknown
}

/** What every handler learns about the message it handles. */
export interface MessageContext {
  /** Sender's agent id. */
  readonly from: string
  /** Message id (stable across redeliveries of a critical message). */
  readonly id: string
  readonly type: string
  /** The lane it travelled on. */
  readonly lane: Lane
}

/** Context of a request handler. */
export interface RequestContext extends MessageContext {
  /** Aborted when the caller gave up (timeout, abort) or the agent stops. */
  readonly signal: AbortSignal
  /** When the caller stops waiting, ms since the epoch. */
  readonly deadline: number | undefined
}

/** Context of a subscription handler. */
export interface PublishContext extends MessageContext {
  /** The concrete topic it was published on. */
  readonly topic: string
  /** The queue group it was delivered for, if any. */
  readonly queue: string | undefined
}

/** Handler of a paired request: must return the reply type's message (`Reply.of(...)`). */
export type RequestHandler<R extends RequestDef> = (
  body: Infer<R['request']>,
  ctx: RequestContext,
) => MessageOf<R['reply']> | Promise<MessageOf<R['reply']>>

/** Handler of a request given as a plain definition: may return any message (the caller names the reply type). */
export type UntypedRequestHandler<D extends AnyMessageDef> = (
  body: Infer<D>,
  ctx: RequestContext,
) => Message | Promise<Message>

/** Handler of a one-way message (`send`, `sendCritical`, `notify`). */
export type MessageHandler<D extends AnyMessageDef> = (body: Infer<D>, ctx: MessageContext) => void | Promise<void>

/** Handler of a subscription that accepts any message type. */
export type SubscriptionHandler = (message: ReceivedMessage, ctx: PublishContext) => void | Promise<void>

/** Handler of a subscription narrowed to one message type. */
export type TypedSubscriptionHandler<D extends AnyMessageDef> = (
  body: Infer<D>,
  ctx: PublishContext,
) => void | Promise<void>
