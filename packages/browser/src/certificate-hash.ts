import { QmsError } from '@quic-multistream/protocol'
import { BrowserErrorCode } from './errors.js'

/** A pinned certificate hash: SHA-256 of the DER certificate, as hex (colons allowed), base64, or bytes. */
export type CertificateHash = string | Uint8Array

/**
 * Decodes a certificate hash into the 32 bytes `serverCertificateHashes` wants.
 * @throws QmsError `ERR_INVALID_ARGUMENT` when it is not 32 bytes in one of the accepted spellings.
 */
export function certificateHashBytes(hash: CertificateHash): Uint8Array {
  if (typeof hash !== 'string') return checkLength(hash, 'bytes')
  const hex = hash.replace(/:/g, '')
  if (/^[0-9a-fA-F]{64}$/.test(hex)) {
    return Uint8Array.from({ length: 32 }, (_, i) => Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16))
  }
  let binary: string
  try {
    binary = atob(hash.replace(/-/g, '+').replace(/_/g, '/'))
  } catch (e) {
    throw new QmsError(BrowserErrorCode.INVALID_ARGUMENT, 'a certificate hash must be hex or base64', { cause: e })
  }
  return checkLength(
    Uint8Array.from(binary, (c) => c.charCodeAt(0)),
    'base64',
  )
}

function checkLength(bytes: Uint8Array, spelling: string): Uint8Array {
  if (bytes.byteLength !== 32) {
    throw new QmsError(
      BrowserErrorCode.INVALID_ARGUMENT,
      `a SHA-256 certificate hash is 32 bytes, got ${bytes.byteLength} (${spelling})`,
    )
  }
  return bytes
}
