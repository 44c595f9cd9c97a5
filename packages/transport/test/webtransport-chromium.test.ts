import { readFileSync } from 'node:fs'
import { echoStreams, serverCert } from '@qms/test-utils'
import { type BrowserHandle, launchBrowser, type PageServer, servePage } from '@qms/test-utils/browser'
import {
  createEndpoint,
  type QuicConnection,
  type WebTransportEndpoint,
  withWebTransport,
} from '@quic-multistream/transport'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

// The real browser: Debian Chromium 156, headless, speaks HTTP/3 WebTransport to our endpoint over UDP on 127.0.0.1.
const pageScript = readFileSync(new URL('./fixtures/webtransport-page.js', import.meta.url), 'utf8')

let browser: BrowserHandle
let pages: PageServer
let server: WebTransportEndpoint
let hash: number[]
const sessions: QuicConnection[] = []
const waiting: Array<(c: QuicConnection) => void> = []
const consoleLines: string[] = []

/** Echoes every stream (test-utils' echo service) and every datagram of a session. */
function serveEcho(conn: QuicConnection): void {
  echoStreams(conn)
  void (async () => {
    for await (const d of conn.incomingDatagrams) conn.sendDatagram(d)
  })().catch(() => {})
}

function nextSession(): Promise<QuicConnection> {
  return new Promise((resolve) => waiting.push(resolve))
}

const url = (path: string) => `https://127.0.0.1:${server.address.port}${path}`

beforeAll(async () => {
  const cert = await serverCert()
  hash = [...cert.sha256Bytes]
  const endpoint = await createEndpoint({ alpn: ['qms/1', 'h3'], tls: { cert: cert.cert, key: cert.key } })
  server = withWebTransport(endpoint, { paths: ['/echo', '/push'] })
  void (async () => {
    for await (const conn of server.incomingConnections) {
      sessions.push(conn)
      const w = waiting.shift()
      if (w) w(conn)
      else serveEcho(conn)
    }
  })()
  pages = await servePage({
    'index.html': '<!doctype html><title>webtransport</title><script src="page.js"></script>',
    'page.js': pageScript,
  })
  browser = await launchBrowser({ onConsole: (line) => consoleLines.push(line) })
  await browser.page.goto(pages.url)
})

afterAll(async () => {
  await browser?.close()
  await pages?.close()
  await server?.close({ timeoutMs: 500 })
})

describe('WebTransport from a real Chromium', () => {
  it('echoes a bidi stream, a uni stream and a datagram, and the server sees the close code and reason', async () => {
    const result = await browser.page.evaluate(([u, h]) => window.echoSession(u, h), [url('/echo'), hash] as const)
    expect(result).toEqual({
      bidi: 'bidi from chromium',
      uni: 'uni from chromium',
      datagram: 'datagram from chromium',
      closed: { closeCode: 7, reason: 'bye from chromium' },
    })
    const session = sessions.at(-1) as QuicConnection
    expect(session.alpn).toBe('webtransport')
    expect(await session.closed).toMatchObject({ code: 7, reason: 'bye from chromium', remote: true, app: true })
  })

  it('carries streams the server opens to the page, and the page sees the server close the session', async () => {
    const accepted = nextSession()
    const running = browser.page.evaluate(([u, h]) => window.serveEcho(u, h), [url('/push'), hash] as const)
    const session = await accepted
    const replies = await Promise.all(
      ['one', 'two', 'three'].map(async (text) => {
        const s = await session.openBidi()
        await s.end(Buffer.from(`server ${text}`))
        const chunks: Uint8Array[] = []
        for await (const c of s) chunks.push(c)
        return Buffer.concat(chunks).toString()
      }),
    )
    expect(replies).toEqual(['server one', 'server two', 'server three'])
    // See docs/browser.md: closing before the page's own stream ends have settled races inside Chromium.
    expect(await browser.page.evaluate(() => window.echoesDone())).toBe(3)
    await session.close(42, 'server done')
    expect(await running).toEqual({ closeCode: 42, reason: 'server done' })
  })

  it('refuses a session on an unknown path', async () => {
    const before = server.webTransportStats().requestsRejected
    const result = await browser.page.evaluate(([u, h]) => window.tryOpen(u, h), [url('/nowhere'), hash] as const)
    expect(result).toMatch(/^failed/)
    expect(server.webTransportStats().requestsRejected).toBe(before + 1)
  })
})

declare global {
  interface Window {
    echoSession(url: string, hash: readonly number[]): Promise<unknown>
    serveEcho(url: string, hash: readonly number[]): Promise<unknown>
    echoesDone(): Promise<number>
    tryOpen(url: string, hash: readonly number[]): Promise<string>
  }
}
