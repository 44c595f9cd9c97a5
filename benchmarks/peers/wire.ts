// What the processes of the peer suite agree on: payload sizes, the patterns, and the messages between a client
// process (client.ts), its server process (server.ts) and the orchestrator (suite.ts).

/** Every request, reply and one-way message carries this many payload bytes. */
export const PAYLOAD = 1024
/** Requests kept in flight by the `inflight` pattern. */
export const IN_FLIGHT = 100
/** Concurrent senders in the one-way and fan-out patterns, for systems whose send may be awaited concurrently. */
export const SENDERS = 100
/** Subscribers of the fan-out pattern. */
export const FANOUT = 10
/** Application chunk written by the bulk patterns of stream systems. */
export const BULK_CHUNK = 64 * 1024
/**
 * Datagram sizes of the UDP bulk floors: a typical Internet packet, and the largest packet quiche 0.18 builds (16,383
 * bytes, whatever larger payload loopback allows), so the large floor has the same packet size as QUIC's bulk.
 */
export const UDP_SMALL = 1350
export const UDP_LARGE = 16_383
export const HOST = '127.0.0.1'

/** The patterns, in table order. */
export const PATTERNS = ['seq', 'inflight', 'oneway', 'bulk', 'bulk1350', 'fanout', 'setup', 'rss'] as const
/** One of {@link PATTERNS}. */
export type PatternId = (typeof PATTERNS)[number]

/** What the server counts as messages arrive: one-way messages, bulk bytes, fan-out deliveries. */
export interface Counters {
  msgs: number
  bytes: number
  deliveries: number
}

/** The server is serving: what its client needs (addresses, certificates...) and the processes doing the work. */
export interface ServerReady {
  type: 'ready'
  info: Record<string, string | number>
  /** Processes whose CPU counts as the benchmark's own (the server process and any it started, e.g. nats-server). */
  pids: number[]
}

export type ServerMessage =
  | ServerReady
  | { type: 'counters'; counters: Counters }
  | { type: 'memory'; rss: number }
  | { type: 'called'; result: unknown }
  | { type: 'failed'; error: string }

export type ServerCommand =
  | { type: 'counters' }
  /** Answered (with the counters) once `counter` reached `atLeast`, or stopped growing for `quietMs`. */
  | { type: 'wait'; counter: keyof Counters; atLeast: number; quietMs: number }
  /** Resident memory of the process that holds the connections (after a GC when it is this Node process). */
  | { type: 'memory' }
  /** A system-specific request (e.g. "connect your subscribers to this publisher"). */
  | { type: 'call'; name: string; arg?: unknown }
  | { type: 'exit' }

/** What the orchestrator asks one client process to do. */
export interface ClientJob {
  system: string
  patterns: PatternId[]
  /** Seconds per measured phase. */
  secs: number
  /** Requests (or messages) sent before measuring. */
  warmup: number
  /** Connections for the setup-time samples and for the idle-memory figure. */
  setupSamples: number
  idleConnections: number
}

/** One pattern's figure from one run. */
export interface PhaseResult {
  value: number
  p50Us?: number
  p99Us?: number
  /** Share of messages or bytes that never arrived (UDP, PUB/SUB high-water marks). */
  lossPct?: number
  /** CPU over the phase, percent of one core: client process, server side, everything else on the machine. */
  cpu?: { client: number; server: number; foreign: number }
}

/** Lines a client process prints on stdout (one JSON object each). */
export type ClientLine =
  | { type: 'phase'; pattern: PatternId }
  | { type: 'result'; pattern: PatternId; result: PhaseResult }
  | { type: 'error'; pattern: PatternId; error: string }
  | { type: 'done'; versions: Record<string, string> }
