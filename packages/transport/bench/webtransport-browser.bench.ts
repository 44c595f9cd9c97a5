/**
 * WebTransport from a real browser: headless Debian Chromium against our HTTP/3 server in this process, over UDP
 * on 127.0.0.1. Cases: `rtt` (1 KiB echo, one at a time on one bidi stream, then on each of 16 and of 64 streams at once; the
 * Node client on one stream, and Chromium's WebSocket to a `ws` echo server, for comparison)
 * and `bulk` (browser to server on one stream, MB/s = 10^6 bytes/s). Medians over QMS_BENCH_RUNS (default 3).
 *
 *   node --conditions=source --import tsx packages/transport/bench/webtransport-browser.bench.ts
 */
import { readFileSync } from 'node:fs'
import { launchBrowser, servePage } from '@qms/test-utils/browser'
import {
  caseFilter,
  createEmitter,
  createFailureReporter,
  median,
  withTimeout,
} from '../../../benchmarks/lib/bench-kit.js'
import { startWebSocketEchoServer } from '../../../benchmarks/lib/websocket-echo-server.js'
import { startWebTransportBenchServer } from '../../../benchmarks/lib/webtransport-server.js'
import { connectWebTransport, createEndpoint } from '../src/index.js'

const emit = createEmitter('transport.webtransport-browser')
const fail = createFailureReporter('transport.webtransport-browser')
const wanted = caseFilter()
const runs = Number(process.env.QMS_BENCH_RUNS ?? 3)
const RTT_MS = 1_000
const BULK_BYTES = 64 * 1024 * 1024

async function nodeRtt(port: number, pin: string): Promise<{ rate: number; p50: number }> {
  const client = await createEndpoint({ tls: { pinSha256: [pin] } })
  try {
    const session = await connectWebTransport(client, { host: '127.0.0.1', port, path: '/echo' })
    const s = await session.openBidi()
    const it = s[Symbol.asyncIterator]()
    const msg = new Uint8Array(1024)
    const once = async () => {
      await s.write(msg)
      for (let got = 0; got < msg.length; ) {
        const r = await it.next()
        if (r.done) throw new Error('echo stream ended')
        got += r.value.length
      }
    }
    for (let i = 0; i < 200; i++) await once()
    const lat: number[] = []
    const start = performance.now()
    while (performance.now() - start < RTT_MS) {
      const t0 = performance.now()
      await once()
      lat.push(performance.now() - t0)
    }
    const elapsed = performance.now() - start
    await session.close(0)
    return { rate: (lat.length / elapsed) * 1000, p50: median(lat) }
  } finally {
    await client.close({ timeoutMs: 200 })
  }
}

const server = await startWebTransportBenchServer()
const wsServer = await startWebSocketEchoServer()
const { cert } = server
const pages = await servePage({
  'index.html': '<!doctype html><title>bench</title><script src="page.js"></script>',
  'page.js': readFileSync(new URL('./webtransport-page.js', import.meta.url), 'utf8'),
})
// Extra Chromium switches, e.g. QMS_BENCH_CHROMIUM_ARGS=--enable-features=NetworkServiceInProcess2 to see what the
// renderer → network service hop costs.
const browser = await launchBrowser({ args: process.env.QMS_BENCH_CHROMIUM_ARGS?.split(' ').filter(Boolean) })
const hash = [...cert.sha256Bytes]
const url = server.url

type Rtt = { rate: number; p50: number; p99: number }
type Bulk = { mbps: number; ms: number }
declare global {
  interface Window {
    benchRtt(url: string, hash: number[], ms: number, streams?: number): Promise<Rtt>
    benchBulk(url: string, hash: number[], bytes: number): Promise<Bulk>
    benchWsRtt(url: string, ms: number): Promise<Rtt>
  }
}

try {
  await browser.page.goto(pages.url)
  const samples = {
    rtt: [] as Rtt[],
    rtt16: [] as Rtt[],
    rtt64: [] as Rtt[],
    ws: [] as Rtt[],
    bulk: [] as Bulk[],
    node: [] as Array<{ rate: number; p50: number }>,
  }
  for (let i = 0; i < runs; i++) {
    if (wanted('rtt')) {
      try {
        const rtt = (streams: number) =>
          withTimeout(
            browser.page.evaluate(([u, h, ms, n]) => window.benchRtt(u, h, ms, n), [
              url('/echo'),
              hash,
              RTT_MS,
              streams,
            ] as const),
            20_000,
            'rtt',
          )
        samples.rtt.push(await rtt(1))
        samples.rtt16.push(await rtt(16))
        samples.rtt64.push(await rtt(64))
        samples.ws.push(
          await withTimeout(
            browser.page.evaluate(([u, ms]) => window.benchWsRtt(u, ms), [wsServer.url, RTT_MS] as const),
            20_000,
            'websocket rtt',
          ),
        )
        samples.node.push(await withTimeout(nodeRtt(server.port, cert.sha256), 20_000, 'node rtt'))
      } catch (e) {
        fail('rtt', e)
      }
    }
    if (wanted('bulk')) {
      try {
        const args = [url('/sink'), hash, BULK_BYTES] as const
        samples.bulk.push(
          await withTimeout(
            browser.page.evaluate(([u, h, n]) => window.benchBulk(u, h, n), args),
            60_000,
            'bulk',
          ),
        )
      } catch (e) {
        fail('bulk', e)
      }
    }
  }
  if (samples.rtt.length > 0) {
    emit('rtt.browser.rate', median(samples.rtt.map((s) => s.rate)), 'rtt/s')
    emit('rtt.browser.p50', median(samples.rtt.map((s) => s.p50)) * 1000, 'us')
    emit('rtt.browser.p99', median(samples.rtt.map((s) => s.p99)) * 1000, 'us')
    emit('rtt.browser.16streams.rate', median(samples.rtt16.map((s) => s.rate)), 'rtt/s')
    emit('rtt.browser.64streams.rate', median(samples.rtt64.map((s) => s.rate)), 'rtt/s')
    emit('rtt.browser-websocket.rate', median(samples.ws.map((s) => s.rate)), 'rtt/s')
    emit('rtt.browser-websocket.p50', median(samples.ws.map((s) => s.p50)) * 1000, 'us')
    emit('rtt.node.rate', median(samples.node.map((s) => s.rate)), 'rtt/s')
    emit('rtt.node.p50', median(samples.node.map((s) => s.p50)) * 1000, 'us')
  }
  if (samples.bulk.length > 0) emit('bulk.browser-to-server', median(samples.bulk.map((s) => s.mbps)), 'MB/s')
} finally {
  await browser.close()
  await pages.close()
  await wsServer.close()
  await server.close()
}
