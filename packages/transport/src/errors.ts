import { QmsError } from '@quic-multistream/protocol'

/** Error codes raised by the transport. Stable: match on these, not on messages. */
export const TransportErrorCode = {
  CONNECT_TIMEOUT: 'ERR_CONNECT_TIMEOUT',
  CONNECTION_REFUSED: 'ERR_CONNECTION_REFUSED',
  CONNECTION_CLOSED: 'ERR_CONNECTION_CLOSED',
  IDLE_TIMEOUT: 'ERR_IDLE_TIMEOUT',
  ABORTED: 'ERR_ABORTED',
  STREAM_RESET: 'ERR_STREAM_RESET',
  STREAM_STOPPED: 'ERR_STREAM_STOPPED',
  STREAM_CLOSED: 'ERR_STREAM_CLOSED',
  STREAM_STATE: 'ERR_STREAM_STATE',
  DATAGRAM_TOO_LARGE: 'ERR_DATAGRAM_TOO_LARGE',
  DATAGRAMS_DISABLED: 'ERR_DATAGRAMS_DISABLED',
  TLS_HANDSHAKE: 'ERR_TLS_HANDSHAKE',
  TLS_BAD_CERTIFICATE: 'ERR_TLS_BAD_CERTIFICATE',
  TLS_UNKNOWN_CA: 'ERR_TLS_UNKNOWN_CA',
  TLS_CERT_EXPIRED: 'ERR_TLS_CERT_EXPIRED',
  TLS_CERT_REQUIRED: 'ERR_TLS_CERT_REQUIRED',
  TLS_NO_ALPN: 'ERR_TLS_NO_ALPN',
  TLS_PIN_MISMATCH: 'ERR_TLS_PIN_MISMATCH',
  TLS_CONFIG: 'ERR_TLS_CONFIG',
  LIMIT_CONNECTIONS: 'ERR_LIMIT_CONNECTIONS',
  PROTOCOL: 'ERR_QUIC_PROTOCOL',
  ENDPOINT_CLOSED: 'ERR_ENDPOINT_CLOSED',
  BIND_FAILED: 'ERR_BIND_FAILED',
  TLS_BAD_PIN: 'ERR_TLS_BAD_PIN',
  TLS_BAD_FILE: 'ERR_TLS_BAD_FILE',
  TLS_BAD_KEY: 'ERR_TLS_BAD_KEY',
  TLS_GENERATE: 'ERR_TLS_GENERATE',
  INVALID_ARGUMENT: 'ERR_INVALID_ARGUMENT',
  /** The memory test double: the `host:port` is already bound on its network. */
  ADDRESS_IN_USE: 'ERR_ADDRESS_IN_USE',
} as const

/** TLS alert numbers (RFC 8446 §6) as carried in QUIC crypto errors (0x100 + alert). */
const tlsAlertCodes: Record<number, string> = {
  42: TransportErrorCode.TLS_BAD_CERTIFICATE,
  43: TransportErrorCode.TLS_BAD_CERTIFICATE,
  45: TransportErrorCode.TLS_CERT_EXPIRED,
  46: TransportErrorCode.TLS_BAD_CERTIFICATE,
  48: TransportErrorCode.TLS_UNKNOWN_CA,
  116: TransportErrorCode.TLS_CERT_REQUIRED,
  120: TransportErrorCode.TLS_NO_ALPN,
}

/** Our own close codes for failures detected above the engine (pin mismatch, missing client certificate). */
export const LocalCloseCode = {
  /** bad_certificate alert as a QUIC crypto error. */
  BAD_CERTIFICATE: 0x100 + 42,
  CERTIFICATE_REQUIRED: 0x100 + 116,
  CONNECTION_REFUSED: 0x2,
} as const

/** Maps a QUIC transport/crypto error code to a stable error code. */
export function codeForQuicError(app: boolean, code: number): string {
  if (app) return TransportErrorCode.CONNECTION_CLOSED
  if (code >= 0x100 && code <= 0x1ff) return tlsAlertCodes[code - 0x100] ?? TransportErrorCode.TLS_HANDSHAKE
  if (code === 0x2) return TransportErrorCode.CONNECTION_REFUSED
  if (code === 0) return TransportErrorCode.CONNECTION_CLOSED
  return TransportErrorCode.PROTOCOL
}

export function transportError(code: string, message: string, details?: Record<string, unknown>, cause?: unknown) {
  return new QmsError(code, message, { details, cause })
}
