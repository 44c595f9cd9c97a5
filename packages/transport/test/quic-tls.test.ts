import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  caSignedClientCert,
  caSignedServerCert,
  clientCert,
  devCa,
  echoStreams,
  otherCert,
  readAll,
  serverCert,
} from '@qms/test-utils'
import {
  createEndpoint,
  type EndpointOptions,
  generateDevCa,
  loadTlsFiles,
  type QuicEndpoint,
} from '@quic-multistream/transport'
import { afterEach, describe, expect, it } from 'vitest'

const endpoints: QuicEndpoint[] = []
async function endpoint(o: EndpointOptions): Promise<QuicEndpoint> {
  const e = await createEndpoint(o)
  endpoints.push(e)
  return e
}
afterEach(async () => {
  await Promise.all(endpoints.splice(0).map((e) => e.close({ timeoutMs: 200 })))
})

async function echoOnce(server: QuicEndpoint): Promise<void> {
  for await (const c of server.incomingConnections) echoStreams(c)
}

describe('TLS', () => {
  it('verifies a CA-signed server certificate against the CA', async () => {
    const [ca, cert] = [await devCa(), await caSignedServerCert()]
    const server = await endpoint({ tls: { cert: cert.cert, key: cert.key } })
    void echoOnce(server)
    const client = await endpoint({ tls: { ca: ca.cert } })
    const conn = await client.connect(server.address)
    const s = await conn.openBidi()
    await s.end(Buffer.from('ok'))
    expect((await readAll(s)).toString()).toBe('ok')
    expect(Buffer.from(conn.peerCertificate ?? []).equals(Buffer.from(cert.der))).toBe(true)
  })

  it('rejects a server certificate from an unknown CA with ERR_TLS_*', async () => {
    const cert = await caSignedServerCert()
    const strangerCa = await generateDevCa()
    const server = await endpoint({ tls: { cert: cert.cert, key: cert.key } })
    const client = await endpoint({ tls: { ca: strangerCa.cert } })
    await expect(client.connect({ ...server.address, timeoutMs: 2000 })).rejects.toMatchObject({
      code: expect.stringMatching(/^ERR_TLS_/),
    })
  })

  it('accepts a server whose certificate hash is pinned and rejects any other with ERR_TLS_PIN_MISMATCH', async () => {
    const [good, wrong] = [await serverCert(), await otherCert()]
    const server = await endpoint({ tls: { cert: good.cert, key: good.key } })
    const ok = await endpoint({ tls: { pinSha256: [good.sha256] } })
    await expect(ok.connect(server.address)).resolves.toBeDefined()
    const bad = await endpoint({ tls: { pinSha256: [wrong.sha256] } })
    await expect(bad.connect(server.address)).rejects.toMatchObject({ code: 'ERR_TLS_PIN_MISMATCH' })
  })

  it('accepts pins written with colons and upper case', async () => {
    const good = await serverCert()
    const server = await endpoint({ tls: { cert: good.cert, key: good.key } })
    const colons = good.sha256.toUpperCase().replace(/(..)(?!$)/g, '$1:')
    const client = await endpoint({ tls: { pinSha256: [colons] } })
    await expect(client.connect(server.address)).resolves.toBeDefined()
  })

  it('mTLS: a client certificate signed by the CA is accepted and visible to the server', async () => {
    const [ca, srv, cli] = [await devCa(), await caSignedServerCert(), await caSignedClientCert()]
    const server = await endpoint({ tls: { cert: srv.cert, key: srv.key, ca: ca.cert, requireClientCert: true } })
    const client = await endpoint({ tls: { cert: cli.cert, key: cli.key, ca: ca.cert } })
    const accepted = server.incomingConnections[Symbol.asyncIterator]().next()
    await client.connect(server.address)
    const conn = (await accepted).value
    expect(Buffer.from(conn?.peerCertificate ?? []).equals(Buffer.from(cli.der))).toBe(true)
  })

  it('mTLS: a client without a certificate, or with an untrusted one, is rejected', async () => {
    const [ca, srv, selfSigned] = [await devCa(), await caSignedServerCert(), await clientCert()]
    const server = await endpoint({ tls: { cert: srv.cert, key: srv.key, ca: ca.cert, requireClientCert: true } })
    const anonymous = await endpoint({ tls: { ca: ca.cert } })
    const anonConn = anonymous.connect({ ...server.address, timeoutMs: 2000 }).then(
      (c) => c.closed.then((i) => i.error),
      (e) => e,
    )
    expect(await anonConn).toMatchObject({ code: expect.stringMatching(/^ERR_TLS_/) })
    const stranger = await endpoint({ tls: { cert: selfSigned.cert, key: selfSigned.key, ca: ca.cert } })
    const strangerConn = stranger.connect({ ...server.address, timeoutMs: 2000 }).then(
      (c) => c.closed.then((i) => i.error),
      (e) => e,
    )
    expect(await strangerConn).toMatchObject({ code: expect.stringMatching(/^ERR_TLS_/) })
    // The server counts both failed handshakes once their connections are gone.
    for (let i = 0; i < 200 && server.stats().handshakesFailed < 2; i++) await new Promise((r) => setTimeout(r, 10))
    expect(server.stats().handshakesFailed).toBe(2)
    expect(server.stats().connectionsAccepted).toBe(0)
  })

  it('negotiates ALPN from several offered protocols and fails with ERR_TLS_NO_ALPN when none match', async () => {
    const cert = await serverCert()
    const server = await endpoint({ alpn: ['qms/1', 'h3'], tls: { cert: cert.cert, key: cert.key } })
    const h3 = await endpoint({ alpn: ['h3'], tls: { pinSha256: [cert.sha256] } })
    expect((await h3.connect(server.address)).alpn).toBe('h3')
    const native = await endpoint({ tls: { pinSha256: [cert.sha256] } })
    expect((await native.connect(server.address)).alpn).toBe('qms/1')
    const other = await endpoint({ alpn: ['other/9'], tls: { pinSha256: [cert.sha256] } })
    await expect(other.connect({ ...server.address, timeoutMs: 2000 })).rejects.toMatchObject({
      code: 'ERR_TLS_NO_ALPN',
    })
  })

  it('loads PEM certificate and key files', async () => {
    const cert = await serverCert()
    const dir = await mkdtemp(join(tmpdir(), 'qms-tls-'))
    await writeFile(join(dir, 'cert.pem'), cert.cert)
    await writeFile(join(dir, 'key.pem'), cert.key)
    const material = await loadTlsFiles({ certFile: join(dir, 'cert.pem'), keyFile: join(dir, 'key.pem') })
    const server = await endpoint({ tls: { cert: material.cert, key: material.key } })
    const client = await endpoint({ tls: { pinSha256: [cert.sha256] } })
    await expect(client.connect(server.address)).resolves.toBeDefined()
  })

  it('refuses to dial without any way to verify the server', async () => {
    const client = await endpoint({})
    await expect(client.connect({ host: '127.0.0.1', port: 9 })).rejects.toMatchObject({ code: 'ERR_TLS_CONFIG' })
  })

  it('refuses a garbage certificate with a typed error', async () => {
    await expect(createEndpoint({ tls: { cert: 'not a certificate', key: 'nope' } })).rejects.toMatchObject({
      code: expect.stringMatching(/^ERR_TLS_/),
    })
  })
})

describe('TLS failures reach both sides', () => {
  it('a client that rejects the pinned certificate tells the server, whose connection closes at once', async () => {
    const [good, wrong] = [await serverCert(), await otherCert()]
    // A long idle timeout: if the server only learned by timing out, this test would time out first.
    const server = await endpoint({ idleTimeoutMs: 60_000, tls: { cert: good.cert, key: good.key } })
    const client = await endpoint({ idleTimeoutMs: 60_000, tls: { pinSha256: [wrong.sha256] } })
    const accepted = server.incomingConnections[Symbol.asyncIterator]().next()
    await expect(client.connect(server.address)).rejects.toMatchObject({ code: 'ERR_TLS_PIN_MISMATCH' })
    const conn = (await accepted).value
    const info = await conn?.closed
    expect(info).toMatchObject({ remote: true, app: false })
    expect(info?.error).toMatchObject({ code: 'ERR_TLS_BAD_CERTIFICATE' })
  }, 10_000)
})
