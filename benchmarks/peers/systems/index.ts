// The compared systems, in table order, with the patterns each supports (the others show as n/a).
import type { SystemInfo, SystemModule } from '../system.js'
import type { PatternId } from '../wire.js'
import { NATS_SERVER_PATHS, natsServerPath } from './nats-server-path.js'

/** What a messaging system over a reliable connection can all do. */
const MESSAGING: readonly PatternId[] = ['seq', 'inflight', 'oneway', 'bulk', 'fanout', 'setup', 'rss']

function entry(
  id: string,
  label: string,
  patterns: readonly PatternId[],
  load: () => Promise<SystemModule>,
): SystemInfo {
  return { id, label, patterns, load }
}

export const SYSTEMS: readonly SystemInfo[] = [
  entry('quic', 'qms Agent', [...MESSAGING, 'bulk1350'], async () => (await import('./quic-agent.js')).system),
  entry(
    'quic-raw',
    'QUIC streams',
    ['seq', 'inflight', 'oneway', 'bulk', 'bulk1350', 'setup', 'rss'],
    async () => (await import('./quic-raw.js')).system,
  ),
  entry('quic-dgram', 'QUIC dgram', ['seq'], async () => (await import('./quic-raw.js')).datagramSystem),
  entry('tcp', 'TCP floor', MESSAGING, async () => (await import('./tcp.js')).system),
  entry('udp', 'UDP floor', ['seq', 'oneway', 'bulk', 'bulk1350'], async () => (await import('./udp.js')).system),
  entry('ws', 'ws', MESSAGING, async () => (await import('./ws.js')).system),
  entry('zmq', 'ZeroMQ', MESSAGING, async () => (await import('./zmq.js')).system),
  {
    ...entry('nats', 'NATS', MESSAGING, async () => (await import('./nats.js')).system),
    unavailable: () =>
      natsServerPath() ? undefined : `nats-server not installed (looked in ${NATS_SERVER_PATHS.join(', ')})`,
  },
  entry(
    'http2',
    'node:http2',
    ['seq', 'inflight', 'bulk', 'setup', 'rss'],
    async () => (await import('./http2.js')).system,
  ),
]

/** The system with this id. */
export function findSystem(id: string): SystemInfo {
  const s = SYSTEMS.find((x) => x.id === id)
  if (!s) throw new Error(`unknown system "${id}" (known: ${SYSTEMS.map((x) => x.id).join(', ')})`)
  return s
}
