import { QmsError } from '@quic-multistream/protocol'
import { TransportErrorCode } from '../errors.js'
import type { QuicConnection, SocketAddress } from '../types.js'
import { MemoryConnection, type MemoryLimits } from './memory-connection.js'

/** What the network needs from an endpoint bound on it. */
export interface MemoryHost {
  readonly address: SocketAddress
  /** Every open connection of this endpoint (both directions). */
  readonly connections: ReadonlySet<QuicConnection>
  /** Completes a dial from `client`; returns the client's side of the new connection. */
  acceptFrom(client: MemoryDialer, alpn: readonly string[]): MemoryConnection
}

/** The dialing side as the accepting endpoint sees it. */
export interface MemoryDialer {
  address: SocketAddress
  limits: MemoryLimits
  onClosed(conn: MemoryConnection): void
}

function key(address: string | SocketAddress): string {
  return typeof address === 'string' ? address : `${address.host}:${address.port}`
}

const FIRST_EPHEMERAL_PORT = 40_000

/**
 * A namespace of in-memory addresses: endpoints bind here and dial each other by `host:port`. Tests make their own
 * network (isolation) or use {@link MemoryNetwork.shared}. It can also break things on purpose: {@link sever} cuts
 * one connection as if the path died, {@link partition} makes an address unreachable until {@link heal}.
 */
export class MemoryNetwork {
  /** The network endpoints join when none is given. */
  static readonly shared: MemoryNetwork = new MemoryNetwork()

  readonly #hosts = new Map<string, MemoryHost>()
  readonly #partitioned = new Set<string>()
  #nextPort = FIRST_EPHEMERAL_PORT

  /**
   * @internal Reserves `host:port` (port 0 picks a free one) for `host`; throws `ERR_ADDRESS_IN_USE` when taken.
   */
  bind(hostName: string, port: number, make: (address: SocketAddress) => MemoryHost): MemoryHost {
    let p = port
    if (p === 0) {
      while (this.#hosts.has(`${hostName}:${this.#nextPort}`)) this.#nextPort++
      p = this.#nextPort++
    } else if (this.#hosts.has(`${hostName}:${p}`)) {
      throw new QmsError('ERR_ADDRESS_IN_USE', `${hostName}:${p} is already bound`)
    }
    const host = make({ host: hostName, port: p })
    this.#hosts.set(key(host.address), host)
    return host
  }

  /** @internal Releases an address. */
  unbind(address: SocketAddress): void {
    this.#hosts.delete(key(address))
  }

  /** @internal The endpoint bound at `address`, if any. */
  lookup(address: string | SocketAddress): MemoryHost | undefined {
    return this.#hosts.get(key(address))
  }

  /** True while `address` is cut off by {@link partition}. */
  isPartitioned(address: string | SocketAddress): boolean {
    return this.#partitioned.has(key(address))
  }

  /**
   * Cuts `connection` abruptly: both sides see it close with `ERR_IDLE_TIMEOUT` (not an application close), the
   * way a dead path ends for QUIC.
   */
  sever(connection: QuicConnection): void {
    if (!(connection instanceof MemoryConnection)) {
      throw new QmsError(TransportErrorCode.INVALID_ARGUMENT, 'sever() takes a connection made by a memory endpoint')
    }
    // What a dead path looks like to QUIC: nothing arrives until the idle timer fires.
    const error = new QmsError(
      TransportErrorCode.IDLE_TIMEOUT,
      'connection idle timeout (severed by the memory network)',
    )
    const info = { code: 0, reason: 'idle timeout', remote: false, app: false, error }
    connection.terminate(info)
    connection.peer.terminate(info)
  }

  /** Severs every connection of the endpoint at `address` and makes dials to or from it time out until healed. */
  partition(address: string | SocketAddress): void {
    const k = key(address)
    this.#partitioned.add(k)
    const host = this.#hosts.get(k)
    if (host) for (const c of [...host.connections]) this.sever(c)
  }

  /** Undoes {@link partition}. */
  heal(address: string | SocketAddress): void {
    this.#partitioned.delete(key(address))
  }
}
