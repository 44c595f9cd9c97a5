import { Agent, type AgentOptions } from '@quic-multistream/agent'
import { formatAddress, type Registry, RemoteRegistry, StaticRegistry } from '@quic-multistream/mesh'
import { QmsError } from '@quic-multistream/protocol'
import type { CertificateHash } from './certificate-hash.js'
import { BrowserErrorCode } from './errors.js'
import { createWebTransportEndpoint } from './wt-endpoint.js'

/** Options of {@link connectAgent}: the Agent's options, minus what a page cannot have (a listening socket, TLS). */
export interface BrowserAgentOptions
  extends Omit<AgentOptions, 'registry' | 'transport' | 'listen' | 'advertise' | 'tls' | 'endpoint' | 'dedup'> {
  /** Pins of the gateway's certificate (SHA-256 of its DER certificate; hex or base64). */
  serverCertificateHashes?: readonly CertificateHash[]
  /**
   * The gateway agent's id (the Node agent serving the URL). Needed with `registry: 'static'`; with the default
   * registry the hello proves whoever answers, and this only adds a check that it is the expected agent.
   */
  gateway?: string
  /**
   * How the page finds agents. `'gateway'` (default): the gateway hosts the mesh's embedded registry
   * (`RegistryServer`) and the page joins it like any agent, so its subscriptions are seen by publishers and it sees
   * everyone's. `'static'`: the page knows only the gateway (request/send/sendCritical both ways, no pub/sub across).
   */
  registry?: 'gateway' | 'static'
  /** Deadline for the WebTransport session. Default 5,000 ms. */
  connectTimeoutMs?: number
}

/**
 * Starts the ordinary `Agent` in a page, reaching the mesh through the WebTransport endpoint at `url`
 * (`https://127.0.0.1:4433/mesh`). The result has the Node Agent's whole API; Node agents reach the page back over
 * the connection it opened (a page cannot be dialed, so only while that connection lasts).
 * @throws QmsError `ERR_INVALID_ARGUMENT` (bad URL, `static` without `gateway`), `ERR_UNSUPPORTED`, and
 * `Agent.start`'s errors (`ERR_PEER_UNREACHABLE` when the gateway does not answer, `ERR_AUTH` for a wrong token).
 */
export async function connectAgent(url: string, options: BrowserAgentOptions): Promise<Agent> {
  let target: URL
  try {
    target = new URL(url)
  } catch (e) {
    throw new QmsError(BrowserErrorCode.INVALID_ARGUMENT, `"${url}" is not a URL`, { cause: e })
  }
  if (target.protocol !== 'https:') {
    throw new QmsError(BrowserErrorCode.INVALID_ARGUMENT, `WebTransport needs an https: URL, got "${url}"`)
  }
  const address = formatAddress({ host: target.hostname.replace(/^\[|\]$/g, ''), port: Number(target.port || 443) })
  const { serverCertificateHashes, gateway, registry: mode = 'gateway', connectTimeoutMs, ...agentOptions } = options
  let registry: Registry
  if (mode === 'static') {
    if (gateway === undefined) {
      throw new QmsError(BrowserErrorCode.INVALID_ARGUMENT, "registry: 'static' needs the gateway agent's id")
    }
    registry = new StaticRegistry({ [gateway]: address })
  } else {
    registry = new RemoteRegistry({ address, ...(gateway === undefined ? {} : { id: gateway }) })
  }
  const endpoint = createWebTransportEndpoint({
    path: target.pathname + target.search,
    ...(serverCertificateHashes ? { serverCertificateHashes } : {}),
    ...(connectTimeoutMs === undefined ? {} : { connectTimeoutMs }),
  })
  return Agent.start({
    ...agentOptions,
    registry,
    transport: async () => endpoint,
    ...(connectTimeoutMs === undefined ? {} : { pool: { dialTimeoutMs: connectTimeoutMs, ...agentOptions.pool } }),
  })
}

/** `BrowserAgent.connect(url, options)`: the shape the page API is documented with (see {@link connectAgent}). */
export const BrowserAgent = { connect: connectAgent } as const
