/**
 * Development TLS material made in-process (no openssl binary), and the certificate helpers the endpoint needs:
 * PEM parsing, SHA-256 fingerprints and pins in the form WebTransport's `serverCertificateHashes` uses.
 */
import { createHash, createPrivateKey, type KeyObject, X509Certificate } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { isIP } from 'node:net'
import type { Extension, JsonName } from '@peculiar/x509'
import { createLogger, QmsError } from '@quic-multistream/protocol'

const log = createLogger('qms:transport').extend('tls')

/** A certificate and its private key, with the fingerprint peers pin it by. */
export interface DevCertificate {
  /** The certificate, PEM. */
  cert: string
  /** Its private key, PEM (PKCS#8). */
  key: string
  /** The certificate, DER. */
  der: Uint8Array
  /** Lowercase hex SHA-256 of `der`: the value for `pinSha256` and WebTransport `serverCertificateHashes`. */
  sha256: string
  /** The same SHA-256 as 32 bytes. */
  sha256Bytes: Uint8Array
  /** Start of validity (whole seconds, as encoded). */
  notBefore: Date
  /** End of validity (whole seconds, as encoded). */
  notAfter: Date
}

/** Options of {@link generateDevCertificate}. */
export interface DevCertificateOptions {
  /** DNS names in subjectAltName. Default `['localhost']` (none for a CA). */
  hostnames?: string[]
  /** IP addresses in subjectAltName. Default `['127.0.0.1', '::1']` (none for a CA). */
  ips?: string[]
  /**
   * Validity in days, counted from `notBefore`. Default 13 (14 for a CA). At most 14 for a leaf certificate, because browsers
   * accept a `serverCertificateHashes` pin only for certificates valid 14 days or less; at most 3,650 for a CA.
   */
  days?: number
  /** Start of validity. Default one hour ago, so peers with a slightly slow clock accept the certificate. */
  notBefore?: Date
  /** Subject CN. Default the first hostname, else `localhost` (`quic-multistream dev CA` for a CA). */
  commonName?: string
  /** Sign with this CA (e.g. from {@link generateDevCa}) instead of self-signing. */
  issuer?: DevCertificate | { cert: string; key: string }
  /** Make a CA certificate that can sign others (basicConstraints CA, keyCertSign). Default false. */
  isCA?: boolean
}

/** PEM certificate, key and optional CA bundle read by {@link loadTlsFiles}; fits `TlsOptions`. */
export interface TlsMaterial {
  cert: string
  key: string
  ca?: string
}

const DAY_MS = 86_400_000
const CLOCK_SKEW_MS = 3_600_000
const MAX_LEAF_DAYS = 14
const MAX_CA_DAYS = 3_650
const DEFAULT_DAYS = 13
const EC_P256 = { name: 'ECDSA', namedCurve: 'P-256' } as const
const ECDSA_SHA256 = { name: 'ECDSA', hash: 'SHA-256' } as const

type X509Module = typeof import('@peculiar/x509')
let x509Module: Promise<X509Module> | undefined

/**
 * @peculiar/x509 is loaded on first use: it weighs a few hundred kilobytes that only certificate generation needs,
 * and it resolves its internals through tsyringe, which requires the Reflect metadata polyfill to be loaded first.
 */
function loadX509(): Promise<X509Module> {
  x509Module ??= (async () => {
    await import('reflect-metadata')
    const x509 = await import('@peculiar/x509')
    x509.cryptoProvider.set(globalThis.crypto)
    return x509
  })().catch((err: unknown) => {
    x509Module = undefined
    throw new QmsError('ERR_TLS_GENERATE', 'could not load the certificate library', { cause: err })
  })
  return x509Module
}

/**
 * Creates an ECDSA P-256 certificate signed with SHA-256: self-signed by default, or by `options.issuer`.
 * A leaf carries subjectAltName (DNS names and IPs) and serverAuth+clientAuth usage, so it serves both sides of
 * mTLS. Throws `ERR_INVALID_ARGUMENT` for out-of-range options and `ERR_TLS_BAD_CERTIFICATE`/`ERR_TLS_BAD_KEY` for an
 * unusable issuer.
 */
