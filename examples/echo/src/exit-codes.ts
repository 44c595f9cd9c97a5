/** Exit codes of the echo client, so scripts can tell a typo from a dead server from a wrong certificate. */
export const ExitCode = {
  OK: 0,
  /** Anything else: a reply that differs from what was sent, a connection lost half-way. */
  FAILED: 1,
  /** Bad arguments: unknown flag, malformed or unresolvable address, malformed pin. */
  USAGE: 2,
  /** Nobody answered in time (closed port, wrong host, firewall), or the server refused the connection. */
  UNREACHABLE: 3,
  /** The handshake failed on TLS: the certificate matches no pin, is expired, or ALPN does not match. */
  TLS: 4,
} as const

const byErrorCode: Record<string, number> = {
  ERR_INVALID_ARGUMENT: ExitCode.USAGE,
  ERR_TLS_BAD_PIN: ExitCode.USAGE,
  ERR_CONNECT_TIMEOUT: ExitCode.UNREACHABLE,
  ERR_CONNECTION_REFUSED: ExitCode.UNREACHABLE,
}

/** The exit code for an error, from its `code` (`QmsError`s and Node's `ERR_PARSE_ARGS_*` errors carry one). */
export function exitCodeFor(error: unknown): number {
  const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : ''
  if (code in byErrorCode) return byErrorCode[code]!
  if (code.startsWith('ERR_PARSE_ARGS_')) return ExitCode.USAGE
  if (code.startsWith('ERR_TLS_')) return ExitCode.TLS
  return ExitCode.FAILED
}
