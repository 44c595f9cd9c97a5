/** A page in headless Chromium running the transport harness (page-harness.ts), and its Node-side proxy maker. */
import { fileURLToPath } from 'node:url'
import { type BundlePage, openBundlePage } from './browser-page.js'
import { PageHarness } from './proxy-connection.js'

/** A browser whose page has the harness loaded. */
export interface HarnessBrowser extends BundlePage {
  harness: PageHarness
}

/** Bundles the harness, serves it, launches Chromium and loads it. */
export async function openHarnessPage(): Promise<HarnessBrowser> {
  let harness: PageHarness | undefined
  const page = await openBundlePage({
    entry: fileURLToPath(new URL('./page-harness.ts', import.meta.url)),
    readyGlobal: 'qmsHarness',
    beforeLoad: async (p) => {
      harness = await PageHarness.attach(p)
    },
  })
  return { ...page, harness: harness! }
}
