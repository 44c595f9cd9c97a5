import { QmsError } from '@quic-multistream/protocol'
import type { ConnectOptions, QuicEndpoint } from '../options.js'
import { H3Error, WebTransportErrorCode } from './errors.js'
import { emptyWebTransportStats, H3Connection } from './h3-connection.js'
import { encodeFrame, FrameType, readFrame } from './h3-frames.js'
import { localSettings, peerSupportsWebTransport } from './h3-settings.js'
import { decodeFieldSection, encodeFieldSection, type HeaderList } from './qpack.js'
import { H3_ALPN } from './server.js'
import type { WebTransportSession } from './session.js'
import { StreamReader } from './stream-reader.js'

/** Options of {@link connectWebTransport}. */
export interface WebTransportConnectOptions {
  /** Server IP address or name. */
  host: string
  /** Server UDP port. */
  port: number
  /** Request path (with query). Default `/`. */
  path?: string
  /** TLS server name and `:authority` host; default `localhost`. */
  serverName?: string
  /** Verification for this server (e.g. `pinSha256`, as a browser's `serverCertificateHashes`). */
  tls?: ConnectOptions['tls']
  /** Extra request headers (names lowercase), e.g. `origin`. */
  headers?: Record<string, string>
  /** Deadline for the QUIC handshake plus the CONNECT exchange. Default 5,000 ms. */
  timeoutMs?: number
  signal?: AbortSignal
}

const HEADERS_ONLY: ReadonlySet<number> = new Set([FrameType.HEADERS])

/**
 * Opens a WebTransport session from Node, as a browser would: a QUIC connection with ALPN `h3`, SETTINGS, then an
 * extended CONNECT. The session is a `QuicConnection`; closing it closes the QUIC connection too. Rejects with
 * `ERR_WEBTRANSPORT_REJECTED` (details.status) when the server answers non-2xx.
 *
 * @example
 * ```ts
 * const session = await connectWebTransport(client, { host: '127.0.0.1', port, path: '/mesh', tls: { pinSha256 } })
 * const s = await session.openBidi()
 * ```
 */
export async function connectWebTransport(
  endpoint: QuicEndpoint,
  options: WebTransportConnectOptions,
): Promise<WebTransportSession> {
  const timeoutMs = options.timeoutMs ?? 5_000
  const deadline = Date.now() + timeoutMs
  const serverName = options.serverName ?? 'localhost'
  const quic = await endpoint.connect({
    host: options.host,
    port: options.port,
    serverName,
    alpn: [H3_ALPN],
    tls: options.tls,
    timeoutMs,
    signal: options.signal,
  })
  const h3 = new H3Connection(quic, localSettings(1), emptyWebTransportStats())
  h3.start()
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new QmsError(WebTransportErrorCode.TIMEOUT, `no WebTransport session within ${timeoutMs} ms`, {
            details: { host: options.host, port: options.port, timeoutMs },
          }),
        ),
      Math.max(0, deadline - Date.now()),
    )
  })
  try {
    const settings = await Promise.race([h3.peerSettings, timeout])
    if (!peerSupportsWebTransport(settings)) {
      throw new QmsError(WebTransportErrorCode.SETTINGS, 'the server does not announce WebTransport support', {
        details: { settings: Object.fromEntries(settings) },
      })
    }
    const path = options.path ?? '/'
    const request: HeaderList = [
      [':method', 'CONNECT'],
      [':protocol', 'webtransport'],
      [':scheme', 'https'],
      [':authority', `${serverName}:${options.port}`],
      [':path', path],
      ['sec-webtransport-http3-draft02', '1'],
      ...Object.entries(options.headers ?? {}),
    ]
    const stream = await quic.openBidi()
    await stream.write(encodeFrame(FrameType.HEADERS, encodeFieldSection(request)))
    const reader = new StreamReader(stream[Symbol.asyncIterator]())
    const response = await Promise.race([readResponse(reader), timeout])
    const status = Number(response.find(([n]) => n === ':status')?.[1])
    if (!(status >= 200 && status < 300)) {
      throw new QmsError(WebTransportErrorCode.REJECTED, `the server refused the WebTransport session: ${status}`, {
        details: { status, path },
      })
    }
    return h3.addSession(stream.id, stream, reader, path, response)
  } catch (e) {
    void quic.close(H3Error.NO_ERROR, '')
    if (e instanceof QmsError) throw e
    throw new QmsError(WebTransportErrorCode.PROTOCOL, `WebTransport handshake failed: ${(e as Error).message}`, {
      cause: e,
    })
  } finally {
    clearTimeout(timer)
  }
}

/** Reads the response HEADERS (skipping interim 1xx responses and unknown frames). */
async function readResponse(reader: StreamReader): Promise<HeaderList> {
  for (;;) {
    const frame = await readFrame(reader, HEADERS_ONLY)
    if (frame === null) {
      throw new QmsError(WebTransportErrorCode.PROTOCOL, 'the server ended the CONNECT stream without a response', {
        details: { h3Code: H3Error.REQUEST_INCOMPLETE },
      })
    }
    if (frame.type !== FrameType.HEADERS) continue
    const headers = decodeFieldSection(frame.payload)
    const status = headers.find(([n]) => n === ':status')?.[1] ?? ''
    if (!status.startsWith('1')) return headers
  }
}
