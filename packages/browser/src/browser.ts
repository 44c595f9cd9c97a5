/**
 * The entry of the browser bundle (`dist-browser/qms.js`): what a page imports. Everything a page needs to join the
 * mesh and speak typed messages: the Agent and its connector, message definitions, zod, and the WebTransport
 * transport itself for pages that want raw streams.
 * @packageDocumentation
 */
import { Agent as NodeAgent } from '@quic-multistream/agent'
import { connectAgent } from './browser-agent.js'

export { defineRequest } from '@quic-multistream/agent'
export { RemoteRegistry, StaticRegistry } from '@quic-multistream/mesh'
export { defineMessage, isQmsError, LANES, QmsError } from '@quic-multistream/protocol'
export { z } from 'zod'
export { BrowserAgent, type BrowserAgentOptions, connectAgent } from './browser-agent.js'
export { certificateHashBytes } from './certificate-hash.js'
export { BrowserErrorCode } from './errors.js'
export { WebTransportConnection } from './wt-connection.js'
export { createWebTransportEndpoint } from './wt-endpoint.js'

/**
 * The ordinary `Agent` class, plus `Agent.connect(url, options)` (the same as {@link BrowserAgent}`.connect`), so a
 * page writes `await Agent.connect('https://127.0.0.1:4433/mesh', { serverCertificateHashes, id })`.
 */
export const Agent: typeof NodeAgent & { connect: typeof connectAgent } = Object.assign(NodeAgent, {
  connect: connectAgent,
})
/** An agent: the type of what `Agent.connect` and `Agent.start` resolve to. */
export type Agent = NodeAgent
