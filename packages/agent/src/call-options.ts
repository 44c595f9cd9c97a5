import type { AnyMessageDef, Lane } from '@quic-multistream/protocol'

/** Options of `send` and `publish`. */
export interface SendOptions {
  /** Lane (and QUIC priority). Default `normal`. */
  priority?: Lane
  /** Stop waiting (for a connection or for room in the lane). */
  signal?: AbortSignal
  /** Fail with `ERR_QUEUE_FULL` instead of waiting when the lane is full. */
  failFast?: boolean
}

/** Options of `request`. */
export interface RequestOptions extends SendOptions {
  /** Give up after this long (`ERR_TIMEOUT`) and cancel the remote handler. Default: the agent's `requestTimeoutMs`. */
  timeout?: number
}

/** Options of `request` with a plain message definition: the reply type must be named. */
export interface RequestWithReplyOptions<P extends AnyMessageDef> extends RequestOptions {
  reply: P
}

/** Options of `sendCritical`. */
export interface CriticalOptions {
  /** Keep redelivering until acknowledged for this long. Default: the agent's `criticalTimeoutMs`. */
  timeout?: number
  signal?: AbortSignal
}

/** Options of `openStream`. */
export interface OpenStreamOptions {
  priority?: Lane
  /** Deadline for the peer to accept. Default: the agent's `requestTimeoutMs`. */
  timeout?: number
  signal?: AbortSignal
}

/** Options of `subscribe`. */
export interface SubscribeOptions {
  /** Queue group: each message goes to one member of the group across all agents. */
  queue?: string
}

/** A live subscription. */
export interface Subscription {
  readonly pattern: string
  readonly queue: string | undefined
  /** Resolves once the registry has the subscription (publishers elsewhere see it shortly after). */
  readonly ready: Promise<void>
  unsubscribe(): Promise<void>
}
