import { X509Certificate } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
// The one place outside the engine that touches the binding: proving BoringSSL takes what we generate.
import quiche from '@matrixai/quic/native/quiche.js'
import { caSignedServerCert, devCa, otherCert, serverCert } from '@qms/test-utils'
import {
  certificateSha256,
  generateDevCa,
  generateDevCertificate,
  isQmsError,
  loadTlsFiles,
  matchesPin,
  normalizePin,
  pemToDer,
} from '@quic-multistream/transport'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const DAY_MS = 86_400_000
/** DER of the ecdsa-with-SHA256 algorithm identifier OID (1.2.840.10045.4.3.2). */
const ECDSA_WITH_SHA256 = Buffer.from('06082a8648ce3d040302', 'hex')

function code(fn: () => unknown): string | undefined {
  try {
    fn()
  } catch (err) {
    return isQmsError(err) ? err.code : `not a QmsError: ${String(err)}`
  }
  return undefined
}

async function asyncCode(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise
  } catch (err) {
    return isQmsError(err) ? err.code : `not a QmsError: ${String(err)}`
  }
  return undefined
}

function quicheAccepts(key: string, cert: string): void {
  quiche.Config.withBoringSslCtx(false, false, null, [Buffer.from(key)], [Buffer.from(cert)], null)
}

