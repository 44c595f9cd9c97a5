import { Agent, type Subscription } from '@quic-multistream/agent'
import { RegistryServer, RemoteRegistry, topicMatches } from '@quic-multistream/mesh'
import { QmsError } from '@quic-multistream/protocol'
import { generateDevCertificate } from '@quic-multistream/transport'
import { Alert, Reading } from './messages.js'

/** One subscriber of the demo: an agent and the pattern it listens to. */
export interface SubscriberSpec {
  readonly id: string
  readonly pattern: string
  /** Queue group: each message goes to one member. */
  readonly queue?: string
  /** Only alerts: a typed subscription that skips other message types on matching topics. */
  readonly alertsOnly?: boolean
}

/** The demo's subscribers. */
export const SUBSCRIBERS: readonly SubscriberSpec[] = [
  { id: 'dashboard', pattern: 'sensors.>' },
  { id: 'paris-monitor', pattern: 'sensors.paris.*' },
  { id: 'thermostats', pattern: 'sensors.*.temperature' },
  { id: 'pager', pattern: 'alerts.*.critical', alertsOnly: true },
  { id: 'archiver-1', pattern: 'sensors.>', queue: 'archive' },
  { id: 'archiver-2', pattern: 'sensors.>', queue: 'archive' },
]

/** One message to publish: from which publisher, on which topic. */
export interface Publication {
  readonly from: 'station-paris' | 'station-oslo'
  readonly topic: string
  readonly seq: number
}

/** What the publishers send, in order. */
export const PUBLICATIONS: readonly Publication[] = [
  { from: 'station-paris', topic: 'sensors.paris.temperature', seq: 1 },
  { from: 'station-paris', topic: 'sensors.paris.humidity', seq: 2 },
  { from: 'station-oslo', topic: 'sensors.oslo.temperature', seq: 3 },
  { from: 'station-oslo', topic: 'sensors.oslo.wind', seq: 4 },
  { from: 'station-paris', topic: 'sensors.paris.temperature', seq: 5 },
  { from: 'station-oslo', topic: 'alerts.oslo.critical', seq: 6 },
  { from: 'station-oslo', topic: 'alerts.oslo.info', seq: 7 },
  { from: 'station-paris', topic: 'sensors.paris.wind', seq: 8 },
]

/** What the demo observed. */
export interface PubSubResult {
  /** For each publication, the number of agents `publish` handed it to. */
  readonly handedTo: ReadonlyArray<{ topic: string; seq: number; count: number }>
  /** For each subscriber, the sequence numbers it received, in arrival order. */
  readonly received: Readonly<Record<string, number[]>>
}

/** The subscribers a publication should reach: every matching one, but one member per queue group. */
export function expectedTargets(topic: string): { all: string[]; groups: Map<string, string[]> } {
  const all: string[] = []
  const groups = new Map<string, string[]>()
  for (const s of SUBSCRIBERS) {
    if (!topicMatches(s.pattern, topic)) continue
    if (s.queue === undefined) all.push(s.id)
    else groups.set(s.queue, [...(groups.get(s.queue) ?? []), s.id])
  }
  return { all, groups }
}

async function until(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new QmsError('ERR_TIMEOUT', `timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

/**
 * A hub agent hosting the embedded registry, two publishers and six subscribers, each its own agent over QUIC on
 * 127.0.0.1. Publishes {@link PUBLICATIONS}, prints who received what, and returns it.
 */
export async function runPubSubDemo(print: (line: string) => void = () => {}): Promise<PubSubResult> {
  const cert = await generateDevCertificate()
  const tls = { cert: cert.cert, key: cert.key, pinSha256: [cert.sha256] }
  const token = 'pubsub-demo'
  const hub = await Agent.start({ id: 'hub', registry: new RegistryServer(), tls, token })
  const agents: Agent[] = []
  const join = async (id: string) => {
    const agent = await Agent.start({
      id,
      registry: new RemoteRegistry({ address: hub.address, id: 'hub' }),
      tls,
      token,
    })
    agents.push(agent)
    return agent
  }
  try {
    const received: Record<string, number[]> = {}
    const subscriptions: Subscription[] = []
    for (const spec of SUBSCRIBERS) {
      const agent = await join(spec.id)
      const got: number[] = []
      received[spec.id] = got
      const options = spec.queue === undefined ? {} : { queue: spec.queue }
      subscriptions.push(
        spec.alertsOnly
          ? agent.subscribe(spec.pattern, Alert, (alert) => void got.push(alert.seq), options)
          : agent.subscribe(spec.pattern, (message) => void got.push((message.body as { seq: number }).seq), options),
      )
    }
    await Promise.all(subscriptions.map((s) => s.ready))
    const publishers = {
      'station-paris': await join('station-paris'),
      'station-oslo': await join('station-oslo'),
    }
    // Subscriptions travel through the registry: wait until both publishers' mirrors list all of them.
    for (const publisher of Object.values(publishers)) {
      await until(
        () => publisher.peers().reduce((n, entry) => n + entry.subscriptions.length, 0) >= SUBSCRIBERS.length,
        `${publisher.id} to see every subscription`,
      )
    }

    print(`hub on udp://${hub.address} (embedded registry); every agent below is its own QUIC endpoint\n`)
    print('subscriptions')
    for (const s of SUBSCRIBERS) {
      const notes = [
        s.queue ? `queue group "${s.queue}": one member per message` : '',
        s.alertsOnly ? 'alerts only' : '',
      ]
      print(`  ${s.id.padEnd(14)} ${s.pattern.padEnd(24)} ${notes.filter(Boolean).join(', ')}`.trimEnd())
    }

    const handedTo: Array<{ topic: string; seq: number; count: number }> = []
    let expected = 0
    for (const p of PUBLICATIONS) {
      const publisher = publishers[p.from]
      const [, site = '', kind = ''] = p.topic.split('.')
      const count = p.topic.startsWith('alerts.')
        ? await publisher.publish(p.topic, Alert, {
            site,
            level: kind === 'critical' ? 'critical' : 'info',
            text: `${site}: storm warning`,
            seq: p.seq,
          })
        : await publisher.publish(p.topic, Reading, { site, kind, value: 10 + p.seq / 10, seq: p.seq })
      handedTo.push({ topic: p.topic, seq: p.seq, count })
      const targets = expectedTargets(p.topic)
      expected += targets.all.length + targets.groups.size
    }
    const total = () => Object.values(received).reduce((n, got) => n + got.length, 0)
    await until(() => total() >= expected, `${expected} deliveries`)

    print(`\n${'published'.padEnd(47)}→ received by`)
    for (const p of PUBLICATIONS) {
      const by = SUBSCRIBERS.filter((s) => received[s.id]!.includes(p.seq)).map((s) => s.id)
      print(`  #${p.seq} ${p.from.padEnd(14)} ${p.topic.padEnd(26)} → ${by.length ? by.join(', ') : '(nobody)'}`)
    }
    print('\nper subscriber')
    for (const s of SUBSCRIBERS) {
      const got = received[s.id]!
      print(`  ${s.id.padEnd(14)} ${String(got.length).padStart(2)}  ${got.map((n) => `#${n}`).join(' ')}`)
    }
    return { handedTo, received }
  } finally {
    for (const agent of agents.reverse()) await agent.stop()
    await hub.stop()
  }
}