export async function generateDevCertificate(options: DevCertificateOptions = {}): Promise<DevCertificate> {
  const isCA = options.isCA ?? false
  const hostnames = options.hostnames ?? (isCA ? [] : ['localhost'])
  const ips = options.ips ?? (isCA ? [] : ['127.0.0.1', '::1'])
  const days = options.days ?? (isCA ? MAX_LEAF_DAYS : DEFAULT_DAYS)
  const maxDays = isCA ? MAX_CA_DAYS : MAX_LEAF_DAYS
  if (!Number.isFinite(days) || days <= 0 || days > maxDays) {
    throw badOption(`days must be in (0, ${maxDays}]`, { days })
  }
  for (const name of hostnames) {
    if (!isDnsName(name)) throw badOption(`not a DNS name: ${JSON.stringify(name)}`, { hostname: name })
  }
  for (const ip of ips) {
    if (isIP(ip) === 0) throw badOption(`not an IP address: ${JSON.stringify(ip)}`, { ip })
  }
  const commonName = options.commonName ?? (isCA ? 'quic-multistream dev CA' : (hostnames[0] ?? 'localhost'))
  if (commonName.length === 0 || commonName.length > 64) {
    throw badOption('commonName must be 1 to 64 characters', { commonName })
  }
  // X.509 encodes whole seconds; rounding first keeps notAfter - notBefore exactly `days`, never a fraction over.
  const start = options.notBefore?.getTime() ?? Date.now() - CLOCK_SKEW_MS
  if (!Number.isFinite(start)) throw badOption('notBefore is not a valid date', { notBefore: options.notBefore })
  const notBefore = new Date(Math.floor(start / 1000) * 1000)
  const notAfter = new Date(notBefore.getTime() + Math.floor((days * DAY_MS) / 1000) * 1000)

  const issuer = options.issuer === undefined ? undefined : await importIssuer(options.issuer)
  const x509 = await loadX509()
  const subtle = globalThis.crypto.subtle
  const keys = await subtle.generateKey(EC_P256, true, ['sign', 'verify'])

  const extensions: Extension[] = [
    new x509.BasicConstraintsExtension(isCA, isCA ? 0 : undefined, true),
    new x509.KeyUsagesExtension(
      isCA
        ? x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature
        : x509.KeyUsageFlags.digitalSignature,
      true,
    ),
    await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
  ]
  if (!isCA) {
    extensions.push(
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]),
    )
  }
  if (hostnames.length + ips.length > 0) {
    extensions.push(
      new x509.SubjectAlternativeNameExtension([
        ...hostnames.map((value) => ({ type: 'dns' as const, value })),
        ...ips.map((value) => ({ type: 'ip' as const, value })),
      ]),
    )
  }
  const signer = issuer && { cert: new x509.X509Certificate(issuer.der), key: issuer.signingKey }
  if (signer !== undefined) {
    extensions.push(await x509.AuthorityKeyIdentifierExtension.create(signer.cert.publicKey))
  }

  const subject: JsonName = [{ CN: [commonName] }, { O: ['quic-multistream dev'] }]
  const common = { serialNumber: randomSerial(), notBefore, notAfter, extensions, signingAlgorithm: ECDSA_SHA256 }
  let certificate: InstanceType<X509Module['X509Certificate']>
  try {
    certificate =
      signer === undefined
        ? await x509.X509CertificateGenerator.createSelfSigned({ ...common, name: subject, keys })
        : await x509.X509CertificateGenerator.create({
            ...common,
            subject,
            issuer: signer.cert.subjectName,
            publicKey: keys.publicKey,
            signingKey: signer.key,
          })
  } catch (err) {
    throw new QmsError('ERR_TLS_GENERATE', 'certificate generation failed', { cause: err })
  }

  const der = new Uint8Array(certificate.rawData)
  const pkcs8 = new Uint8Array(await subtle.exportKey('pkcs8', keys.privateKey))
  const sha256Bytes = sha256(der)
  log(`generated ${isCA ? 'CA' : 'leaf'} certificate CN=${commonName} sha256=${toHex(sha256Bytes)}`)
  return {
    cert: toPem('CERTIFICATE', der),
    key: toPem('PRIVATE KEY', pkcs8),
    der,
    sha256: toHex(sha256Bytes),
    sha256Bytes,
    notBefore,
    notAfter,
  }
}

/**
 * Creates a development CA ({@link generateDevCertificate} with `isCA: true`); pass it as `issuer` to sign leaf
 * certificates, and its `cert` as `TlsOptions.ca` to trust them.
 */
export function generateDevCa(options: Omit<DevCertificateOptions, 'isCA'> = {}): Promise<DevCertificate> {
  return generateDevCertificate({ ...options, isCA: true })
}

