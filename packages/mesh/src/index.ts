/**
 * `@quic-multistream/mesh`: how agents find and reach each other. A {@link Registry} maps agent ids to addresses,
 * capabilities and subscriptions; a {@link ConnectionPool} keeps one authenticated QUIC connection per peer with a
 * long-lived stream per priority lane; {@link LaneQueue} bounds each lane.
 * @packageDocumentation
 */
export { isQmsError, QmsError } from '@quic-multistream/protocol'
export { formatAddress, parseAddress } from './address.js'
export { abortError, type BackoffOptions, backoffDelay, raceSignal, sleep } from './backoff.js'
export { ConnectionPool, type ConnectionPoolOptions, type PoolStats } from './connection-pool.js'
export { CloseCode, MeshErrorCode } from './errors.js'
export { type EnvelopeHandler, FrameChannel, type FrameChannelOptions } from './frame-channel.js'
export { HELLO_TYPE, tokenMatches } from './handshake.js'
export { type EnqueueOptions, LaneQueue } from './lane-queue.js'
export {
  BYE_TYPE,
  type IncomingStream,
  type LinkHandlers,
  type LinkOptions,
  type PeerIdentity,
  PeerLink,
  PROTOCOL_ERROR_TYPE,
} from './peer-link.js'
export { RegistryServer, type RegistryServerOptions } from './registry/registry-server.js'
export { RegistryStore, type RegistryStoreOptions } from './registry/registry-store.js'
export { RemoteRegistry, type RemoteRegistryOptions } from './registry/remote-registry.js'
export { type StaticEntry, StaticRegistry } from './registry/static-registry.js'
export type {
  AgentEntry,
  RegisterOptions,
  Registry,
  RegistryEvent,
  RegistryHost,
  SubscriptionSpec,
} from './registry/types.js'
export { RegistryType } from './registry/wire.js'
export { assertPattern, assertTopic, topicMatches } from './topic.js'
