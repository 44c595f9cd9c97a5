import { isQmsError } from '@quic-multistream/protocol'

/** Exit codes of `qms`, so scripts can tell a typo from a dead server from a wrong certificate. */
export const ExitCode = {
  OK: 0,
  /** Bad command line: unknown command or flag, malformed address, number or pin, unusable certificate files. */
  USAGE: 1,
  /** Nobody answered in time (closed port, wrong host, firewall), or the peer refused the connection. */
  UNREACHABLE: 2,
  /** TLS failed: the certificate matches no pin, is expired, is signed by an unknown CA, or ALPN does not match. */
  TLS: 3,
  /** Anything else: a protocol error, a reply that differs from what was sent, a socket that cannot be bound. */
  FAILED: 4,
} as const

/** One of the values of {@link ExitCode}. */
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode]

const byCode: Record<string, ExitCodeValue> = {
  ERR_USAGE: ExitCode.USAGE,
  ERR_INVALID_ARGUMENT: ExitCode.USAGE,
  ERR_TLS_BAD_PIN: ExitCode.USAGE,
  ERR_TLS_BAD_FILE: ExitCode.USAGE,
  ERR_TLS_BAD_KEY: ExitCode.USAGE,
  ERR_CONNECT_TIMEOUT: ExitCode.UNREACHABLE,
  ERR_CONNECTION_REFUSED: ExitCode.UNREACHABLE,
  ERR_IDLE_TIMEOUT: ExitCode.UNREACHABLE,
  ERR_PEER_UNREACHABLE: ExitCode.UNREACHABLE,
  ERR_TIMEOUT: ExitCode.UNREACHABLE,
}

/**
 * The exit code for an error, from its `code` (`QmsError`s and Node's `ERR_PARSE_ARGS_*` errors carry one). An
 * `ERR_AUTH` caused by a TLS failure counts as TLS: agents wrap certificate errors that way.
 */
export function exitCodeFor(error: unknown): ExitCodeValue {
  const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : ''
  if (code in byCode) return byCode[code]!
  if (code.startsWith('ERR_PARSE_ARGS_')) return ExitCode.USAGE
  if (code.startsWith('ERR_TLS_')) return ExitCode.TLS
  if (isQmsError(error) && error.cause !== undefined) return exitCodeFor(error.cause)
  return ExitCode.FAILED
}
