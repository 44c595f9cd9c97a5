/**
 * Certificate fixtures, generated once per test process (generation takes milliseconds, but hundreds of tests
 * share them) and valid for the default 13 days.
 */
import { type DevCertificate, generateDevCa, generateDevCertificate } from '@quic-multistream/transport'

function once<T>(make: () => Promise<T>): () => Promise<T> {
  let cached: Promise<T> | undefined
  return () => {
    cached ??= make().catch((err: unknown) => {
      cached = undefined
      throw err
    })
    return cached
  }
}

/** Self-signed server certificate for `localhost`, 127.0.0.1 and ::1. */
export const serverCert = once(() => generateDevCertificate())

/** Self-signed client certificate (CN `qms-client`) for mTLS tests. */
export const clientCert = once(() =>
  generateDevCertificate({ commonName: 'qms-client', hostnames: ['qms-client'], ips: [] }),
)

/** Another self-signed `localhost` certificate: the wrong one, for pin-mismatch and unknown-CA tests. */
export const otherCert = once(() => generateDevCertificate({ commonName: 'localhost' }))

/** A development CA; its `cert` is what `TlsOptions.ca` should hold to trust the CA-signed fixtures. */
export const devCa = once(() => generateDevCa())

/** Server certificate for `localhost`, 127.0.0.1 and ::1 signed by {@link devCa}. */
export const caSignedServerCert = once(async () => generateDevCertificate({ issuer: await devCa() }))

/** Client certificate (CN `qms-client`) signed by {@link devCa}, for mTLS with `requireClientCert`. */
export const caSignedClientCert = once(async () =>
  generateDevCertificate({ commonName: 'qms-client', hostnames: ['qms-client'], ips: [], issuer: await devCa() }),
)

export type { DevCertificate }
