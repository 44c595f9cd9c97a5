// The shape every compared system takes: a server half (run in the server process) and a client half (run in the
// client process), each offering only the patterns the system supports. The drivers (drivers.ts) time them alike.
import type { Counters, PatternId } from './wire.js'

/** What the server process offers a system's server half. */
export interface ServerContext {
  /** Adds `n` to a counter; clients wait on counters to know what arrived. */
  count(counter: keyof Counters, n?: number): void
}

/** A running server half. */
export interface StartedServer {
  /** What the client half needs to reach it. */
  info: Record<string, string | number>
  /** Other processes it started (their CPU counts as the benchmark's own). */
  pids?: number[]
  /** The process whose resident memory holds the connections, when it is not this one. */
  memoryPid?: number
  /** A system-specific request from the client half. */
  call?(name: string, arg: unknown): Promise<unknown>
  stop(): Promise<void>
}

/** The server process, as the client half sees it. */
export interface ServerLink {
  readonly info: Record<string, string | number>
  counters(): Promise<Counters>
  /** Resolves once `counter` reached `atLeast`, or stopped growing for `quietMs` (lossy systems). */
  waitFor(counter: keyof Counters, atLeast: number, quietMs: number): Promise<Counters>
  memory(): Promise<number>
  call(name: string, arg?: unknown): Promise<unknown>
}

/** Request/reply: `request` sends one 1 KiB request and resolves with its checked reply (a wrong reply throws). */
export interface Requester {
  request(seq: number): Promise<void>
  close(): Promise<void>
}

/** One-way messages: `send` may return a promise when the system pushes back (awaited by the driver). */
export interface Sender {
  send(seq: number): void | Promise<void>
  /** Pushes out anything the client library still buffers. */
  flush?(): Promise<void>
  close(): Promise<void>
  /** Concurrent callers of `send`; default SENDERS. Systems whose sends must not overlap say 1. */
  senders?: number
  /** Messages delivered per `send` (the subscriber count for fan-out). Default 1. */
  perSend?: number
  /** Messages may be dropped (UDP, PUB/SUB at the high-water mark): the rate counts what arrived. */
  lossy?: boolean
}

/** One direction of bulk data: `write` takes one chunk (of `chunkSize` bytes) and may push back. */
export interface BulkWriter {
  chunkSize: number
  write(): void | Promise<void>
  end(): Promise<void>
  lossy?: boolean
}

/** An established connection (for the setup time and the idle memory). */
export interface Connection {
  close(): Promise<void>
}

/** Marks where the timed part of a connection setup starts (after untimed preparation such as starting an agent). */
export interface SetupTimer {
  start(): void
}

/** A system's client half. Only the patterns it supports are present. */
export interface SystemClient {
  seq?(): Promise<Requester>
  inflight?(): Promise<Requester>
  oneway?(): Promise<Sender>
  bulk?(): Promise<BulkWriter>
  bulk1350?(): Promise<BulkWriter>
  fanout?(): Promise<Sender>
  /** A new connection, up to its first reply; `setup` and `rss` use it. */
  connect?(timer: SetupTimer): Promise<Connection>
  /** Library versions worth quoting with the figures. */
  versions?(): Record<string, string>
  close(): Promise<void>
}

/** A compared system. */
export interface SystemModule {
  startServer(ctx: ServerContext): Promise<StartedServer>
  startClient(server: ServerLink): Promise<SystemClient>
}

/** How the suite lists a system. */
export interface SystemInfo {
  id: string
  label: string
  /** The patterns it supports; the others are n/a. */
  patterns: readonly PatternId[]
  load(): Promise<SystemModule>
  /** Why it cannot run here, checked before starting it (e.g. nats-server not installed). */
  unavailable?(): string | undefined
}
