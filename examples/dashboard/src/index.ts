/**
 * `@quic-multistream/example-dashboard`: a live dashboard of a mesh, in a browser that joined it over WebTransport.
 * `startDashboard()` serves the page; agents publish telemetry with `startTelemetryReporter(agent)` (or publish the
 * messages of ./telemetry.ts themselves).
 * @packageDocumentation
 */
// An agent that serves pages itself (the mesh's coordinator, say) takes its transport from here and its certificate
// from `generateDevCertificate()`, then hands itself to `startDashboard({ agent, webTransport })`.
export { type GatewayTransport, gatewayTransport } from '@quic-multistream/browser'
export type { DashboardConfig } from './config.js'
export {
  agentReport,
  connectionReport,
  startTelemetryReporter,
  type TelemetryReporterOptions,
} from './reporter.js'
export { type Dashboard, type DashboardOptions, startDashboard } from './server.js'
export {
  AgentTelemetry,
  type AgentTelemetryBody,
  agentTopic,
  type ConnectionSample,
  ConnectionSampleSchema,
  ConnectionTelemetry,
  type ConnectionTelemetryBody,
  connectionsTopic,
  LaneTelemetrySchema,
  PAGE_PATTERN,
  PAGE_PREFIX,
  pageTopic,
  TELEMETRY_PATTERN,
  TELEMETRY_PREFIX,
  topicToken,
} from './telemetry.js'
