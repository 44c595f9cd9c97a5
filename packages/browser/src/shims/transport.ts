/**
 * `@quic-multistream/transport` for the browser bundle. The agent imports only `createEndpoint` (its default
 * transport) and types from it; in a page the WebTransport endpoint is always passed as `transport`, so the native
 * QUIC engine (and node:dgram, node:fs, the x509 tooling behind it) never enters the bundle.
 */
import { QmsError } from '@quic-multistream/protocol'

export { isQmsError, QmsError } from '@quic-multistream/protocol'

export function createEndpoint(): never {
  throw new QmsError('ERR_UNSUPPORTED', 'native QUIC is not available in a page; use the WebTransport endpoint')
}
