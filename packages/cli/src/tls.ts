import {
  certificateSha256,
  generateDevCertificate,
  loadTlsFiles,
  normalizePin,
  type TlsOptions,
} from '@quic-multistream/transport'
import { type CommandInput, stringFlag } from './command.js'
import { UsageError } from './usage-error.js'

/** The common client flags: how to check the server's certificate. */
export const CLIENT_TLS_FLAGS = {
  pin: {
    type: 'string',
    value: '<sha256>',
    description: 'accept only this server certificate (hex, with or without colons, or base64; `qms serve` prints it)',
  },
  insecure: { type: 'boolean', description: 'skip certificate verification (development only)' },
} as const

/** Client TLS from `--pin` / `--insecure`; exactly one is required so nobody connects unverified by accident. */
export function clientTls(flags: CommandInput['flags']): TlsOptions {
  const pin = stringFlag(flags, 'pin')
  const insecure = flags.insecure === true
  if ((pin === undefined) === !insecure) {
    throw new UsageError('give either --pin <sha256> (qms serve and qms cert print it) or --insecure')
  }
  // Normalized here so a malformed pin reads as a typo (exit 1), not as a certificate that fails to match (exit 3).
  return pin === undefined ? { insecure: true } : { pinSha256: [normalizePin(pin)] }
}

/** A server's certificate and key, with the fingerprint clients pin and where it came from. */
export interface ServerCertificate {
  cert: string
  key: string
  sha256: string
  origin: string
}

/** Reads `--cert`/`--key`, or makes a development certificate when neither is given. */
export async function serverCertificate(flags: CommandInput['flags']): Promise<ServerCertificate> {
  const certFile = stringFlag(flags, 'cert')
  const keyFile = stringFlag(flags, 'key')
  if (certFile === undefined && keyFile === undefined) {
    const dev = await generateDevCertificate()
    return { ...dev, origin: `development certificate, valid until ${dev.notAfter.toISOString()}` }
  }
  if (certFile === undefined || keyFile === undefined) throw new UsageError('--cert and --key go together')
  // Unreadable or mismatched files are a command-line problem (exit 1), not a failed handshake (exit 3).
  const { cert, key } = await loadTlsFiles({ certFile, keyFile }).catch((e: unknown) => {
    throw new UsageError(`cannot use --cert ${certFile} --key ${keyFile}: ${(e as Error).message}`, { cause: e })
  })
  return { cert, key, sha256: certificateSha256(cert), origin: `from ${certFile}` }
}
