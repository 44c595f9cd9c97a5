/**
 * The seam between our endpoint driver and a QUIC engine. Only `engine-quiche.ts` touches a native binding; a
 * future `node:quic` (or another engine) implements these same shapes. The shapes follow quiche's connection API
 * because that is what a sans-IO QUIC engine looks like: we feed datagrams in, pull datagrams out, and run timers.
 */

/** Host and port as the engine sees them. */
export interface EngineAddress {
  host: string
  port: number
}

/** Where a received datagram came from and went to. */
export interface EngineRecvInfo {
  from: EngineAddress
  to: EngineAddress
}

/** A connection error as reported by the engine (CONNECTION_CLOSE contents). */
export interface EngineConnectionError {
  isApp: boolean
  errorCode: number
  reason: Uint8Array
}

/** Raw engine statistics for one connection. */
export interface EngineStats {
  recv: number
  sent: number
  lost: number
  retrans: number
  sentBytes: number
  recvBytes: number
  lostBytes: number
}

/** Path statistics (RTT in ms, congestion window in bytes). */
export interface EnginePathStats {
  rtt: number
  cwnd: number
  pmtu: number
  deliveryRate: number
}

/** A sans-IO QUIC connection. Methods throw `Error` with engine messages such as `StreamLimit` or `StreamReset(7)`. */
export interface EngineConnection {
  recv(data: Uint8Array, info: EngineRecvInfo): number
  /** Writes the next packet into `out`; returns its length (and routing info) or null when there is nothing to send. */
  send(out: Uint8Array): [number, unknown] | null
  streamRecv(streamId: number, out: Uint8Array): [number, boolean] | null
  streamSend(streamId: number, data: Uint8Array, fin: boolean): number | null
  streamPriority(streamId: number, urgency: number, incremental: boolean): void
  streamShutdown(streamId: number, direction: 0 | 1, code: number): unknown
  streamFinished(streamId: number): boolean
  streamReadable(streamId: number): boolean
  /** True when any stream has data (or a FIN) to read; much cheaper than `readable()`. */
  isReadable(): boolean
  peerStreamsLeftBidi(): number
  peerStreamsLeftUni(): number
  readable(): Iterable<number>
  writable(): Iterable<number>
  dgramRecv(out: Uint8Array): number | null
  /** Queues a datagram; null when the send queue is full (the datagram is dropped). */
  dgramSend(data: Uint8Array): undefined | null
  dgramMaxWritableLen(): number | null
  timeout(): number | null
  onTimeout(): void
  close(app: boolean, code: number, reason: Uint8Array): unknown
  applicationProto(): Uint8Array
  peerCertChain(): Uint8Array[] | null
  session(): Uint8Array | null
  setSession(session: Uint8Array): void
  isEstablished(): boolean
  isResumed(): boolean
  isInEarlyData(): boolean
  isDraining(): boolean
  isClosed(): boolean
  isTimedOut(): boolean
  peerError(): EngineConnectionError | null
  localError(): EngineConnectionError | null
  stats(): EngineStats
  pathStats(): EnginePathStats[]
  sendAckEliciting(): void
}

/** Parsed long or short packet header. */
export interface EngineHeader {
  /** 0 Initial, 1 Retry, 2 Handshake, 3 0-RTT, 4 Version negotiation, 5 Short. */
  type: number
  version: number
  dcid: Uint8Array
  scid: Uint8Array
  token: Uint8Array | undefined
}

/** Packet header types (RFC 9000 §17). */
export const PacketType = { Initial: 0, Retry: 1, Handshake: 2, ZeroRTT: 3, VersionNegotiation: 4, Short: 5 } as const

/** What a QUIC configuration is built from. One config is shared by many connections (session tickets need that). */
export interface EngineConfigOptions {
  /** PEM chain and key; absent for a client without a certificate. */
  cert?: Uint8Array
  key?: Uint8Array
  /** PEM CA bundle to verify the peer against; absent = no chain verification. */
  ca?: Uint8Array
  verifyPeer: boolean
  alpn: string[]
  idleTimeoutMs: number
  maxSendUdpPayload: number
  maxRecvUdpPayload: number
  connectionWindow: number
  streamWindow: number
  maxStreamsBidi: number
  maxStreamsUni: number
  datagrams: boolean
  earlyData: boolean
  congestionControl: 'cubic' | 'reno' | 'bbr'
  /** 48-byte session ticket key, shared by all server configs of one endpoint so tickets survive config choice. */
  ticketKey?: Uint8Array
}

/** An opaque, engine-specific configuration. */
export interface EngineConfig {
  readonly options: EngineConfigOptions
}

/** A QUIC engine: configuration, connection creation and the stateless packet helpers. */
export interface Engine {
  readonly name: string
  readonly maxConnIdLen: number
  readonly protocolVersion: number
  createConfig(options: EngineConfigOptions): EngineConfig
  connect(
    serverName: string,
    scid: Uint8Array,
    local: EngineAddress,
    remote: EngineAddress,
    config: EngineConfig,
  ): EngineConnection
  accept(
    scid: Uint8Array,
    odcid: Uint8Array | null,
    local: EngineAddress,
    remote: EngineAddress,
    config: EngineConfig,
  ): EngineConnection
  /** Parses a header; returns null (never throws) for anything that is not a QUIC packet. */
  parseHeader(packet: Uint8Array, dcidLen: number): EngineHeader | null
  versionIsSupported(version: number): boolean
  /** Writes a Version Negotiation packet into `out`; returns its length. */
  negotiateVersion(scid: Uint8Array, dcid: Uint8Array, out: Uint8Array): number
  /** Writes a Retry packet into `out`; returns its length. */
  retry(
    scid: Uint8Array,
    dcid: Uint8Array,
    newScid: Uint8Array,
    token: Uint8Array,
    version: number,
    out: Uint8Array,
  ): number
}
