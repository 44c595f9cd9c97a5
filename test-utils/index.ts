/**
 * `@qms/test-utils`: helpers shared by every package's tests (ports, certificate fixtures, a UDP impairment proxy,
 * TypeScript child processes, documentation samples). Test-only: no package's `src` may import it.
 * @packageDocumentation
 */
export {
  caSignedClientCert,
  caSignedServerCert,
  clientCert,
  type DevCertificate,
  devCa,
  otherCert,
  serverCert,
} from './certs.js'
export {
  checkDocPages,
  checkDocSamples,
  type DocBlock,
  type DocPage,
  docBlock,
  extractDocBlocks,
  extractDocSamples,
  type PlacedDocSample,
  placeDocSamples,
  readDoc,
} from './doc-samples.js'
export {
  type DirectionStats,
  type Impairment,
  type ImpairmentProxy,
  type ImpairmentProxyOptions,
  type ImpairmentProxyStats,
  startImpairmentProxy,
} from './impairment-proxy.js'
export { freeTcpPort, freeUdpPort } from './ports.js'
export { type ExitInfo, killAll, repoRoot, type SpawnTsOptions, spawnTs, type TsProcess } from './processes.js'
export { type QuicTestbed, startQuicTestbed } from './quic-endpoints.js'
export { echoStreams, readAll } from './streams.js'
export { type TypeCheckDiagnostic, type TypeCheckOptions, testCompilerOptions, typeCheck } from './typecheck.js'