describe('generateDevCertificate', () => {
  it('makes an ECDSA P-256 key and a SHA-256 ECDSA signature', async () => {
    const dev = await serverCert()
    const x = new X509Certificate(dev.cert)
    expect(x.publicKey.asymmetricKeyType).toBe('ec')
    expect(x.publicKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1')
    expect(Buffer.from(dev.der).includes(ECDSA_WITH_SHA256)).toBe(true)
    expect(x.verify(x.publicKey)).toBe(true)
  })

  it('starts validity in the past and keeps it within 14 days, the WebTransport pinning limit', async () => {
    const before = Date.now()
    const dev = await serverCert()
    const x = new X509Certificate(dev.cert)
    const from = Date.parse(x.validFrom)
    const to = Date.parse(x.validTo)
    expect(from).toBeLessThan(before)
    expect(to - from).toBeLessThanOrEqual(14 * DAY_MS)
    expect(dev.notAfter.getTime()).toBe(to)
    expect(dev.notBefore.getTime()).toBe(from)

    const longest = new X509Certificate((await generateDevCertificate({ days: 14 })).cert)
    expect(Date.parse(longest.validTo) - Date.parse(longest.validFrom)).toBe(14 * DAY_MS)
  })

  it('refuses a leaf validity over 14 days and bad names with ERR_INVALID_ARGUMENT', async () => {
    expect(await asyncCode(generateDevCertificate({ days: 15 }))).toBe('ERR_INVALID_ARGUMENT')
    expect(await asyncCode(generateDevCertificate({ days: 0 }))).toBe('ERR_INVALID_ARGUMENT')
    expect(await asyncCode(generateDevCertificate({ ips: ['localhost'] }))).toBe('ERR_INVALID_ARGUMENT')
    expect(await asyncCode(generateDevCertificate({ hostnames: ['bad name'] }))).toBe('ERR_INVALID_ARGUMENT')
  })

  it('can make an already expired certificate for expiry tests', async () => {
    const dev = await generateDevCertificate({ notBefore: new Date(Date.now() - 20 * DAY_MS), days: 1 })
    expect(dev.notAfter.getTime()).toBeLessThan(Date.now())
  })

  it('names localhost, 127.0.0.1 and ::1 in subjectAltName by default, and custom names when asked', async () => {
    const x = new X509Certificate((await serverCert()).cert)
    expect(x.subjectAltName).toBe('DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1')
    expect(x.checkHost('localhost')).toBe('localhost')
    expect(x.checkIP('127.0.0.1')).toBe('127.0.0.1')
    expect(x.checkIP('::1')).toBe('::1')

    const custom = new X509Certificate(
      (await generateDevCertificate({ hostnames: ['agent.test', '*.mesh.test'], ips: ['10.1.2.3'] })).cert,
    )
    expect(custom.checkHost('agent.test')).toBe('agent.test')
    expect(custom.checkHost('node1.mesh.test')).toBe('*.mesh.test')
    expect(custom.checkHost('localhost')).toBeUndefined()
    expect(custom.checkIP('10.1.2.3')).toBe('10.1.2.3')
    expect(custom.subject).toContain('CN=agent.test')
  })

  it('allows both server and client authentication and is not a CA', async () => {
    const x = new X509Certificate((await serverCert()).cert)
    expect(x.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2'])
    expect(x.ca).toBe(false)
  })

  it('reports the SHA-256 of its DER, the same digest node computes', async () => {
    const dev = await serverCert()
    const x = new X509Certificate(dev.cert)
    expect(dev.sha256).toMatch(/^[0-9a-f]{64}$/)
    expect(dev.sha256).toBe(x.fingerprint256.replaceAll(':', '').toLowerCase())
    expect(Buffer.from(dev.sha256Bytes).toString('hex')).toBe(dev.sha256)
    expect(Buffer.from(dev.der)).toEqual(x.raw)
  })

  it('gives every certificate a fresh key and serial', async () => {
    const [a, b] = [await serverCert(), await otherCert()]
    expect(a.key).not.toBe(b.key)
    expect(a.sha256).not.toBe(b.sha256)
    expect(new X509Certificate(a.cert).serialNumber).not.toBe(new X509Certificate(b.cert).serialNumber)
  })
})

describe('generateDevCa', () => {
  it('signs leaf certificates that verify against the CA and not against another key', async () => {
    const ca = new X509Certificate((await devCa()).cert)
    const leaf = new X509Certificate((await caSignedServerCert()).cert)
    const stranger = new X509Certificate((await otherCert()).cert)
    expect(ca.ca).toBe(true)
    expect(leaf.ca).toBe(false)
    expect(leaf.checkIssued(ca)).toBe(true)
    expect(leaf.verify(ca.publicKey)).toBe(true)
    expect(leaf.verify(stranger.publicKey)).toBe(false)
    expect(stranger.checkIssued(ca)).toBe(false)
    expect(leaf.checkHost('localhost')).toBe('localhost')
  })

  it('allows a CA to outlive the 14-day leaf limit', async () => {
    const ca = await generateDevCa({ days: 365 })
    expect(ca.notAfter.getTime() - ca.notBefore.getTime()).toBe(365 * DAY_MS)
  })

  it('refuses to sign with a certificate that is not a CA', async () => {
    expect(await asyncCode(generateDevCertificate({ issuer: await serverCert() }))).toBe('ERR_TLS_BAD_CERTIFICATE')
  })

  it('refuses an issuer key that does not belong to the issuer certificate', async () => {
    const ca = await devCa()
    const otherCa = await generateDevCa()
    expect(await asyncCode(generateDevCertificate({ issuer: { cert: ca.cert, key: otherCa.key } }))).toBe(
      'ERR_TLS_BAD_KEY',
    )
  })
})

describe('quiche (BoringSSL)', () => {
  it('loads self-signed, CA and CA-signed certificates with their keys', async () => {
    for (const dev of [await serverCert(), await devCa(), await caSignedServerCert()]) {
      expect(() => quicheAccepts(dev.key, dev.cert)).not.toThrow()
    }
  })

  it('rejects material that is not PEM, so the check above has teeth', () => {
    expect(() => quicheAccepts('not a key', 'not a certificate')).toThrow()
  })
})

/** The same 32 bytes in base64, but with a spare low bit of the last character set: not a canonical encoding. */
function nonCanonicalBase64(digest: Buffer): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'
  const b64 = digest.toString('base64')
  const last = alphabet.indexOf(b64[42]!)
  return `${b64.slice(0, 42)}${alphabet[last ^ 1]}=`
}

describe('certificate pins', () => {
  const hex = 'cc3f50425aa12927328bf7c6f3ec3fe63871d6dc97dd06a2cc646bbda3436df1'
  const bytes = Buffer.from(hex, 'hex')

  it('normalizes hex in any case, with or without colons', () => {
    expect(normalizePin(hex)).toBe(hex)
    expect(normalizePin(hex.toUpperCase())).toBe(hex)
    expect(normalizePin(hex.match(/../g)!.join(':').toUpperCase())).toBe(hex)
    expect(normalizePin(`  ${hex}\n`)).toBe(hex)
  })

  it('normalizes base64 and base64url, padded or not', () => {
    expect(normalizePin(bytes.toString('base64'))).toBe(hex)
    expect(normalizePin(bytes.toString('base64').replace(/=$/, ''))).toBe(hex)
    expect(normalizePin(bytes.toString('base64url'))).toBe(hex)
  })

  it('rejects anything that is not a SHA-256 digest with ERR_TLS_BAD_PIN', () => {
    const garbage = [
      '',
      'abc',
      hex.slice(1),
      `${hex}00`,
      'zz'.repeat(32),
      `${hex.slice(0, 2)}::${hex.slice(2)}`,
      bytes.subarray(1).toString('base64'),
      Buffer.concat([bytes, Buffer.from([0])]).toString('base64'),
      nonCanonicalBase64(bytes),
      'sha256/' + bytes.toString('base64'),
    ]
    for (const pin of garbage)
      expect(
        code(() => normalizePin(pin)),
        pin,
      ).toBe('ERR_TLS_BAD_PIN')
  })

  it('matches a certificate against pins in any accepted form', async () => {
    const dev = await serverCert()
    const other = await otherCert()
    expect(matchesPin(dev.der, [dev.sha256])).toBe(true)
    expect(matchesPin(dev.der, [other.sha256, Buffer.from(dev.sha256Bytes).toString('base64')])).toBe(true)
    expect(matchesPin(dev.der, [other.sha256])).toBe(false)
    expect(matchesPin(dev.der, [])).toBe(false)
  })

  it('throws on a malformed pin instead of treating it as a mismatch', async () => {
    const dev = await serverCert()
    expect(code(() => matchesPin(dev.der, [dev.sha256, 'typo']))).toBe('ERR_TLS_BAD_PIN')
  })
})

describe('PEM helpers', () => {
  it('fingerprints PEM text, PEM bytes and DER alike', async () => {
    const dev = await serverCert()
    expect(certificateSha256(dev.cert)).toBe(dev.sha256)
    expect(certificateSha256(Buffer.from(dev.cert))).toBe(dev.sha256)
    expect(certificateSha256(dev.der)).toBe(dev.sha256)
  })

  it('splits a chain into DER certificates in order, skipping other blocks', async () => {
    const leaf = await caSignedServerCert()
    const ca = await devCa()
    const ders = pemToDer(`${leaf.key}${leaf.cert}\n${ca.cert}`)
    expect(ders.map((d) => Buffer.from(d).toString('hex'))).toEqual([
      Buffer.from(leaf.der).toString('hex'),
      Buffer.from(ca.der).toString('hex'),
    ])
  })

  it('rejects input without a valid certificate with ERR_TLS_BAD_CERTIFICATE', async () => {
    const dev = await serverCert()
    const corrupted = dev.cert.replace(/\n(.)/, (_m, c: string) => `\n${c === 'A' ? 'B' : 'A'}`)
    for (const bad of ['', 'hello', dev.key, corrupted, dev.cert.replace(/[A-Za-z0-9]{8}\n/, '!!!!!!!!\n')]) {
      expect(code(() => pemToDer(bad))).toBe('ERR_TLS_BAD_CERTIFICATE')
    }
    expect(code(() => certificateSha256(new Uint8Array([0x30, 0x03, 1, 2, 3])))).toBe('ERR_TLS_BAD_CERTIFICATE')
  })
})

describe('loadTlsFiles', () => {
  let dir: string
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'qms-tls-'))
    const dev = await caSignedServerCert()
    await writeFile(join(dir, 'cert.pem'), dev.cert)
    await writeFile(join(dir, 'key.pem'), dev.key)
    await writeFile(join(dir, 'ca.pem'), (await devCa()).cert)
    await writeFile(join(dir, 'other-key.pem'), (await otherCert()).key)
    await writeFile(join(dir, 'garbage.pem'), 'not a certificate')
  })
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('reads the certificate, key and CA as PEM', async () => {
    const dev = await caSignedServerCert()
    const tls = await loadTlsFiles({
      certFile: join(dir, 'cert.pem'),
      keyFile: join(dir, 'key.pem'),
      caFile: join(dir, 'ca.pem'),
    })
    expect(tls).toEqual({ cert: dev.cert, key: dev.key, ca: (await devCa()).cert })
  })

  it('reports an unreadable file as ERR_TLS_BAD_FILE with the cause', async () => {
    const err = await loadTlsFiles({ certFile: join(dir, 'missing.pem'), keyFile: join(dir, 'key.pem') }).catch(
      (e: unknown) => e,
    )
    expect(isQmsError(err, 'ERR_TLS_BAD_FILE')).toBe(true)
    expect(((err as Error).cause as NodeJS.ErrnoException).code).toBe('ENOENT')
  })

  it('reports a garbage certificate, a garbage key and a key of another certificate', async () => {
    const key = join(dir, 'key.pem')
    const cert = join(dir, 'cert.pem')
    const garbage = join(dir, 'garbage.pem')
    expect(await asyncCode(loadTlsFiles({ certFile: garbage, keyFile: key }))).toBe('ERR_TLS_BAD_CERTIFICATE')
    expect(await asyncCode(loadTlsFiles({ certFile: cert, keyFile: garbage }))).toBe('ERR_TLS_BAD_KEY')
    expect(await asyncCode(loadTlsFiles({ certFile: cert, keyFile: join(dir, 'other-key.pem') }))).toBe(
      'ERR_TLS_BAD_KEY',
    )
    expect(await asyncCode(loadTlsFiles({ certFile: cert, keyFile: key, caFile: garbage }))).toBe(
      'ERR_TLS_BAD_CERTIFICATE',
    )
  })
})
