import type { TransportFactory } from '@quic-multistream/agent'
import {
  type ConnectionStats,
  createEndpoint,
  type QuicConnection,
  type QuicEndpoint,
} from '@quic-multistream/transport'

/** QUIC-level totals over every connection an endpoint had. */
export interface TrafficTotals {
  bytesSent: number
  bytesReceived: number
  datagramsSent: number
  datagramsReceived: number
  packetsLost: number
}

/**
 * Counts what an agent's QUIC endpoint put on the wire: pass {@link factory} as the agent's `transport`. Every
 * connection seen by a reading stays counted after it closed (with its final counters when the transport still
 * has them), so read it periodically: a connection opened and closed between two readings is missed.
 */
export class TrafficMeter {
  readonly #endpoints: QuicEndpoint[] = []
  readonly #last = new Map<QuicConnection, ConnectionStats>()
  readonly #make: TransportFactory

  /** @param make The factory to count for (e.g. a gateway's, which also accepts WebTransport). Default `createEndpoint`. */
  constructor(make: TransportFactory = createEndpoint) {
    this.#make = make
  }

  /** The QUIC endpoint factory, remembering the endpoints it made. */
  readonly factory: TransportFactory = async (options) => {
    const endpoint = await this.#make(options)
    this.#endpoints.push(endpoint)
    return endpoint
  }

  /** Totals now. */
  read(): TrafficTotals {
    for (const endpoint of this.#endpoints) {
      for (const connection of endpoint.connections) this.#last.set(connection, connection.stats())
    }
    for (const [connection, last] of this.#last) {
      if (connection.isOpen) continue
      try {
        this.#last.set(connection, connection.stats())
      } catch {
        this.#last.set(connection, last) // its final counters may be gone with it: keep the last reading
      }
    }
    const totals: TrafficTotals = {
      bytesSent: 0,
      bytesReceived: 0,
      datagramsSent: 0,
      datagramsReceived: 0,
      packetsLost: 0,
    }
    for (const s of this.#last.values()) {
      totals.bytesSent += s.bytesSent
      totals.bytesReceived += s.bytesReceived
      totals.datagramsSent += s.datagramsSent
      totals.datagramsReceived += s.datagramsReceived
      totals.packetsLost += s.packetsLost
    }
    return totals
  }
}
