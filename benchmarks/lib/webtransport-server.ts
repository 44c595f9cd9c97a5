/**
 * The WebTransport server both browser benches measure against (packages/transport and packages/browser): our HTTP/3
 * endpoint on 127.0.0.1 with a dev certificate a page can pin. Paths: `/echo` echoes every chunk; `/sink` reads a
 * stream to its end and answers with the byte count (float64); `/source` reads an 8-byte float64 and sends that many
 * bytes.
 */
import {
  createEndpoint,
  type DevCertificate,
  generateDevCertificate,
  type QuicConnection,
  type QuicStream,
  withWebTransport,
} from '@quic-multistream/transport'

export interface WebTransportBenchServer {
  cert: DevCertificate
  port: number
  /** `https://127.0.0.1:<port><path>` */
  url(path: string): string
  close(): Promise<void>
}

async function serveStream(path: string, s: QuicStream): Promise<void> {
  if (path === '/echo') {
    for await (const chunk of s) await s.write(chunk)
    await s.end()
    return
  }
  if (path === '/sink') {
    let n = 0
    for await (const chunk of s) n += chunk.length
    const reply = new Uint8Array(8)
    new DataView(reply.buffer).setFloat64(0, n)
    await s.end(reply)
    return
  }
  const parts: Uint8Array[] = []
  for await (const chunk of s) parts.push(chunk)
  let left = Buffer.concat(parts).readDoubleBE(0)
  const chunk = new Uint8Array(256 * 1024)
  while (left > 0) {
    const n = Math.min(left, chunk.length)
    await s.write(chunk.subarray(0, n))
    left -= n
  }
  await s.end()
}

function serve(conn: QuicConnection): void {
  const path = (conn as { path?: string }).path ?? ''
  void (async () => {
    for await (const s of conn.incomingStreams) void serveStream(path, s).catch(() => {})
  })().catch(() => {})
}

export async function startWebTransportBenchServer(): Promise<WebTransportBenchServer> {
  const cert = await generateDevCertificate()
  const endpoint = await createEndpoint({ alpn: ['qms/1', 'h3'], tls: { cert: cert.cert, key: cert.key } })
  const server = withWebTransport(endpoint, { paths: ['/echo', '/sink', '/source'] })
  void (async () => {
    for await (const conn of server.incomingConnections) serve(conn)
  })()
  const { port } = endpoint.address
  return {
    cert,
    port,
    url: (path) => `https://127.0.0.1:${port}${path}`,
    close: () => server.close({ timeoutMs: 500 }),
  }
}
