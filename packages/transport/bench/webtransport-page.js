// Runs in headless Chromium for webtransport-browser.bench.ts: the browser side of each measurement.
function open(url, hash) {
  return new WebTransport(url, { serverCertificateHashes: [{ algorithm: 'sha-256', value: new Uint8Array(hash) }] })
}

function pct(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]
}

/**
 * Warms up with 200 rounds, then runs every worker (one round trip per call, one at a time each) for `ms`
 * milliseconds: round trips per second and latency percentiles.
 */
async function timeRoundTrips(workers, ms) {
  for (let i = 0; i < 200; i++) await Promise.all(workers.map((w) => w()))
  const latencies = []
  const start = performance.now()
  await Promise.all(
    workers.map(async (once) => {
      while (performance.now() - start < ms) {
        const t0 = performance.now()
        await once()
        latencies.push(performance.now() - t0)
      }
    }),
  )
  const elapsed = performance.now() - start
  latencies.sort((a, b) => a - b)
  return { rate: (latencies.length / elapsed) * 1000, p50: pct(latencies, 0.5), p99: pct(latencies, 0.99) }
}

/**
 * 1 KiB request, 1 KiB echo, for `ms` milliseconds: `streams` bidi streams (default 1), each with one request in
 * flight at a time.
 */
window.benchRtt = async (url, hash, ms, streams = 1) => {
  const wt = open(url, hash)
  await wt.ready
  const msg = new Uint8Array(1024)
  const workers = []
  for (let i = 0; i < streams; i++) {
    const s = await wt.createBidirectionalStream()
    const writer = s.writable.getWriter()
    const reader = s.readable.getReader()
    workers.push(async () => {
      // Read while the write settles: Chromium resolves a write only after its network process took the bytes, and
      // awaiting that first would add an inter-process hop to every round trip without changing what is measured.
      const written = writer.write(msg)
      let got = 0
      while (got < msg.length) {
        const r = await reader.read()
        if (r.done) throw new Error('echo stream ended')
        got += r.value.byteLength
      }
      await written
    })
  }
  const result = await timeRoundTrips(workers, ms)
  wt.close()
  return result
}

/** `bytes` from the browser to the server on one stream; timed until the server confirms it read them all. */
window.benchBulk = async (url, hash, bytes) => {
  const wt = open(url, hash)
  await wt.ready
  const s = await wt.createBidirectionalStream()
  const writer = s.writable.getWriter()
  const chunk = new Uint8Array(64 * 1024)
  const start = performance.now()
  for (let sent = 0; sent < bytes; sent += chunk.length) await writer.write(chunk)
  await writer.close()
  const reply = await s.readable.getReader().read()
  const ms = performance.now() - start
  const counted = new DataView(reply.value.buffer, reply.value.byteOffset).getFloat64(0)
  wt.close()
  if (counted !== bytes) throw new Error(`server counted ${counted} of ${bytes} bytes`)
  return { mbps: bytes / ms / 1000, ms }
}

/** The same 1 KiB sequential echo over the browser's WebSocket (the reference most pages use today). */
window.benchWsRtt = async (url, ms) => {
  const ws = new WebSocket(url)
  ws.binaryType = 'arraybuffer'
  await new Promise((resolve, reject) => {
    ws.onopen = resolve
    ws.onerror = () => reject(new Error('websocket failed'))
  })
  const msg = new Uint8Array(1024)
  let arrived = () => {}
  ws.onmessage = () => arrived()
  const once = () =>
    new Promise((resolve) => {
      arrived = resolve
      ws.send(msg)
    })
  const result = await timeRoundTrips([once], ms)
  ws.close()
  return result
}
