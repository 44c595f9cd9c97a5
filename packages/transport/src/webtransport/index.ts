/** WebTransport over HTTP/3 on our QUIC endpoint: the server view and its public types. */

export { connectWebTransport, type WebTransportConnectOptions } from './client.js'
export { H3Error, httpCodeToWt, WebTransportErrorCode, wtCodeToHttp } from './errors.js'
export type { WebTransportStats } from './h3-connection.js'
export {
  H3_ALPN,
  type WebTransportEndpoint,
  type WebTransportServerOptions,
  withWebTransport,
} from './server.js'
export type { WebTransportSession } from './session.js'