/**
 * Every certificate of a PEM chain (leaf first, as in the input) as DER. Throws `ERR_TLS_BAD_CERTIFICATE` when the
 * input holds no certificate or a block that does not parse as one. Other PEM blocks (e.g. a key) are skipped.
 */
export function pemToDer(pem: string | Uint8Array): Uint8Array[] {
  const text = typeof pem === 'string' ? pem : Buffer.from(pem).toString('latin1')
  const ders: Uint8Array[] = []
  for (const block of pemBlocks(text)) {
    if (block.label !== 'CERTIFICATE') continue
    ders.push(parseCertificate(block.der).der)
  }
  if (ders.length === 0) {
    throw new QmsError('ERR_TLS_BAD_CERTIFICATE', 'no PEM certificate found')
  }
  return ders
}

/**
 * Lowercase hex SHA-256 of a certificate's DER: of the first certificate when given PEM (string or bytes), of the
 * bytes themselves when given DER. Throws `ERR_TLS_BAD_CERTIFICATE` when the input is not a certificate.
 */
export function certificateSha256(certPemOrDer: string | Uint8Array): string {
  const der =
    typeof certPemOrDer === 'string' || looksLikePem(certPemOrDer)
      ? pemToDer(certPemOrDer)[0]!
      : parseCertificate(certPemOrDer).der
  return toHex(sha256(der))
}

/**
 * Canonical form of a SHA-256 pin: lowercase hex without separators. Accepts 64 hex digits in any case, with or
 * without colons between bytes, or the base64 (standard or URL-safe, padding optional) of the 32 digest bytes.
 * Throws `ERR_TLS_BAD_PIN` otherwise.
 */
export function normalizePin(pin: string): string {
  const s = typeof pin === 'string' ? pin.trim() : ''
  if (/^[0-9a-fA-F]{64}$/.test(s)) return s.toLowerCase()
  if (/^([0-9a-fA-F]{2}:){31}[0-9a-fA-F]{2}$/.test(s)) return s.replaceAll(':', '').toLowerCase()
  if (/^[A-Za-z0-9+/]{43}=?$/.test(s) || /^[A-Za-z0-9_-]{43}=?$/.test(s)) {
    const standard = s.replace(/-/g, '+').replace(/_/g, '/').slice(0, 43)
    const bytes = Buffer.from(standard, 'base64')
    // The 43rd character carries 2 spare bits; a pin with them set is a typo, not another spelling of a digest.
    if (bytes.length === 32 && bytes.toString('base64').startsWith(standard)) return bytes.toString('hex')
  }
  throw new QmsError('ERR_TLS_BAD_PIN', 'a certificate pin must be a SHA-256 digest in hex or base64', {
    details: { pin: typeof pin === 'string' ? pin.slice(0, 100) : typeof pin },
  })
}

/**
 * True when the SHA-256 of `der` equals one of `pins` (any form {@link normalizePin} accepts). Throws
 * `ERR_TLS_BAD_PIN` if any pin is malformed, so a typo never silently locks a peer out.
 */
export function matchesPin(der: Uint8Array, pins: readonly string[]): boolean {
  const wanted = pins.map(normalizePin)
  const actual = toHex(sha256(der))
  return wanted.includes(actual)
}

/**
 * Reads PEM files for `TlsOptions`: the certificate chain, its private key and optionally a CA bundle. Throws
 * `ERR_TLS_BAD_FILE` when a file cannot be read, `ERR_TLS_BAD_CERTIFICATE` when a certificate file holds no valid
 * certificate, and `ERR_TLS_BAD_KEY` when the key does not parse or does not belong to the leaf certificate.
 */
export async function loadTlsFiles(files: {
  certFile: string
  keyFile: string
  caFile?: string
}): Promise<TlsMaterial> {
  const [cert, key, ca] = await Promise.all([
    readPem(files.certFile),
    readPem(files.keyFile),
    files.caFile === undefined ? undefined : readPem(files.caFile),
  ])
  const leaf = withFile(files.certFile, () => new X509Certificate(pemToDer(cert)[0]!))
  const privateKey = withFile(files.keyFile, () => parsePrivateKey(key))
  if (!leaf.checkPrivateKey(privateKey)) {
    throw new QmsError('ERR_TLS_BAD_KEY', 'the private key does not belong to the certificate', {
      details: { certFile: files.certFile, keyFile: files.keyFile },
    })
  }
  if (ca !== undefined) withFile(files.caFile!, () => pemToDer(ca))
  return ca === undefined ? { cert, key } : { cert, key, ca }
}

