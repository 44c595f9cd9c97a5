/**
 * Every error quic-multistream raises on purpose is a {@link QmsError}: callers branch on the stable string
 * `code`, never on message text, and the original failure (if any) rides along as `cause`.
 *
 * Codes are grouped by layer: `ERR_FRAME_*`, `ERR_SCHEMA`, `ERR_UNKNOWN_TYPE` (protocol); `ERR_TLS_*`,
 * `ERR_CONNECT_*`, `ERR_STREAM_*`, `ERR_LIMIT_*`, `ERR_DATAGRAM_*` (transport); `ERR_QUEUE_FULL`,
 * `ERR_UNKNOWN_PEER`, `ERR_PEER_UNREACHABLE` (mesh); `ERR_TIMEOUT`, `ERR_REMOTE`, `ERR_NO_RESPONDERS`, `ERR_ABORTED`
 * (agent).
 */
export class QmsError extends Error {
  /** Stable machine-readable code, e.g. `ERR_FRAME_TOO_LARGE`. Never changes meaning between releases. */
  readonly code: string
  /** Extra structured facts about the failure (e.g. the QUIC error code, the limit that was hit). */
  readonly details: Readonly<Record<string, unknown>> | undefined

  constructor(code: string, message: string, options: { cause?: unknown; details?: Record<string, unknown> } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'QmsError'
    this.code = code
    this.details = options.details
  }
}

/** True when `err` is a {@link QmsError}, optionally with the given code. Works across package copies. */
export function isQmsError(err: unknown, code?: string): err is QmsError {
  if (!(err instanceof Error)) return false
  const c = (err as { code?: unknown }).code
  if (typeof c !== 'string' || !c.startsWith('ERR_')) return false
  return code === undefined || c === code
}

/** Error codes raised by the protocol package. */
export const ProtocolErrorCode = {
  FRAME_TOO_LARGE: 'ERR_FRAME_TOO_LARGE',
  FRAME_MALFORMED: 'ERR_FRAME_MALFORMED',
  FRAME_TRUNCATED: 'ERR_FRAME_TRUNCATED',
  ENVELOPE_INVALID: 'ERR_ENVELOPE_INVALID',
  SCHEMA: 'ERR_SCHEMA',
  UNKNOWN_TYPE: 'ERR_UNKNOWN_TYPE',
  DUPLICATE_TYPE: 'ERR_DUPLICATE_TYPE',
  /** The envelope holds a value msgpack cannot carry (e.g. a BigInt wider than 64 bits). */
  ENCODE_FAILED: 'ERR_ENCODE_FAILED',
  /** An option or argument outside its documented range (e.g. a `maxFrameSize` of 0). */
  INVALID_ARGUMENT: 'ERR_INVALID_ARGUMENT',
} as const
