/**
 * Runs in headless Chromium for browser.bench.ts, through this package's own layers (bundled): the
 * `WebTransportConnection` wrapper and the Agent in a page, as opposed to the raw W3C API that
 * packages/transport/bench/webtransport-browser.bench.ts measures.
 */
import { defineRequest } from '@quic-multistream/agent'
import { BrowserAgent, WebTransportConnection } from '@quic-multistream/browser'
import { defineMessage } from '@quic-multistream/protocol'
import { z } from 'zod'

/** Round-trip rate and latency percentiles (milliseconds). */
export interface RttResult {
  rate: number
  p50: number
  p99: number
}

/** Bulk throughput (MB/s = 10^6 bytes/s). */
export interface BulkResult {
  mbps: number
  ms: number
}

function summary(latencies: number[], elapsed: number): RttResult {
  latencies.sort((a, b) => a - b)
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.ceil(p * latencies.length) - 1)] ?? 0
  return { rate: (latencies.length / elapsed) * 1000, p50: pct(0.5), p99: pct(0.99) }
}

async function timed(ms: number, once: () => Promise<void>): Promise<RttResult> {
  for (let i = 0; i < 200; i++) await once()
  const latencies: number[] = []
  const start = performance.now()
  while (performance.now() - start < ms) {
    const t0 = performance.now()
    await once()
    latencies.push(performance.now() - t0)
  }
  return summary(latencies, performance.now() - start)
}

/** 1 KiB written, 1 KiB echoed, one at a time on one bidi stream. */
async function rtt(url: string, hash: string, ms: number): Promise<RttResult> {
  const conn = await WebTransportConnection.open(url, { serverCertificateHashes: [hash] })
  try {
    const s = await conn.openBidi()
    const it = s[Symbol.asyncIterator]()
    const msg = new Uint8Array(1024)
    return await timed(ms, async () => {
      await s.write(msg)
      for (let got = 0; got < msg.length; ) {
        const r = await it.next()
        if (r.done) throw new Error('echo stream ended')
        got += r.value.byteLength
      }
    })
  } finally {
    await conn.close(0, 'done')
  }
}

/** `bytes` from the page to the server on one stream, until the server confirms it read them all. */
async function upload(url: string, hash: string, bytes: number): Promise<BulkResult> {
  const conn = await WebTransportConnection.open(url, { serverCertificateHashes: [hash] })
  try {
    const s = await conn.openBidi()
    const chunk = new Uint8Array(256 * 1024)
    const start = performance.now()
    for (let sent = 0; sent < bytes; sent += chunk.length) await s.write(chunk)
    await s.end()
    for await (const _ of s) {
      // The server's one reply: it read everything.
    }
    const ms = performance.now() - start
    return { mbps: bytes / 1000 / ms, ms }
  } finally {
    await conn.close(0, 'done')
  }
}

/** `bytes` from the server to the page on one stream. */
async function download(url: string, hash: string, bytes: number): Promise<BulkResult> {
  const conn = await WebTransportConnection.open(url, { serverCertificateHashes: [hash] })
  try {
    const s = await conn.openBidi()
    const ask = new Uint8Array(8)
    new DataView(ask.buffer).setFloat64(0, bytes)
    const start = performance.now()
    await s.end(ask)
    let got = 0
    for await (const chunk of s) got += chunk.byteLength
    const ms = performance.now() - start
    if (got !== bytes) throw new Error(`downloaded ${got} of ${bytes} bytes`)
    return { mbps: bytes / 1000 / ms, ms }
  } finally {
    await conn.close(0, 'done')
  }
}

const Ping = defineMessage('bench.ping', z.object({ data: z.string() }))
const Pong = defineMessage('bench.pong', z.object({ data: z.string() }))

/** The Agent in the page: request/reply with a 1 KiB body to the gateway, one at a time. */
async function agentRequest(url: string, hash: string, gateway: string, ms: number): Promise<RttResult> {
  const agent = await BrowserAgent.connect(url, { id: 'bench-page', gateway, serverCertificateHashes: [hash] })
  try {
    const PingPong = defineRequest(Ping, Pong)
    const data = 'x'.repeat(1024)
    return await timed(ms, async () => {
      await agent.request(gateway, PingPong, { data })
    })
  } finally {
    await agent.stop()
  }
}

/** What the bench script calls through `page.evaluate`. */
export const bench = { rtt, upload, download, agentRequest }

;(globalThis as { bench?: typeof bench }).bench = bench