interface ImportedIssuer {
  der: Uint8Array<ArrayBuffer>
  signingKey: CryptoKey
}

async function importIssuer(issuer: { cert: string; key: string }): Promise<ImportedIssuer> {
  const der = new Uint8Array(pemToDer(issuer.cert)[0]!)
  const cert = new X509Certificate(der)
  if (!cert.ca) {
    throw new QmsError('ERR_TLS_BAD_CERTIFICATE', 'the issuer certificate is not a CA', {
      details: { subject: cert.subject },
    })
  }
  const key = parsePrivateKey(issuer.key)
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new QmsError('ERR_TLS_BAD_KEY', 'the issuer key must be ECDSA P-256', {
      details: { type: key.asymmetricKeyType, curve: key.asymmetricKeyDetails?.namedCurve },
    })
  }
  if (!cert.checkPrivateKey(key)) {
    throw new QmsError('ERR_TLS_BAD_KEY', 'the issuer key does not belong to the issuer certificate')
  }
  const pkcs8 = key.export({ type: 'pkcs8', format: 'der' })
  const signingKey = await globalThis.crypto.subtle.importKey('pkcs8', pkcs8, EC_P256, false, ['sign'])
  return { der, signingKey }
}

function parsePrivateKey(pem: string): KeyObject {
  try {
    return createPrivateKey({ key: pem, format: 'pem' })
  } catch (err) {
    throw new QmsError('ERR_TLS_BAD_KEY', 'not a PEM private key', { cause: err })
  }
}

function parseCertificate(der: Uint8Array): { der: Uint8Array; cert: X509Certificate } {
  try {
    return { der: new Uint8Array(der), cert: new X509Certificate(der) }
  } catch (err) {
    throw new QmsError('ERR_TLS_BAD_CERTIFICATE', 'not an X.509 certificate', { cause: err })
  }
}

async function readPem(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8')
  } catch (err) {
    throw new QmsError('ERR_TLS_BAD_FILE', `cannot read ${file}`, { cause: err, details: { file } })
  }
}

/** Runs a parse of `file`'s content, adding the file name to the QmsError it may throw. */
function withFile<T>(file: string, parse: () => T): T {
  try {
    return parse()
  } catch (err) {
    if (err instanceof QmsError) {
      throw new QmsError(err.code, `${file}: ${err.message}`, { cause: err.cause, details: { ...err.details, file } })
    }
    throw err
  }
}

function* pemBlocks(text: string): Generator<{ label: string; der: Uint8Array }> {
  const block = /-----BEGIN ([A-Z0-9 ]+)-----([^-]*)-----END \1-----/g
  for (const m of text.matchAll(block)) {
    const body = m[2]!.replace(/\s+/g, '')
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(body) || body.length % 4 !== 0) {
      throw new QmsError('ERR_TLS_BAD_CERTIFICATE', `malformed base64 in PEM block ${m[1]}`)
    }
    yield { label: m[1]!, der: new Uint8Array(Buffer.from(body, 'base64')) }
  }
}

function looksLikePem(bytes: Uint8Array): boolean {
  return Buffer.from(bytes.subarray(0, 64)).toString('latin1').trimStart().startsWith('-----BEGIN ')
}

function toPem(label: string, der: Uint8Array): string {
  const b64 = Buffer.from(der).toString('base64')
  const lines = b64.match(/.{1,64}/g) ?? []
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`
}

function sha256(data: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(data).digest())
}

function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex')
}

function randomSerial(): string {
  const bytes = globalThis.crypto.getRandomValues(new Uint8Array(16))
  // Positive and without a leading zero byte, so the DER INTEGER is exactly 16 bytes.
  bytes[0] = (bytes[0]! & 0x7f) | 0x40
  return toHex(bytes)
}

function isDnsName(name: string): boolean {
  return (
    name.length <= 253 && /^(\*\.)?[A-Za-z0-9_]([A-Za-z0-9_-]{0,62})(\.[A-Za-z0-9_]([A-Za-z0-9_-]{0,62}))*$/.test(name)
  )
}

function badOption(message: string, details: Record<string, unknown>): QmsError {
  return new QmsError('ERR_INVALID_ARGUMENT', message, { details })
}
