/**
 * The comparison service in one screen: a service agent and a client agent over real QUIC on 127.0.0.1; the client
 * streams two 10,000-value series to the service in chunks, prints the DTW distance of everything sent so far after
 * each chunk, then the final result, and checks it against the one-shot `dtw` computed locally (through the cache,
 * twice: the second time is a hit).
 * Run: `npm start` in examples/temporal-compare (or `node --conditions=source --import tsx main.ts`).
 * Exits 0 when the streamed result equals the one-shot one, 1 otherwise.
 */
import { Agent } from '@quic-multistream/agent'
import { StaticRegistry } from '@quic-multistream/mesh'
import { generateDevCertificate } from '@quic-multistream/transport'
import { ComparisonCache, compareStreamed, noisySine, startCompareService } from './src/index.js'

const LENGTH = 10_000
const CHUNK = 1_000
const WINDOW = 500

const cert = await generateDevCertificate()
const tls = { cert: cert.cert, key: cert.key, pinSha256: [cert.sha256] }
const registry = new StaticRegistry()
// Nothing is in flight when the demo stops, so a short drain keeps the exit prompt.
const common = { registry, tls, drainTimeoutMs: 500 }
const serviceAgent = await Agent.start({ id: 'compare-service', ...common })
const service = startCompareService(serviceAgent)
const client = await Agent.start({ id: 'client', ...common })
console.log(`service ${serviceAgent.id} on udp://${serviceAgent.address} (QUIC, certificate pinned ${cert.sha256})`)

// Two noisy sines whose periods differ by 4% and whose phases by 40 values: DTW has real warping to do.
const a = noisySine(LENGTH, { period: 500, seed: 1 })
const b = noisySine(LENGTH, { period: 520, shift: 40, seed: 2 })
console.log(`streaming 2 × ${LENGTH} values in chunks of ${CHUNK} (DTW, |x - y|, Sakoe-Chiba window ${WINDOW})`)

const started = performance.now()
const result = await compareStreamed(client, serviceAgent.id, a, b, {
  chunkSize: CHUNK,
  window: WINDOW,
  onProgress: (p) => {
    const distance = p.distance === null ? 'none yet' : p.distance.toFixed(3)
    console.log(`  received ${p.receivedA} + ${p.receivedB}: DTW so far ${distance} (path ${p.pathLength})`)
  },
})
const roundTrip = performance.now() - started

const cache = new ComparisonCache()
const local = cache.dtw(a, b, { window: WINDOW })
cache.dtw(Array.from(a), Array.from(b), { window: WINDOW })
const agrees = local.distance === result.distance && local.pathLength === result.pathLength
const { hits, misses } = cache.stats()
console.log(`one-shot dtw locally: ${local.distance} (path ${local.pathLength}); cache ${hits} hit, ${misses} miss`)
console.log(`service: ${JSON.stringify(service.stats())}; round trip ${roundTrip.toFixed(1)} ms`)

await client.stop()
await serviceAgent.stop()
console.log(
  `final: dtw distance=${result.distance} pathLength=${result.pathLength} elapsed=${result.elapsedMs.toFixed(1)} ms, ` +
    (agrees ? 'matches one-shot' : 'DIFFERS from one-shot'),
)
process.exitCode = agrees ? 0 : 1
