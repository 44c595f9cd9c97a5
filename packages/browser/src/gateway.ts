import { Agent, type AgentOptions, type TransportFactory } from '@quic-multistream/agent'
import { formatAddress, RegistryServer } from '@quic-multistream/mesh'
import {
  createEndpoint,
  DEFAULT_ALPN,
  type EndpointOptions,
  generateDevCertificate,
  type QuicEndpoint,
  type SocketAddress,
  type WebTransportEndpoint,
  type WebTransportServerOptions,
  withWebTransport,
} from '@quic-multistream/transport'

/** Default path of the mesh's WebTransport endpoint. */
export const DEFAULT_MESH_PATH = '/mesh'

/** A transport factory for an agent that browsers can reach, and the endpoint it made once the agent started. */
export interface GatewayTransport {
  /** Pass as the agent's `transport`. */
  transport: TransportFactory
  /** The endpoint (after `Agent.start`): its `connections` include the pages' WebTransport sessions. */
  readonly endpoint: WebTransportEndpoint | undefined
  /** `https://host:port/path` of the first path (after `Agent.start`), for `BrowserAgent.connect`. */
  readonly url: string | undefined
}

/**
 * Makes an agent a gateway for pages: its QUIC endpoint also offers HTTP/3 and accepts WebTransport sessions on
 * `paths` (default `/mesh`), which reach the agent's pool like any native connection. The agent's certificate must
 * be one a browser pins: ECDSA P-256, valid at most 14 days (`generateDevCertificate()` makes such).
 */
export function gatewayTransport(options: WebTransportServerOptions = {}): GatewayTransport {
  let made: WebTransportEndpoint | undefined
  const firstPath = Array.isArray(options.paths) ? (options.paths[0] ?? DEFAULT_MESH_PATH) : DEFAULT_MESH_PATH
  const transport = async (o: EndpointOptions): Promise<QuicEndpoint> => {
    const alpn = o.alpn ?? [DEFAULT_ALPN]
    const endpoint = await createEndpoint({ ...o, alpn: alpn.includes('h3') ? alpn : [...alpn, 'h3'] })
    made = withWebTransport(endpoint, { paths: [DEFAULT_MESH_PATH], ...options })
    return made
  }
  return {
    transport,
    get endpoint() {
      return made
    },
    get url() {
      return made ? webTransportUrl(made.address, firstPath) : undefined
    },
  }
}

function webTransportUrl({ host, port }: SocketAddress, path: string): string {
  return `https://${host.includes(':') ? `[${host}]` : host}:${port}${path}`
}

/** Options of {@link startGatewayAgent}. */
export interface GatewayAgentOptions extends Omit<AgentOptions, 'registry' | 'transport' | 'tls'> {
  /** WebTransport path pages connect to. Default `/mesh`. */
  path?: string
  /** TLS material; default a fresh browser-pinnable dev certificate. */
  tls?: { cert: string; key: string; sha256: string }
}

/** A running gateway agent and what a page needs to join through it. */
export interface GatewayAgent {
  agent: Agent
  /** The `https://host:port/path` URL for `BrowserAgent.connect`. */
  url: string
  /** Hex SHA-256 of the certificate, for `serverCertificateHashes`. */
  certificateHash: string
  /** The agent's address (`host:port`), for Node agents joining with `new RemoteRegistry({ address, id })`. */
  address: string
  /** The endpoint, whose `connections` include pages' sessions. */
  endpoint: WebTransportEndpoint
  /** Stops the agent. */
  close(): Promise<void>
}

/**
 * Starts an agent that hosts the mesh's embedded registry and accepts pages over WebTransport: the simplest mesh a
 * browser can join (Node agents join it with a `RemoteRegistry` pointed at `address`).
 */
export async function startGatewayAgent(options: GatewayAgentOptions): Promise<GatewayAgent> {
  const { path = DEFAULT_MESH_PATH, tls: given, ...agentOptions } = options
  const tls = given ?? (await generateDevCertificate())
  const gateway = gatewayTransport({ paths: [path] })
  const agent = await Agent.start({
    ...agentOptions,
    registry: new RegistryServer(),
    transport: gateway.transport,
    tls: { cert: tls.cert, key: tls.key },
  })
  const endpoint = gateway.endpoint!
  return {
    agent,
    url: webTransportUrl(endpoint.address, path),
    certificateHash: tls.sha256,
    address: formatAddress(endpoint.address),
    endpoint,
    close: () => agent.stop(),
  }
}
