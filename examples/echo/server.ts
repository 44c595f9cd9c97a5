/**
 * A QUIC echo server: echoes every bidirectional stream and every datagram back to its sender.
 *
 *   npm run server -- [--host 127.0.0.1] [--port 4433] [--cert cert.pem --key key.pem]
 *
 * Without --cert/--key it makes a development certificate. Either way it prints the certificate's SHA-256, which
 * clients pin (`npm run client -- --addr <address> --pin <sha256>`). Stops cleanly on SIGINT/SIGTERM (connections
 * are closed with code 0), printing what it served. Exit codes: 0 after a clean stop, 2 for bad arguments or
 * unusable certificate files, 1 when the socket cannot be bound.
 */
import { parseArgs } from 'node:util'
import {
  certificateSha256,
  createEndpoint,
  generateDevCertificate,
  loadTlsFiles,
  type QuicEndpoint,
  type TlsMaterial,
} from '@quic-multistream/transport'
import { bytes, count, ExitCode, formatAddress, parsePort, serveEcho } from './src/index.js'

function fail(message: string, code: number): never {
  console.error(`echo server: ${message}`)
  process.exit(code)
}

async function loadCertificate(certFile?: string, keyFile?: string): Promise<TlsMaterial & { note: string }> {
  if (certFile === undefined && keyFile === undefined) {
    const dev = await generateDevCertificate()
    return { cert: dev.cert, key: dev.key, note: `development certificate, valid until ${dev.notAfter.toISOString()}` }
  }
  if (certFile === undefined || keyFile === undefined) fail('--cert and --key go together', ExitCode.USAGE)
  try {
    return { ...(await loadTlsFiles({ certFile, keyFile })), note: `from ${certFile}` }
  } catch (e) {
    fail((e as Error).message, ExitCode.USAGE)
  }
}

let options: { host: string; port: number; cert?: string; key?: string }
try {
  const { values } = parseArgs({
    options: {
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string', default: '4433' },
      cert: { type: 'string' },
      key: { type: 'string' },
    },
  })
  options = { ...values, port: parsePort(values.port, true) }
} catch (e) {
  fail(
    `${(e as Error).message}\nusage: server.ts [--host <ip>] [--port <n>] [--cert <pem> --key <pem>]`,
    ExitCode.USAGE,
  )
}

const tls = await loadCertificate(options.cert, options.key)
let endpoint: QuicEndpoint
try {
  endpoint = await createEndpoint({ host: options.host, port: options.port, tls: { cert: tls.cert, key: tls.key } })
} catch (e) {
  fail(`cannot listen on ${formatAddress(options)}: ${(e as Error).message}`, ExitCode.FAILED)
}

const served = serveEcho(endpoint, {
  onConnection: (conn) => console.log(`+ ${conn.id} from ${formatAddress(conn.remoteAddress)}`),
  onClose: (conn, info) => {
    const reason = info.reason === '' ? '' : `, "${info.reason}"`
    const how = info.error === undefined ? `closed (code ${info.code}${reason})` : `failed: ${info.error.message}`
    console.log(`- ${conn.id} ${how}`)
  },
})

let stopping = false
async function stop(signal: string): Promise<void> {
  // A second signal while connections drain means the operator is done waiting.
  if (stopping) process.exit(130)
  stopping = true
  console.log(`${signal}: closing ${endpoint.connections.size} connection(s)`)
  await endpoint.close({ code: 0, reason: 'server shutting down' })
  console.log(
    `stopped: ${count(served.connections)} connections, ${count(served.streams)} streams ` +
      `(${bytes(served.bytes)} echoed), ${count(served.datagrams)} datagrams`,
  )
}
process.on('SIGINT', () => void stop('SIGINT'))
process.on('SIGTERM', () => void stop('SIGTERM'))

// Printed last: whoever waits for these lines may signal us as soon as they appear.
const address = formatAddress(endpoint.address)
const sha256 = certificateSha256(tls.cert)
console.log(`echo server listening on ${address} (QUIC, ALPN qms/1)`)
console.log(`certificate sha256 ${sha256} (${tls.note})`)
console.log(`connect with: npm run client -- --addr ${address} --pin ${sha256}`)
