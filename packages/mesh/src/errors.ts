import { QmsError } from '@quic-multistream/protocol'

/** Error codes raised by the mesh (registry, connection pool, lanes). */
export const MeshErrorCode = {
  /** No registry knows the agent id. */
  UNKNOWN_PEER: 'ERR_UNKNOWN_PEER',
  /** The peer is known but could not be reached (dials failed, or the connection died mid-call). */
  PEER_UNREACHABLE: 'ERR_PEER_UNREACHABLE',
  /** A lane's send queue is full and the caller asked to fail fast. */
  QUEUE_FULL: 'ERR_QUEUE_FULL',
  /** The peer's token was wrong or missing, or it claimed another id than expected. */
  AUTH: 'ERR_AUTH',
  /** The hello exchange broke off or timed out. */
  HANDSHAKE: 'ERR_HANDSHAKE',
  /** The caller's AbortSignal fired. */
  ABORTED: 'ERR_ABORTED',
  /** The pool or registry was closed. */
  CLOSED: 'ERR_CLOSED',
  /** The registry refused or could not complete an operation. */
  REGISTRY: 'ERR_REGISTRY',
  /** A registry call got no answer in time. */
  TIMEOUT: 'ERR_TIMEOUT',
  /** A registry request's body was not what the operation needs. */
  SCHEMA: 'ERR_SCHEMA',
  /** A registry request named an operation the registry does not have. */
  UNKNOWN_TYPE: 'ERR_UNKNOWN_TYPE',
  /** A frame channel (one lane stream) ended while frames were still queued on it. */
  STREAM_CLOSED: 'ERR_STREAM_CLOSED',
  /** A malformed argument: an agent id, address or topic that cannot be valid. */
  INVALID_ARGUMENT: 'ERR_INVALID_ARGUMENT',
} as const

// Transport codes meaning a certificate failed verification, on either side: for the mesh, failed authentication.
const TLS_REJECTIONS: ReadonlySet<string> = new Set([
  'ERR_TLS_HANDSHAKE',
  'ERR_TLS_BAD_CERTIFICATE',
  'ERR_TLS_UNKNOWN_CA',
  'ERR_TLS_CERT_EXPIRED',
  'ERR_TLS_CERT_REQUIRED',
  'ERR_TLS_PIN_MISMATCH',
])

/**
 * `e` as the mesh reports it: a TLS verification failure (ours of the peer, or the peer's of us) becomes
 * `ERR_AUTH` with the transport's error as `cause`, like a wrong token; anything else is returned unchanged.
 */
export function asAuthFailure(e: unknown, peer: string): unknown {
  if (!(e instanceof QmsError) || !TLS_REJECTIONS.has(e.code)) return e
  return new QmsError(MeshErrorCode.AUTH, `TLS authentication with ${peer} failed: ${e.message}`, {
    cause: e,
    details: { peer, tlsCode: e.code },
  })
}

/**
 * Application close codes the mesh puts on QUIC CONNECTION_CLOSE, so the far side (and packet captures) can tell why
 * a connection ended.
 */
export const CloseCode = {
  /** Orderly close (shutdown or eviction). */
  NORMAL: 0,
  /** The peer failed authentication. */
  AUTH: 0x4101,
  /** The peer broke the mesh protocol (no hello, malformed handshake). */
  PROTOCOL: 0x4102,
  /** Closed because it was idle. */
  IDLE: 0x4103,
  /** The pool was full and this was the least recently used connection. */
  EVICTED: 0x4104,
  /** A simultaneous dial left two connections; this is the one not kept. */
  DUPLICATE: 0x4105,
  /** A new instance of the same agent (a restarted process) said hello; this connection went to the old one. */
  REPLACED: 0x4106,
} as const
