import { QmsError } from '@quic-multistream/protocol'
import type { TransportErrorCode } from '@quic-multistream/transport'

type TransportCode = (typeof TransportErrorCode)[keyof typeof TransportErrorCode]

/**
 * Error codes the browser transport raises: the transport's own codes (same strings, so callers match them the same
 * way for native and browser connections) plus the ones only a page can hit.
 */
export const BrowserErrorCode = {
  CONNECT_TIMEOUT: 'ERR_CONNECT_TIMEOUT',
  CONNECTION_CLOSED: 'ERR_CONNECTION_CLOSED',
  ABORTED: 'ERR_ABORTED',
  STREAM_RESET: 'ERR_STREAM_RESET',
  STREAM_STOPPED: 'ERR_STREAM_STOPPED',
  STREAM_CLOSED: 'ERR_STREAM_CLOSED',
  STREAM_STATE: 'ERR_STREAM_STATE',
  DATAGRAM_TOO_LARGE: 'ERR_DATAGRAM_TOO_LARGE',
  DATAGRAMS_DISABLED: 'ERR_DATAGRAMS_DISABLED',
  INVALID_ARGUMENT: 'ERR_INVALID_ARGUMENT',
  /** The page has no `WebTransport` (an old browser, or a page not served from a secure context). */
  UNSUPPORTED: 'ERR_UNSUPPORTED',
} as const satisfies Record<string, TransportCode | 'ERR_UNSUPPORTED'>

/** What a failed WebTransport call threw, as a `QmsError` with a stable code. */
export function fromWebTransportError(e: unknown, fallback: string, message: string): QmsError {
  if (e instanceof QmsError) return e
  const wt = asWebTransportError(e)
  if (wt?.source === 'session') {
    return new QmsError(BrowserErrorCode.CONNECTION_CLOSED, `${message}: the session is closed`, { cause: e })
  }
  const details = wt?.streamErrorCode == null ? undefined : { code: wt.streamErrorCode }
  return new QmsError(fallback, `${message}: ${e instanceof Error ? e.message : String(e)}`, { cause: e, details })
}

/** The `WebTransportError` fields of `e`, when it is one (checked by shape: Node has no such class). */
export function asWebTransportError(
  e: unknown,
): { source: 'session' | 'stream'; streamErrorCode: number | null } | undefined {
  if (typeof e !== 'object' || e === null || !('source' in e)) return undefined
  const { source, streamErrorCode } = e as { source: unknown; streamErrorCode?: unknown }
  if (source !== 'session' && source !== 'stream') return undefined
  return { source, streamErrorCode: typeof streamErrorCode === 'number' ? streamErrorCode : null }
}
