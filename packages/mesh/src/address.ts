import { QmsError } from '@quic-multistream/protocol'
import type { SocketAddress } from '@quic-multistream/transport'

/**
 * Parses `host:port` (IPv6 hosts in brackets: `[::1]:4000`).
 * @throws QmsError `ERR_INVALID_ARGUMENT` for anything else.
 */
export function parseAddress(address: string): SocketAddress {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(address)
  const port = m ? Number(m[3]) : Number.NaN
  if (!m || port > 65_535) {
    throw new QmsError('ERR_INVALID_ARGUMENT', `"${address}" is not a host:port address`, { details: { address } })
  }
  return { host: (m[1] ?? m[2]) as string, port }
}

/** Formats an address as `host:port`, bracketing IPv6 hosts. */
export function formatAddress(address: SocketAddress): string {
  return address.host.includes(':') ? `[${address.host}]:${address.port}` : `${address.host}:${address.port}`
}
