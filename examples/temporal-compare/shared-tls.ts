/**
 * How processes of one deployment share a certificate: the environment variable {@link TLS_ENV} holds it as JSON,
 * and every agent presents it and pins its fingerprint (as the repository's multi-process tests do).
 */
import { type DevCertificate, generateDevCertificate } from '@quic-multistream/transport'

/** The environment variable holding a shared certificate as JSON `{ cert, key, sha256 }`. */
export const TLS_ENV = 'TEMPORAL_COMPARE_TLS'

/** The certificate fields a process needs: PEM certificate and key, and the SHA-256 pin of the certificate. */
export type SharedTls = Pick<DevCertificate, 'cert' | 'key' | 'sha256'>

/** The shared certificate from {@link TLS_ENV}, or a fresh development certificate when it is not set. */
export async function loadSharedTls(): Promise<SharedTls> {
  const shared = process.env[TLS_ENV]
  return shared ? (JSON.parse(shared) as SharedTls) : await generateDevCertificate()
}
