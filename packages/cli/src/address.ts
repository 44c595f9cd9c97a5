import { isIP } from 'node:net'
import type { SocketAddress } from '@quic-multistream/transport'
import { UsageError } from './usage-error.js'

/** Parses `host:port` or `[ipv6]:port`; `allowZero` admits port 0 (any free port) for listening. */
export function parseHostPort(text: string, allowZero = false): SocketAddress {
  const m = /^(?:\[([^\]]+)\]|([^:[\]\s]+)):(\d{1,5})$/.exec(text)
  const host = m?.[1] ?? m?.[2]
  const port = Number(m?.[3] ?? Number.NaN)
  if (host === undefined || !(port >= (allowZero ? 0 : 1) && port <= 65_535)) {
    throw new UsageError(`bad address "${text}": expected host:port or [ipv6]:port with a port from 1 to 65535`)
  }
  if (m?.[1] !== undefined && isIP(host) !== 6) {
    throw new UsageError(`bad address "${text}": only an IPv6 address goes in brackets`)
  }
  return { host, port }
}

/** `host:port`, IPv6 in brackets. */
export function showAddress(address: SocketAddress): string {
  return address.host.includes(':') ? `[${address.host}]:${address.port}` : `${address.host}:${address.port}`
}

/** The wildcard a client socket binds to reach `host`, in its address family. */
export function anyAddressFor(host: string): string {
  return isIP(host) === 6 ? '::' : '0.0.0.0'
}
