/**
 * A page in headless Chromium that imported a bundle built by `buildBrowserBundle`: the browser bundle itself (as
 * `globalThis.qms`) or a test's own page module.
 */
import { type BrowserHandle, launchBrowser, servePage } from '@qms/test-utils/browser'
import type { Page } from 'playwright-core'
import { buildBrowserBundle } from '../../src/bundler.js'

/** What the bundle exports, as a page script sees it. */
export type Qms = typeof import('../../src/browser.js')

/** Options of {@link openBundlePage}. */
export interface BundlePageOptions {
  /** Page module to bundle; default the browser bundle, imported as `globalThis.qms`. */
  entry?: string
  /** Global the page defines once it is ready. Default `qms`. */
  readyGlobal?: string
  /** Runs before the page loads (e.g. `page.exposeBinding`). */
  beforeLoad?: (page: Page) => Promise<void>
}

/** A browser whose page loaded the bundle. */
export interface BundlePage {
  page: Page
  browser: BrowserHandle
  close(): Promise<void>
}

/** Builds the bundle, serves it from 127.0.0.1, launches Chromium and waits until the page is ready. */
export async function openBundlePage(options: BundlePageOptions = {}): Promise<BundlePage> {
  const { code } = await buildBrowserBundle(options.entry === undefined ? {} : { entry: options.entry })
  const script = options.entry
    ? '<script type="module" src="/page.js"></script>'
    : '<script type="module">import * as qms from "/page.js"; globalThis.qms = qms</script>'
  const pages = await servePage({ 'index.html': `<!doctype html><title>qms</title>${script}`, 'page.js': code })
  const browser = await launchBrowser({ onConsole: (line) => process.env.QMS_BROWSER_LOG && console.error(line) })
  const close = async () => {
    await browser.close()
    await pages.close()
  }
  try {
    await options.beforeLoad?.(browser.page)
    await browser.page.goto(pages.url)
    const ready = options.readyGlobal ?? 'qms'
    await browser.page.waitForFunction((name) => name in globalThis, ready)
    return { page: browser.page, browser, close }
  } catch (e) {
    await close()
    throw e
  }
}
