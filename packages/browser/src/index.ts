/**
 * `@quic-multistream/browser`: agents in a web page. A `QuicConnection` over the browser's native WebTransport
 * (HTTP/3 to our QUIC endpoint), a client-only endpoint for the Agent, `BrowserAgent.connect(url, ...)`, and the
 * esbuild bundler that makes one ESM file of it all for a `<script type="module">`.
 * @packageDocumentation
 */
export { isQmsError, QmsError } from '@quic-multistream/protocol'
export { BrowserAgent, type BrowserAgentOptions, connectAgent } from './browser-agent.js'
export { type BrowserBundle, type BrowserBundleOptions, buildBrowserBundle } from './bundler.js'
export { type CertificateHash, certificateHashBytes } from './certificate-hash.js'
export { BrowserErrorCode } from './errors.js'
export {
  DEFAULT_MESH_PATH,
  type GatewayAgent,
  type GatewayAgentOptions,
  type GatewayTransport,
  gatewayTransport,
  startGatewayAgent,
} from './gateway.js'
export { WEBTRANSPORT_ALPN, WebTransportConnection, type WebTransportOpenOptions } from './wt-connection.js'
export { BROWSER_ADDRESS, createWebTransportEndpoint, type WebTransportEndpointOptions } from './wt-endpoint.js'
export { clampPriority, WebTransportStream, type WebTransportStreamInit } from './wt-stream.js'
