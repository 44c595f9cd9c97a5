/**
 * `@quic-multistream/agent`: the {@link Agent} class. Agents find each other through a registry and exchange typed
 * messages over QUIC: fire-and-forget sends on priority lanes, acknowledged critical delivery, request/reply,
 * publish/subscribe, named streams and datagrams.
 * @packageDocumentation
 */
export { isQmsError, QmsError } from '@quic-multistream/protocol'
export { Agent } from './agent.js'
export type { AgentStats, LaneStats } from './agent-stats.js'
export { AgentStream, type AgentStreamInit } from './agent-stream.js'
export type {
  CriticalOptions,
  OpenStreamOptions,
  RequestOptions,
  RequestWithReplyOptions,
  SendOptions,
  SubscribeOptions,
  Subscription,
} from './call-options.js'
export {
  type DedupLimits,
  type DedupOptions,
  type DedupRecord,
  type DedupStore,
  FileDedupStore,
  type FileDedupStoreOptions,
} from './dedup-store.js'
export { AGENT_ERROR_TYPE, AgentErrorCode, HANDLER_ERROR_TYPE } from './errors.js'
export type { StreamContext, StreamHandler } from './handler-table.js'
export {
  defineRequest,
  isRequestDef,
  type MessageContext,
  type MessageHandler,
  type MessageOf,
  type PublishContext,
  type ReceivedMessage,
  type RequestContext,
  type RequestDef,
  type RequestHandler,
  type SubscriptionHandler,
  type TypedSubscriptionHandler,
  type UntypedRequestHandler,
} from './messages.js'
export {
  AGENT_METRIC_NAMES,
  type AgentMetricsSource,
  collectAgentMetrics,
  createMetricsServer,
  type MetricsOptions,
  type MetricsServer,
  serveAgentMetrics,
} from './metrics.js'
export type { AgentOptions, AgentPoolOptions, TransportFactory } from './options.js'
