/**
 * The browser path through this package: headless Debian Chromium, our `WebTransportConnection` and the Agent in a
 * page, against our HTTP/3 server in this process over UDP on 127.0.0.1. Cases: `rtt` (1 KiB echo, one at a time on
 * one bidi stream), `bulk` (64 MiB page to server and server to page; MB/s = 10^6 bytes/s), `agent` (the page
 * agent's `request` to its gateway, 1 KiB body, one at a time). Medians over QMS_BENCH_RUNS (default 3).
 *
 *   node --conditions=source --import tsx packages/browser/bench/browser.bench.ts
 */
import { fileURLToPath } from 'node:url'
import { launchBrowser, servePage } from '@qms/test-utils/browser'
import { defineRequest } from '@quic-multistream/agent'
import { defineMessage } from '@quic-multistream/protocol'
import { z } from 'zod'
import {
  caseFilter,
  createEmitter,
  createFailureReporter,
  median,
  withTimeout,
} from '../../../benchmarks/lib/bench-kit.js'
import { startWebTransportBenchServer } from '../../../benchmarks/lib/webtransport-server.js'
import { buildBrowserBundle, startGatewayAgent } from '../src/index.js'
import type { BulkResult, bench, RttResult } from './bench-page.js'

const emit = createEmitter('browser')
const fail = createFailureReporter('browser')
const wanted = caseFilter()
const runs = Number(process.env.QMS_BENCH_RUNS ?? 3)
const RTT_MS = 1_000
const BULK_BYTES = 64 * 1024 * 1024

const server = await startWebTransportBenchServer()
const { cert } = server
const gateway = await startGatewayAgent({ id: 'bench-gateway', tls: cert })
const PingPong = defineRequest(
  defineMessage('bench.ping', z.object({ data: z.string() })),
  defineMessage('bench.pong', z.object({ data: z.string() })),
)
gateway.agent.handle(PingPong, (body) => PingPong.reply.of({ data: body.data }))
const { code } = await buildBrowserBundle({ entry: fileURLToPath(new URL('./bench-page.ts', import.meta.url)) })
const pages = await servePage({
  'index.html': '<!doctype html><title>bench</title><script type="module" src="/bench.js"></script>',
  'bench.js': code,
})
const browser = await launchBrowser()
const url = server.url
type Bench = typeof bench
const page = <K extends keyof Bench>(name: K, ...args: Parameters<Bench[K]>) =>
  browser.page.evaluate(
    ([n, a]) => {
      const b = (globalThis as unknown as { bench: Record<string, (...x: unknown[]) => unknown> }).bench
      return b[n]!(...a)
    },
    [name, args] as [string, unknown[]],
  ) as ReturnType<Bench[K]>

try {
  await browser.page.goto(pages.url)
  await browser.page.waitForFunction(() => 'bench' in globalThis)
  const samples = { rtt: [] as RttResult[], up: [] as BulkResult[], down: [] as BulkResult[], agent: [] as RttResult[] }
  for (let i = 0; i < runs; i++) {
    if (wanted('rtt')) {
      try {
        samples.rtt.push(await withTimeout(page('rtt', url('/echo'), cert.sha256, RTT_MS), 20_000, 'rtt'))
      } catch (e) {
        fail('rtt', e)
      }
    }
    if (wanted('bulk')) {
      try {
        samples.up.push(await withTimeout(page('upload', url('/sink'), cert.sha256, BULK_BYTES), 60_000, 'upload'))
        samples.down.push(
          await withTimeout(page('download', url('/source'), cert.sha256, BULK_BYTES), 60_000, 'download'),
        )
      } catch (e) {
        fail('bulk', e)
      }
    }
    if (wanted('agent')) {
      try {
        const args = [gateway.url, gateway.certificateHash, gateway.agent.id, RTT_MS] as const
        samples.agent.push(await withTimeout(page('agentRequest', ...args), 30_000, 'agent'))
      } catch (e) {
        fail('agent', e)
      }
    }
  }
  if (samples.rtt.length > 0) {
    emit('rtt.rate', median(samples.rtt.map((s) => s.rate)), 'rtt/s')
    emit('rtt.p50', median(samples.rtt.map((s) => s.p50)) * 1000, 'us')
    emit('rtt.p99', median(samples.rtt.map((s) => s.p99)) * 1000, 'us')
  }
  if (samples.up.length > 0) emit('bulk.page-to-server', median(samples.up.map((s) => s.mbps)), 'MB/s')
  if (samples.down.length > 0) emit('bulk.server-to-page', median(samples.down.map((s) => s.mbps)), 'MB/s')
  if (samples.agent.length > 0) {
    emit('agent.request.rate', median(samples.agent.map((s) => s.rate)), 'req/s')
    emit('agent.request.p50', median(samples.agent.map((s) => s.p50)) * 1000, 'us')
  }
} finally {
  await browser.close()
  await pages.close()
  await gateway.close()
  await server.close()
}
