/**
 * The real browser for tests: Debian's headless Chromium driven by playwright-core (never a downloaded browser), and
 * a tiny static HTTP server for the pages it loads. `http://127.0.0.1` is a secure context, so pages served here
 * get `WebTransport` and other secure-only APIs.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer } from 'node:http'
import { tmpdir } from 'node:os'
import { extname, join } from 'node:path'
import { type BrowserContext, chromium, type Page } from 'playwright-core'

/** Where Debian installs Chromium. */
export const CHROMIUM_PATH = '/usr/bin/chromium'

/** A running headless Chromium with one page. */
export interface BrowserHandle {
  page: Page
  context: BrowserContext
  /** Closes the browser and deletes its profile directory. */
  close(): Promise<void>
}

/** Options of {@link launchBrowser}. */
export interface LaunchBrowserOptions {
  /** Extra Chromium command-line switches. */
  args?: string[]
  /** Receives the page's console messages and uncaught errors (useful when a test fails inside the page). */
  onConsole?: (line: string) => void
}

/** Launches headless Chromium with a fresh profile; always `close()` it (in afterAll). */
export async function launchBrowser(options: LaunchBrowserOptions = {}): Promise<BrowserHandle> {
  const profile = await mkdtemp(join(tmpdir(), 'qms-chromium-'))
  // QMS_CHROMIUM_NETLOG=<dir> keeps Chromium's own record of every QUIC frame it sent and received (the only view of
  // why the browser gave up on a connection); one file per launch.
  const netlogDir = process.env.QMS_CHROMIUM_NETLOG
  const netlog = netlogDir
    ? [
        `--log-net-log=${join(netlogDir, `netlog-${process.pid}-${Date.now()}.json`)}`,
        '--net-log-capture-mode=Everything',
      ]
    : []
  let context: BrowserContext
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        ...netlog,
        ...(options.args ?? []),
      ],
    })
  } catch (e) {
    await rm(profile, { recursive: true, force: true })
    throw e
  }
  const page = context.pages()[0] ?? (await context.newPage())
  const onConsole = options.onConsole
  if (onConsole) {
    page.on('console', (m) => onConsole(`[${m.type()}] ${m.text()}`))
    page.on('pageerror', (e) => onConsole(`[pageerror] ${e.message}`))
  }
  return {
    page,
    context,
    async close() {
      await context.close().catch(() => {})
      await rm(profile, { recursive: true, force: true })
    },
  }
}

/** A static page server on 127.0.0.1. */
export interface PageServer {
  /** Origin with a trailing slash, e.g. `http://127.0.0.1:41234/`. */
  url: string
  port: number
  close(): Promise<void>
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json',
  '.css': 'text/css',
  '.wasm': 'application/wasm',
  '.map': 'application/json',
}

/**
 * Serves `files` (path without leading slash → content) over HTTP on 127.0.0.1; `/` serves `index.html`. Anything
 * else is 404.
 */
export async function servePage(files: Record<string, string | Uint8Array>): Promise<PageServer> {
  const server = createServer((req, res) => {
    const path = decodeURIComponent((req.url ?? '/').split('?')[0] ?? '/').replace(/^\/+/, '') || 'index.html'
    const body = files[path]
    if (body === undefined) {
      res.writeHead(404).end()
      return
    }
    res.writeHead(200, {
      'content-type': CONTENT_TYPES[extname(path)] ?? 'application/octet-stream',
      'cache-control': 'no-store',
    })
    res.end(body)
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const address = server.address()
  const port = typeof address === 'object' && address ? address.port : 0
  return {
    url: `http://127.0.0.1:${port}/`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
