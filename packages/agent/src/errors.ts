/** Error codes the agent adds to the mesh's (`ERR_UNKNOWN_PEER`, `ERR_PEER_UNREACHABLE`, `ERR_QUEUE_FULL`, `ERR_AUTH`). */
export const AgentErrorCode = {
  /** No reply (or acknowledgement) within the call's timeout. */
  TIMEOUT: 'ERR_TIMEOUT',
  /** The peer has no handler for the message type; answered at once, not a timeout. */
  NO_RESPONDERS: 'ERR_NO_RESPONDERS',
  /** The remote handler threw; `details.remoteCode` and `details.remoteMessage` say what it threw. */
  REMOTE: 'ERR_REMOTE',
  /** The caller's AbortSignal fired. */
  ABORTED: 'ERR_ABORTED',
  /** A body did not match its schema (ours before sending, or the peer's verdict). */
  SCHEMA: 'ERR_SCHEMA',
  /** The message type is not registered with the receiver. */
  UNKNOWN_TYPE: 'ERR_UNKNOWN_TYPE',
  /** The agent is stopping or stopped. */
  STOPPED: 'ERR_STOPPED',
  /** A handler threw something that was not a QmsError. */
  HANDLER: 'ERR_HANDLER',
  /** The `dedup.store` could not load or record handled critical messages. */
  DEDUP_STORE: 'ERR_DEDUP_STORE',
  /** The peer sent an envelope kind that has no meaning where it arrived (e.g. a reply on a request stream). */
  UNEXPECTED_KIND: 'ERR_UNEXPECTED_KIND',
  /** The `metrics` option's address could not be bound. */
  METRICS_LISTEN: 'ERR_METRICS_LISTEN',
  /** A malformed argument, such as an agent id outside the allowed characters. */
  INVALID_ARGUMENT: 'ERR_INVALID_ARGUMENT',
} as const

/**
 * `type` of an `error` envelope raised by a user handler, as opposed to one the agent itself raised (no handler,
 * bad schema...). Lets the caller tell `ERR_REMOTE` apart from the agent's own codes.
 */
export const HANDLER_ERROR_TYPE = 'qms.handler'
/** `type` of an `error` envelope the receiving agent raised on its own account. */
export const AGENT_ERROR_TYPE = 'qms.agent'
