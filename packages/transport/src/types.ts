/**
 * The transport's public contract. The native QUIC endpoint implements it, the WebTransport path implements it,
 * and test doubles for upper layers implement it; the conformance suite runs against every implementation.
 */

/** A UDP address. */
export interface SocketAddress {
  host: string
  port: number
}

/** Options for opening a stream. */
export interface StreamOptions {
  /** 0 (background) to 255 (critical); default 128 (normal). Mapped onto RFC 9218 urgency on the wire. */
  priority?: number
  /** RFC 9218 incremental flag: share bandwidth round-robin with streams of the same urgency. Default false. */
  incremental?: boolean
  /** Abort waiting for stream credit (the peer's stream limit). */
  signal?: AbortSignal
}

/** Counters of one stream. */
export interface StreamStats {
  bytesWritten: number
  bytesRead: number
  /** Bytes accepted by `write` but not yet handed to QUIC (flow control or congestion). */
  bytesBuffered: number
}

/**
 * A QUIC stream. Reading: iterate it (`for await (const chunk of stream)`), which ends at the peer's FIN and throws
 * `ERR_STREAM_RESET` if the peer resets. Writing: `write` resolves once QUIC accepted the bytes (flow control), so
 * awaiting it is backpressure.
 */
export interface QuicStream extends AsyncIterable<Uint8Array> {
  /** QUIC stream id (RFC 9000 numbering: bit 0 initiator, bit 1 direction). */
  readonly id: number
  readonly direction: 'bidi' | 'uni'
  /** Who opened it. */
  readonly initiator: 'local' | 'remote'
  /** Current priority, 0-255. */
  readonly priority: number
  /**
   * Send bytes; resolves when QUIC took all of them (copied into its own buffers), so the caller may reuse `data` as
   * soon as the promise settles. Rejects with `ERR_STREAM_*` if the stream can no longer send.
   */
  write(data: Uint8Array): Promise<void>
  /** Send the optional last bytes and a FIN; resolves when QUIC took them. */
  end(data?: Uint8Array): Promise<void>
  /** Abort sending with an application error code (RESET_STREAM). Pending writes reject. */
  reset(code?: number): void
  /** Ask the peer to stop sending (STOP_SENDING). Reading ends (without an error); buffered data is discarded. */
  stopSending(code?: number): void
  /** Change the stream's priority; takes effect for the next bytes QUIC schedules. */
  setPriority(priority: number, incremental?: boolean): void
  /** Resolves when both directions are finished (FIN or reset, sent and received as applicable). */
  readonly closed: Promise<void>
  stats(): StreamStats
  /** Web Streams view of the receiving side. */
  readable(): ReadableStream<Uint8Array>
  /**
   * Web Streams view of the sending side: closing it ends the stream; aborting it resets the stream with the abort
   * reason when that is a number, else 0.
   */
  writable(): WritableStream<Uint8Array>
}

/** How a connection ended. */
export interface CloseInfo {
  /** QUIC error code (application code when `app` is true, else a transport/TLS code). */
  code: number
  reason: string
  /** True when the peer closed it; false when we closed it or it timed out. */
  remote: boolean
  /** True for an application CONNECTION_CLOSE (0x1d), false for transport-level. */
  app: boolean
  /** Set when the close was an error (idle timeout, TLS failure, protocol violation...). */
  error?: Error
}

/** Counters of one connection. */
export interface ConnectionStats {
  packetsSent: number
  packetsReceived: number
  packetsLost: number
  retransmits: number
  bytesSent: number
  bytesReceived: number
  bytesLost: number
  /** Smoothed RTT in milliseconds (the quiche engine reports whole milliseconds). */
  rttMs: number
  /** Congestion window in bytes. */
  cwnd: number
  streamsOpened: number
  streamsClosed: number
  datagramsSent: number
  datagramsReceived: number
  datagramsDropped: number
}

/** A QUIC connection (either side). */
export interface QuicConnection {
  /** Locally unique id, stable for the connection's life (for logs and pools). */
  readonly id: string
  readonly role: 'client' | 'server'
  readonly remoteAddress: SocketAddress
  /** Negotiated ALPN, e.g. `qms/1`. */
  readonly alpn: string
  /** Peer's leaf certificate (DER), when it sent one. */
  readonly peerCertificate: Uint8Array | undefined
  /** TLS session was resumed (a ticket from an earlier connection was accepted). */
  readonly resumed: boolean
  /** Stream data was exchanged in 0-RTT on this connection. */
  readonly earlyData: boolean
  /** Largest datagram payload `sendDatagram` accepts now (0 when the peer does not accept datagrams). */
  readonly maxDatagramSize: number
  /** Open a bidirectional stream; waits for stream credit if the peer's limit is reached. */
  openBidi(options?: StreamOptions): Promise<QuicStream>
  /** Open a unidirectional (send-only) stream; waits for stream credit if the peer's limit is reached. */
  openUni(options?: StreamOptions): Promise<QuicStream>
  /** Streams the peer opens, in order. Ends when the connection closes. Iterate it once. */
  readonly incomingStreams: AsyncIterable<QuicStream>
  /** Queue an unreliable datagram. Throws `ERR_DATAGRAM_TOO_LARGE` above `maxDatagramSize`. */
  sendDatagram(data: Uint8Array): void
  /** Datagrams from the peer. Ends when the connection closes. Iterate it once. */
  readonly incomingDatagrams: AsyncIterable<Uint8Array>
  /** Close with an application code and reason; resolves when the connection is fully closed. */
  close(code?: number, reason?: string): Promise<void>
  /** Resolves (never rejects) when the connection is closed, with how it ended. */
  readonly closed: Promise<CloseInfo>
  /** True until `closed` resolves. */
  readonly isOpen: boolean
  stats(): ConnectionStats
}
