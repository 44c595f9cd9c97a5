/**
 * `@quic-multistream/example-echo`: the echo service behind `server.ts` and `demo.ts`, and the small helpers the
 * transport examples share (address parsing, exit codes, aligned output).
 * @packageDocumentation
 */
export { formatAddress, parseAddress, wildcardFor } from './address.js'
export { parseInteger, parsePort } from './args.js'
export { type EchoCounters, type EchoEvents, serveEcho } from './echo-service.js'
export { ExitCode, exitCodeFor } from './exit-codes.js'
export { bytes, type Column, Columns, count, keyValues, millis, quantile } from './format.js'
export { readAll } from './read-all.js'
