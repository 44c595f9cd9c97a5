import type { EndpointOptions } from './options.js'

/** Every endpoint option resolved to a value. */
export type ResolvedEndpointOptions = Required<Omit<EndpointOptions, 'tls' | 'accept'>> & {
  tls: NonNullable<EndpointOptions['tls']>
  accept: boolean
}

/** The native ALPN of quic-multistream. */
export const DEFAULT_ALPN = 'qms/1'

/** UDP payload limit off loopback: fits a 1500-byte MTU with IPv6 and tunnel headers to spare. */
export const INTERNET_UDP_PAYLOAD = 1350
/** UDP payload limit on loopback (the largest IPv4 UDP payload). */
export const LOOPBACK_UDP_PAYLOAD = 65527

export function resolveOptions(o: EndpointOptions): ResolvedEndpointOptions {
  const tls = o.tls ?? {}
  return {
    host: o.host ?? '127.0.0.1',
    port: o.port ?? 0,
    alpn: o.alpn && o.alpn.length > 0 ? o.alpn : [DEFAULT_ALPN],
    tls,
    accept: o.accept ?? Boolean(tls.cert && tls.key),
    maxConnections: o.maxConnections ?? 10_000,
    maxConnectionsPerIp: o.maxConnectionsPerIp ?? 1_000,
    maxStreamsBidi: o.maxStreamsBidi ?? 1_000,
    maxStreamsUni: o.maxStreamsUni ?? 1_000,
    idleTimeoutMs: o.idleTimeoutMs ?? 30_000,
    keepAliveMs: o.keepAliveMs ?? 10_000,
    earlyData: o.earlyData ?? true,
    retry: o.retry ?? false,
    // Endpoints that serve browsers (ALPN h3) default to BBR: Chromium delays its ACKs (~25 ms), and under that ACK
    // pattern quiche 0.18's cubic stamps packets with a stale pacer time, so its RTT estimate grows with the
    // connection's age and a single loss then stalls for many seconds. Measured: Chromium conformance runs under CPU
    // load hung 5 of 5 times with cubic and passed 2 of 2 with BBR.
    congestionControl: o.congestionControl ?? (o.alpn?.includes('h3') ? 'bbr' : 'cubic'),
    maxUdpPayload: o.maxUdpPayload ?? 'auto',
    datagrams: o.datagrams ?? true,
    connectionWindow: o.connectionWindow ?? 16 * 1024 * 1024,
    streamWindow: o.streamWindow ?? 4 * 1024 * 1024,
    socketBufferSize: o.socketBufferSize ?? 8 * 1024 * 1024,
    connectTimeoutMs: o.connectTimeoutMs ?? 5_000,
  }
}

export function isLoopback(host: string): boolean {
  return host.startsWith('127.') || host === '::1' || host === '::ffff:127.0.0.1'
}

/** The UDP payload limit to use toward `remoteHost`. */
export function udpPayloadFor(setting: number | 'auto', remoteHost: string): number {
  if (setting !== 'auto') return setting
  return isLoopback(remoteHost) ? LOOPBACK_UDP_PAYLOAD : INTERNET_UDP_PAYLOAD
}
