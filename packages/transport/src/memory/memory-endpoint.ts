import { QmsError } from '@quic-multistream/protocol'
import { AsyncQueue } from '../async-queue.js'
import { TransportErrorCode } from '../errors.js'
import {
  type ConnectOptions,
  type EndpointOptions,
  type EndpointStats,
  emptyEndpointStats,
  type QuicEndpoint,
} from '../options.js'
import type { QuicConnection, SocketAddress } from '../types.js'
import { MemoryConnection, type MemoryLimits } from './memory-connection.js'
import { type MemoryDialer, type MemoryHost, MemoryNetwork } from './memory-network.js'

/** Options of {@link createMemoryEndpoint}: the real endpoint's options (TLS is accepted and ignored) plus a network. */
export interface MemoryEndpointOptions extends EndpointOptions {
  /** Address namespace to bind in; default {@link MemoryNetwork.shared}. */
  network?: MemoryNetwork
  /** Largest datagram payload accepted; default 1,200 bytes (a conservative path MTU). */
  maxDatagramSize?: number
}

const DEFAULT_ALPN = ['qms/1']

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms)
    function done() {
      clearTimeout(timer)
      signal?.removeEventListener('abort', done)
      resolve()
    }
    signal?.addEventListener('abort', done, { once: true })
  })
}

class MemoryEndpoint implements QuicEndpoint, MemoryHost {
  readonly address: SocketAddress
  readonly incomingConnections = new AsyncQueue<QuicConnection>()
  readonly connections = new Set<QuicConnection>()
  readonly #network: MemoryNetwork
  readonly #alpn: readonly string[]
  readonly #accept: boolean
  readonly #maxConnections: number
  readonly #connectTimeoutMs: number
  readonly #limits: MemoryLimits
  readonly #stats: EndpointStats = emptyEndpointStats()
  #closed = false

  constructor(network: MemoryNetwork, address: SocketAddress, options: MemoryEndpointOptions) {
    this.#network = network
    this.address = address
    this.#alpn = options.alpn ?? DEFAULT_ALPN
    this.#accept = options.accept ?? true
    this.#maxConnections = options.maxConnections ?? 10_000
    this.#connectTimeoutMs = options.connectTimeoutMs ?? 5_000
    this.#limits = {
      maxStreamsBidi: options.maxStreamsBidi ?? 1_000,
      maxStreamsUni: options.maxStreamsUni ?? 1_000,
      streamWindow: options.streamWindow ?? 4 * 1024 * 1024,
      maxDatagramSize: options.datagrams === false ? 0 : (options.maxDatagramSize ?? 1_200),
      datagramQueue: 1_024,
    }
  }

  async connect(options: ConnectOptions): Promise<QuicConnection> {
    if (this.#closed) throw new QmsError(TransportErrorCode.ENDPOINT_CLOSED, 'endpoint is closed')
    const { signal } = options
    if (signal?.aborted) throw new QmsError(TransportErrorCode.ABORTED, 'connect aborted', { cause: signal.reason })
    const target = { host: options.host, port: options.port }
    if (this.#network.isPartitioned(target) || this.#network.isPartitioned(this.address)) {
      // A partition is silence, not a refusal: the handshake runs out of time.
      const timeoutMs = options.timeoutMs ?? this.#connectTimeoutMs
      await sleep(timeoutMs, signal)
      if (signal?.aborted) throw new QmsError(TransportErrorCode.ABORTED, 'connect aborted', { cause: signal.reason })
      throw new QmsError(
        TransportErrorCode.CONNECT_TIMEOUT,
        `no answer from ${target.host}:${target.port} in ${timeoutMs} ms`,
      )
    }
    const server = this.#network.lookup(target)
    if (!server) {
      throw new QmsError(TransportErrorCode.CONNECTION_REFUSED, `nothing listens on ${target.host}:${target.port}`)
    }
    const dialer: MemoryDialer = { address: this.address, limits: this.#limits, onClosed: (c) => this.#forget(c) }
    const conn = server.acceptFrom(dialer, options.alpn ?? this.#alpn)
    this.connections.add(conn)
    this.#stats.connectionsDialed++
    // A handshake is never synchronous; callers must not rely on it being so.
    await Promise.resolve()
    return conn
  }

  acceptFrom(client: MemoryDialer, alpn: readonly string[]): MemoryConnection {
    if (this.#closed || !this.#accept) {
      throw new QmsError(
        TransportErrorCode.CONNECTION_REFUSED,
        `${this.address.host}:${this.address.port} does not accept`,
      )
    }
    if (this.connections.size >= this.#maxConnections) {
      this.#stats.connectionsRejected++
      throw new QmsError(TransportErrorCode.LIMIT_CONNECTIONS, 'the peer has too many connections')
    }
    const chosen = this.#alpn.find((p) => alpn.includes(p))
    if (chosen === undefined) {
      this.#stats.connectionsRejected++
      throw new QmsError(TransportErrorCode.TLS_NO_ALPN, `no common ALPN (offered ${alpn.join(',')})`)
    }
    const [clientSide, serverSide] = MemoryConnection.pair(
      client,
      { address: this.address, limits: this.#limits, onClosed: (c) => this.#forget(c) },
      chosen,
    )
    this.connections.add(serverSide)
    this.#stats.connectionsAccepted++
    this.incomingConnections.push(serverSide)
    return clientSide
  }

  stats(): EndpointStats {
    let packetsSent = 0
    let packetsReceived = 0
    for (const c of this.connections) {
      const s = c.stats()
      packetsSent += s.packetsSent
      packetsReceived += s.packetsReceived
    }
    return { ...this.#stats, connectionsActive: this.connections.size, packetsSent, packetsReceived }
  }

  async close(options: { code?: number; reason?: string; timeoutMs?: number } = {}): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    this.incomingConnections.end()
    await Promise.all([...this.connections].map((c) => c.close(options.code ?? 0, options.reason ?? 'endpoint closed')))
    this.#network.unbind(this.address)
  }

  #forget(conn: MemoryConnection): void {
    this.connections.delete(conn)
  }
}

/**
 * An endpoint that lives in memory: the same {@link QuicEndpoint} contract as the QUIC one (streams with FIN, reset
 * and STOP_SENDING, flow-control backpressure, stream limits, datagrams, close codes) without sockets or TLS. For
 * unit tests of the layers above the transport; {@link MemoryNetwork.sever} and {@link MemoryNetwork.partition}
 * simulate failures.
 */
export async function createMemoryEndpoint(options: MemoryEndpointOptions = {}): Promise<QuicEndpoint> {
  const network = options.network ?? MemoryNetwork.shared
  const host = network.bind(
    options.host ?? '127.0.0.1',
    options.port ?? 0,
    (address) => new MemoryEndpoint(network, address, options),
  )
  return host as MemoryEndpoint
}
