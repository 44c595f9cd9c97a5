import { mkdir } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { type BrowserHandle, launchBrowser } from '@qms/test-utils/browser'
import { Agent } from '@quic-multistream/agent'
import { RemoteRegistry } from '@quic-multistream/mesh'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Dashboard, startDashboard, startTelemetryReporter } from '../../../examples/dashboard/src/index.js'

const artifacts = fileURLToPath(new URL('./artifacts/', import.meta.url))
let dashboard: Dashboard
let worker: Agent
let stopReporting: () => void
let browser: BrowserHandle

const tile = async (id: string) => (await browser.page.locator(`#${id}`).textContent()) ?? ''

beforeAll(async () => {
  dashboard = await startDashboard({ intervalMs: 250, token: 'dash' })
  worker = await Agent.start({
    id: 'worker-1',
    token: 'dash',
    tls: { pinSha256: [dashboard.certificateHash] },
    registry: new RemoteRegistry({ address: dashboard.address, id: dashboard.agent.id }),
  })
  stopReporting = startTelemetryReporter(worker, { intervalMs: 250, role: 'worker' })
  browser = await launchBrowser({ onConsole: (line) => process.env.QMS_BROWSER_LOG && console.error(line) })
}, 60_000)

afterAll(async () => {
  stopReporting?.()
  await browser?.close()
  await worker?.stop()
  await dashboard?.close()
})

describe('the dashboard page', () => {
  it('joins the mesh from the browser and shows live telemetry that changes', async () => {
    await browser.page.goto(dashboard.url)
    await expect.poll(() => tile('status'), { timeout: 15_000 }).toMatch(/^joined the mesh as dashboard-page-/)
    // Both Node agents report; the page counts itself in the registry view too.
    await expect.poll(() => tile('reporting'), { timeout: 10_000 }).toBe('2')
    await expect.poll(async () => Number(await tile('agents')), { timeout: 10_000 }).toBeGreaterThanOrEqual(3)
    const before = { reports: Number(await tile('reports')), bytes: await tile('bytes') }
    await expect.poll(async () => Number(await tile('reports')), { timeout: 10_000 }).toBeGreaterThan(before.reports)
    await expect.poll(() => tile('bytes'), { timeout: 10_000 }).not.toBe(before.bytes)
    expect(await browser.page.locator('#agent-rows tr').count()).toBe(2)
    // A few seconds of history in the charts make the screenshot worth looking at.
    await expect.poll(async () => Number(await tile('reports')), { timeout: 10_000 }).toBeGreaterThan(20)
    await mkdir(artifacts, { recursive: true })
    await browser.page.screenshot({ path: `${artifacts}dashboard.png`, fullPage: true })
  })
})
