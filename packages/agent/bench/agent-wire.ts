// What the two processes of agent.bench.ts agree on: the message types (1 KiB bodies), the topics, and the IPC
// messages between the bench and its server process (agent-server.ts).

import { defineRequest } from '@quic-multistream/agent'
import { defineMessage } from '@quic-multistream/protocol'
import { z } from 'zod'

/** A 1 KiB body: a sequence number and 1,024 bytes of text. */
const body = z.object({ seq: z.number().int(), data: z.string() })
export const Blob = defineMessage('bench.blob', body)
export const BlobBack = defineMessage('bench.blob-back', body)
export const Echo = defineRequest(Blob, BlobBack)
/** One-way and critical messages (told apart by their lane at the receiver). */
export const Work = defineMessage('bench.work', body)
export const Tick = defineMessage('bench.tick', body)

export const DATA = 'x'.repeat(1024)

/** Subscribed by one agent of the server process. */
export const TOPIC_ONE = 'bench.fan.one'
/** Subscribed by every one of the server process's `FANOUT` subscriber agents. */
export const TOPIC_ALL = 'bench.fan.all'
export const FANOUT = 10

export const SERVER_ID = 'server'

/** What the server process counts. */
export type Counter = 'oneway' | 'critical' | 'deliveries'

/** The server is serving: its registry address, and the certificate every bench agent uses and pins. */
export interface ServerReady {
  type: 'ready'
  address: string
  cert: string
  key: string
  sha256: string
}
/** Answer to `wait`: the counter reached the value asked for. */
export interface ServerReached {
  type: 'reached'
  counter: Counter
  value: number
}
/** Answer to `cpu`: the server process's CPU time so far (`process.cpuUsage()`, user + system), in microseconds. */
export interface ServerCpu {
  type: 'cpu'
  us: number
}
export type ServerMessage = ServerReady | ServerReached | ServerCpu
/** `wait` answers once `counter` is at least `atLeast`. */
export type ServerCommand = { type: 'wait'; counter: Counter; atLeast: number } | { type: 'cpu' } | { type: 'exit' }
