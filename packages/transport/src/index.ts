/**
 * `@quic-multistream/transport`: a QUIC endpoint for Node (streams, datagrams, priorities, 0-RTT, TLS).
 * @packageDocumentation
 */
export { isQmsError, QmsError } from '@quic-multistream/protocol'
export { DEFAULT_ALPN } from './defaults.js'
export { createEndpoint } from './endpoint.js'
export { TransportErrorCode } from './errors.js'
export { createMemoryEndpoint, MemoryNetwork } from './memory/index.js'
export type {
  CongestionControl,
  ConnectOptions,
  EndpointOptions,
  EndpointStats,
  QuicEndpoint,
  TlsOptions,
} from './options.js'
export { RetryTokens } from './retry-token.js'
export * from './tls/certificate.js'
export type {
  CloseInfo,
  ConnectionStats,
  QuicConnection,
  QuicStream,
  SocketAddress,
  StreamOptions,
  StreamStats,
} from './types.js'
export * from './webtransport/index.js'
