/**
 * The transport in one screen: a QUIC server and a client on 127.0.0.1 (separate UDP sockets, real handshakes),
 * an echo over a bidirectional stream, a burst of concurrent streams, a datagram, and a 0-RTT reconnect.
 * Run: `npm run demo` from the repository root (or `pnpm --filter @quic-multistream/example-echo start`).
 */
import { createEndpoint, generateDevCertificate } from '@quic-multistream/transport'
import { readAll, serveEcho } from './src/index.js'

const ms = (t0: number) => `${(performance.now() - t0).toFixed(2)} ms`

const cert = await generateDevCertificate()
console.log(`dev certificate sha256 ${cert.sha256} (valid until ${cert.notAfter.toISOString()})`)
const server = await createEndpoint({ tls: { cert: cert.cert, key: cert.key } })
const client = await createEndpoint({ tls: { pinSha256: [cert.sha256] } })
console.log(`server listening on udp://${server.address.host}:${server.address.port} (ALPN qms/1)`)
serveEcho(server)

let t0 = performance.now()
const conn = await client.connect(server.address)
console.log(`handshake: ${ms(t0)} (TLS 1.3, alpn=${conn.alpn}, resumed=${conn.resumed})`)

t0 = performance.now()
const stream = await conn.openBidi()
await stream.end(Buffer.from('hello over QUIC'))
console.log(`echo: "${(await readAll(stream)).toString()}" in ${ms(t0)}`)

t0 = performance.now()
const replies = await Promise.all(
  Array.from({ length: 1000 }, async (_, i) => {
    const s = await conn.openBidi()
    await s.end(Buffer.from(`#${i}`))
    return (await readAll(s)).toString()
  }),
)
const ok = replies.every((r, i) => r === `#${i}`)
console.log(`1,000 concurrent streams echoed ${ok ? 'correctly' : 'WRONG'} in ${ms(t0)}`)

const datagram = new Promise<Uint8Array>((resolve) => {
  void (async () => {
    for await (const d of conn.incomingDatagrams) return resolve(d)
  })()
})
conn.sendDatagram(Buffer.from('telemetry ping'))
console.log(`datagram echoed: "${Buffer.from(await datagram).toString()}" (max ${conn.maxDatagramSize} bytes)`)

await new Promise((r) => setTimeout(r, 20)) // let the session ticket arrive
await conn.close(0, 'done')
t0 = performance.now()
const again = await client.connect(server.address)
const s2 = await again.openBidi()
await s2.end(Buffer.from('early'))
const early = (await readAll(s2)).toString()
console.log(
  `0-RTT reconnect + first reply: ${ms(t0)} (resumed=${again.resumed}, earlyData=${again.earlyData}, "${early}")`,
)

const st = again.stats()
console.log(`stats: ${st.packetsSent} packets sent, ${st.packetsReceived} received, rtt ${st.rttMs} ms`)
await client.close()
await server.close()
console.log(ok ? 'done' : 'FAILED')
process.exitCode = ok && early === 'early' ? 0 : 1
