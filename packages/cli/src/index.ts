/**
 * `@quic-multistream/cli`: the `qms` command (`qms cert`, `qms serve`, `qms ping`, `qms bench`). The bin runs
 * {@link main}; tests and other tools can call it in-process with their own {@link CliIO}.
 * @packageDocumentation
 */

export type { Command, CommandInput, FlagSpec } from './command.js'
export type { BenchResult } from './commands/bench.js'
export type { PingResult } from './commands/ping.js'
export { ExitCode, type ExitCodeValue, exitCodeFor } from './exit-codes.js'
export type { LatencySummary } from './format.js'
export type { CliIO } from './io.js'
export { COMMANDS, main } from './main.js'
export { UsageError } from './usage-error.js'
