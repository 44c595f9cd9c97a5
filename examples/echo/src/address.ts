import { isIP } from 'node:net'
import { QmsError, type SocketAddress } from '@quic-multistream/transport'

/**
 * Parses `host:port` (an IPv4 address or a host name) or `[ipv6]:port`. Throws `ERR_INVALID_ARGUMENT` with a
 * message that says what was expected.
 */
export function parseAddress(text: string): SocketAddress {
  const bracketed = /^\[([^\]]+)\]:([^:]*)$/.exec(text)
  const plain = /^([^:[\]]+):([^:]*)$/.exec(text)
  const match = bracketed ?? plain
  if (match === null) {
    throw new QmsError('ERR_INVALID_ARGUMENT', `bad address "${text}": expected host:port or [ipv6]:port`)
  }
  const host = match[1]!
  if (bracketed !== null && isIP(host) !== 6) {
    throw new QmsError('ERR_INVALID_ARGUMENT', `bad address "${text}": only an IPv6 address goes in brackets`)
  }
  const port = /^\d{1,5}$/.test(match[2]!) ? Number(match[2]) : 0
  if (port < 1 || port > 65_535) {
    throw new QmsError('ERR_INVALID_ARGUMENT', `bad address "${text}": the port must be a number from 1 to 65535`)
  }
  return { host, port }
}

/** `host:port`, with IPv6 addresses in brackets so the result parses back with {@link parseAddress}. */
export function formatAddress(address: SocketAddress): string {
  return address.host.includes(':') ? `[${address.host}]:${address.port}` : `${address.host}:${address.port}`
}

/** The wildcard address a client socket should bind to reach `host` (the transport resolves names in its family). */
export function wildcardFor(host: string): string {
  return isIP(host) === 6 ? '::' : '0.0.0.0'
}
