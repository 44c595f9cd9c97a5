/** Validation of an extended CONNECT request for WebTransport (RFC 9114 §4.3.1, RFC 9220 §3). */
import type { HeaderList } from './qpack.js'

const REQUEST_PSEUDO: ReadonlySet<string> = new Set([':method', ':scheme', ':authority', ':path', ':protocol'])

/** A request's verdict: a WebTransport CONNECT, a well-formed request we answer with a status, or malformed. */
export type ConnectVerdict =
  | { kind: 'webtransport'; path: string; authority: string; origin: string | undefined }
  | { kind: 'status'; status: number; reason: string }
  | { kind: 'malformed'; reason: string }

/** Judges a decoded request header section. */
export function judgeConnect(headers: HeaderList): ConnectVerdict {
  const pseudo = new Map<string, string>()
  let regular = false
  for (const [name, value] of headers) {
    if (name !== name.toLowerCase() || name.length === 0) return malformed(`header name ${name} is not lowercase`)
    if (name.startsWith(':')) {
      if (regular) return malformed(`pseudo-header ${name} after regular headers`)
      if (!REQUEST_PSEUDO.has(name)) return malformed(`unknown pseudo-header ${name}`)
      if (pseudo.has(name)) return malformed(`pseudo-header ${name} repeated`)
      pseudo.set(name, value)
    } else {
      regular = true
      if (name === 'connection' || name === 'transfer-encoding' || name === 'upgrade') {
        return malformed(`connection-specific header ${name}`)
      }
    }
  }
  const method = pseudo.get(':method')
  if (method === undefined) return malformed('no :method')
  const protocol = pseudo.get(':protocol')
  if (protocol !== undefined && method !== 'CONNECT') return malformed(':protocol on a non-CONNECT request')
  if (method !== 'CONNECT') {
    if (!pseudo.has(':scheme') || !pseudo.has(':path')) return malformed('request without :scheme or :path')
    return { kind: 'status', status: 405, reason: 'only WebTransport CONNECT is served here' }
  }
  if (protocol === undefined) {
    // Classic CONNECT (a TCP tunnel) carries only :method and :authority.
    if (pseudo.has(':scheme') || pseudo.has(':path')) return malformed('CONNECT with :scheme or :path but no :protocol')
    return { kind: 'status', status: 405, reason: 'CONNECT tunnels are not served' }
  }
  const scheme = pseudo.get(':scheme')
  const path = pseudo.get(':path')
  const authority = pseudo.get(':authority')
  if (!scheme || !path || !authority) return malformed('extended CONNECT needs :scheme, :path and :authority')
  if (protocol !== 'webtransport') return { kind: 'status', status: 501, reason: `protocol ${protocol} is not served` }
  if (scheme !== 'https') return { kind: 'status', status: 400, reason: 'WebTransport needs https' }
  if (!path.startsWith('/')) return { kind: 'status', status: 400, reason: 'path must start with /' }
  const origin = headers.find(([n]) => n === 'origin')?.[1]
  return { kind: 'webtransport', path, authority, origin }
}

function malformed(reason: string): ConnectVerdict {
  return { kind: 'malformed', reason }
}

/** The path without its query string. */
export function pathname(path: string): string {
  const q = path.indexOf('?')
  return q < 0 ? path : path.slice(0, q)
}
