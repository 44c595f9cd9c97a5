import type { QuicConnection, SocketAddress } from './types.js'

/** TLS material and verification policy. PEM strings or bytes. */
export interface TlsOptions {
  /** PEM certificate chain, leaf first. Required to accept connections; optional for clients (mTLS). */
  cert?: string | Uint8Array
  /** PEM private key for `cert`. */
  key?: string | Uint8Array
  /** PEM CA certificate(s) the peer's chain must verify against. */
  ca?: string | Uint8Array
  /**
   * Accept the peer only if the SHA-256 of its leaf certificate (DER) is one of these (hex, with or without colons,
   * or base64), like WebTransport's `serverCertificateHashes`. Checked in addition to `ca` when both are given.
   */
  pinSha256?: string[]
  /** Accepting side: require a client certificate that verifies against `ca` (mTLS). */
  requireClientCert?: boolean
  /** Connecting side: skip all verification. Development only; never combine with production traffic. */
  insecure?: boolean
}

/** Congestion controller. */
export type CongestionControl = 'cubic' | 'reno' | 'bbr'

/** Options of {@link createEndpoint}. Every limit has a sensible default. */
export interface EndpointOptions {
  /** Address to bind; default `127.0.0.1`. */
  host?: string
  /** Port to bind; default 0 (any free port). */
  port?: number
  /**
   * ALPN protocols: offered in this order when connecting, accepted as a set when accepting. The connecting side's
   * order decides: the server picks the first protocol of the client's list that it also lists, whatever its own
   * order (the engine offers no server-side preference), and refuses the handshake when none is shared. A client
   * offering `['h3', 'qms/1']` to a server listing `['qms/1', 'h3']` gets `h3`. Default `['qms/1']`.
   */
  alpn?: string[]
  /** TLS material and verification policy. */
  tls?: TlsOptions
  /** Accept incoming connections (needs `tls.cert`/`tls.key`). Default true when a certificate is given. */
  accept?: boolean
  /**
   * Most concurrent connections accepted. Extra clients are closed with CONNECTION_REFUSED (`ERR_CONNECTION_REFUSED`)
   * as soon as they can read it: right after their handshake, so their `connect` may resolve just before `closed`
   * reports the refusal. Default 10,000.
   */
  maxConnections?: number
  /** Most concurrent connections accepted from one IP. Default 1,000. */
  maxConnectionsPerIp?: number
  /** Bidirectional streams the peer may have open at once. Default 1,000. */
  maxStreamsBidi?: number
  /** Unidirectional streams the peer may have open at once. Default 1,000. */
  maxStreamsUni?: number
  /** Close a connection after this long without traffic. Default 30,000 ms. */
  idleTimeoutMs?: number
  /** Send a keep-alive PING after this long without traffic (0 = off). Default 10,000 ms. */
  keepAliveMs?: number
  /** Accept 0-RTT data from resuming clients / send it when resuming. Default true. */
  earlyData?: boolean
  /** Validate every client address with a Retry round trip before accepting (costs one round trip). Default false. */
  retry?: boolean
  /**
   * Congestion controller. Default `cubic`, or `bbr` when `alpn` includes `h3` (browsers over WebTransport: with
   * Chromium's delayed ACKs, quiche 0.18's cubic lets its RTT estimate run away and recovers from loss very late).
   */
  congestionControl?: CongestionControl
  /**
   * Largest UDP payload sent. `'auto'` (default) allows 65,527 bytes to loopback peers (both ends must agree, and
   * ours do) and 1,350 elsewhere.
   */
  maxUdpPayload?: number | 'auto'
  /** Accept and send QUIC datagrams. Default true. */
  datagrams?: boolean
  /** Connection-level flow-control window in bytes. Default 16 MiB. */
  connectionWindow?: number
  /** Per-stream flow-control window in bytes. Default 4 MiB. */
  streamWindow?: number
  /** UDP socket buffer sizes in bytes. Default 8 MiB each. */
  socketBufferSize?: number
  /** Handshake deadline for `connect`. Default 5,000 ms. */
  connectTimeoutMs?: number
}

/** Options of {@link QuicEndpoint.connect}. */
export interface ConnectOptions {
  host: string
  port: number
  /** TLS server name (SNI) and the name checked against the certificate; default `localhost`. */
  serverName?: string
  /** Override the endpoint's ALPN list for this connection; its order is the preference the server follows. */
  alpn?: string[]
  /** Override the endpoint's verification policy for this connection (e.g. a pin for this server). */
  tls?: Pick<TlsOptions, 'ca' | 'pinSha256' | 'insecure'>
  /** Resume with 0-RTT if a ticket for this server is known. Default: the endpoint's `earlyData`. */
  earlyData?: boolean
  /** Handshake deadline; default the endpoint's `connectTimeoutMs`. */
  timeoutMs?: number
  signal?: AbortSignal
}

/** Endpoint counters. */
export interface EndpointStats {
  connectionsAccepted: number
  connectionsDialed: number
  connectionsActive: number
  connectionsRejected: number
  /** Accepted handshakes that failed before the connection became usable (bad or missing client certificate, no
   * common ALPN, timeout). */
  handshakesFailed: number
  /** Datagrams that were not QUIC, were truncated, or matched no connection and could not start one. */
  badPacketsDropped: number
  packetsReceived: number
  packetsSent: number
  retriesSent: number
  versionNegotiationsSent: number
}

/** A UDP socket that can accept and dial QUIC connections. */
export interface QuicEndpoint {
  /** Bound address. */
  readonly address: SocketAddress
  /** Dial a server. Rejects with `ERR_CONNECT_TIMEOUT`, `ERR_TLS_*` or `ERR_CONNECTION_CLOSED`. */
  connect(options: ConnectOptions): Promise<QuicConnection>
  /** Connections accepted from peers (handshake complete, or in 0-RTT). Iterate it once. */
  readonly incomingConnections: AsyncIterable<QuicConnection>
  /** Open connections, both directions. */
  readonly connections: ReadonlySet<QuicConnection>
  stats(): EndpointStats
  /** Close every connection with `code`, wait for them to finish (up to `timeoutMs`), then close the socket. */
  close(options?: { code?: number; reason?: string; timeoutMs?: number }): Promise<void>
}

/** Endpoint counters at zero: the starting point of every endpoint implementation. */
export function emptyEndpointStats(): EndpointStats {
  return {
    connectionsAccepted: 0,
    connectionsDialed: 0,
    connectionsActive: 0,
    connectionsRejected: 0,
    handshakesFailed: 0,
    badPacketsDropped: 0,
    packetsReceived: 0,
    packetsSent: 0,
    retriesSent: 0,
    versionNegotiationsSent: 0,
  }
}
