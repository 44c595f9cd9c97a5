// Agents in separate OS processes over real QUIC on 127.0.0.1, joined through the embedded registry: this test
// process hosts the RegistryServer in its agent `hub`; every other agent is a child (fixtures/agent-process.ts)
// that joins it with a RemoteRegistry.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { killAll, serverCert, spawnTs, type TsProcess } from '@qms/test-utils'
import { Agent, type AgentOptions } from '@quic-multistream/agent'
import { RegistryServer } from '@quic-multistream/mesh'
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { Echoed, RunEcho, type SharedTls, Tick, TLS_ENV, Work } from './fixtures/messages.js'

const FIXTURE = 'packages/agent/test/fixtures/agent-process.ts'
/** Generous: a child compiles its sources with tsx on a machine shared with other test runs. */
const START_MS = 30_000
/** Per test: children starting, and a dial that may need its retries on a loaded machine. */
const TEST_MS = 120_000

let tls: SharedTls
let dir: string
let hub: Agent | undefined

beforeAll(async () => {
  const cert = await serverCert()
  tls = { cert: cert.cert, key: cert.key, sha256: cert.sha256 }
})

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'qms-multiprocess-'))
})

afterEach(async () => {
  await killAll('SIGKILL')
  await hub?.stop()
  hub = undefined
  rmSync(dir, { recursive: true, force: true })
})

async function startHub(options: Partial<AgentOptions> = {}): Promise<Agent> {
  hub = await Agent.start({
    id: 'hub',
    registry: new RegistryServer(),
    tls: { cert: tls.cert, key: tls.key, pinSha256: [tls.sha256] },
    ...options,
  })
  return hub
}

interface Child {
  proc: TsProcess
  address: string
  /** Sends a command line and waits for the answer line matching `answer`. */
  command(line: string, answer: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>
  /** The `got <pattern> <topic> <seq> <from>` lines printed so far. */
  deliveries(): Array<{ pattern: string; topic: string; seq: number; from: string }>
}

function spawnAgent(id: string, args: string[] = []): Promise<Child> {
  if (!hub) throw new Error('start the hub first')
  const proc = spawnTs(FIXTURE, ['--id', id, '--registry', hub.address, '--registry-id', hub.id, ...args], {
    env: { [TLS_ENV]: JSON.stringify(tls) },
  })
  return proc.waitForLine(/^ready (\S+) (\S+)$/, START_MS).then((m) => ({
    proc,
    address: m[2]!,
    async command(line, answer, timeoutMs = 45_000) {
      proc.send(line)
      const failed = `^error ${line.split(' ')[0]} \\S+$`
      const got = await proc.waitForLine(new RegExp(`(?:${answer.source})|${failed}`), timeoutMs)
      if (got[0].startsWith('error ')) throw new Error(`"${line}" failed: ${got[0]}`)
      return got
    },
    deliveries() {
      return proc.stdout
        .filter((l) => l.startsWith('got '))
        .map((l) => {
          const [, pattern, topic, seq, from] = l.split(' ')
          return { pattern: pattern!, topic: topic!, seq: Number(seq), from: from! }
        })
    },
  }))
}

/** Polls `check` until it holds; fails after `timeoutMs`. */
async function eventually(check: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

/** `<seq> <message id>` lines a child's Work handler appended to `file`. */
function handledLines(file: string): Array<{ seq: number; id: string }> {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch {
    return []
  }
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const [seq, id] = l.split(' ')
      return { seq: Number(seq), id: id! }
    })
}

describe('agents in separate processes', () => {
  it('answers requests across processes: test process to child, child to child, child to test process', {
    timeout: TEST_MS,
  }, async () => {
    const h = await startHub()
    h.handle(RunEcho, ({ text }) => Echoed.of({ text, by: 'hub' }))
    const [w1, w2] = await Promise.all([spawnAgent('w1'), spawnAgent('w2')])

    expect(await h.request('w1', RunEcho, { text: 'hello' })).toEqual({ text: 'hello', by: 'w1' })
    const [, text, by] = await w2.command('request w1 from-w2', /^reply (from-w2) (\S+)$/)
    expect([text, by]).toEqual(['from-w2', 'w1'])
    const [, , back] = await w1.command('request hub from-w1', /^reply (from-w1) (\S+)$/)
    expect(back).toBe('hub')
    expect(h.stats().requests).toMatchObject({ sent: 1, succeeded: 1, served: 1 })
  })

  it('delivers publishes across processes by wildcard, and each to one member of a queue group', {
    timeout: TEST_MS,
  }, async () => {
    const h = await startHub()
    const [one, rest, q1, q2] = await Promise.all([
      spawnAgent('one', ['--subscribe', 'orders.*']),
      spawnAgent('rest', ['--subscribe', 'orders.>']),
      spawnAgent('q1', ['--subscribe', 'orders.*#workers']),
      spawnAgent('q2', ['--subscribe', 'orders.*#workers']),
    ])
    await eventually(
      () => h.peers().filter((p) => p.subscriptions.length > 0).length === 4,
      'the hub to see four subscribers',
    )

    for (let seq = 0; seq < 20; seq++) {
      // `one`, `rest`, and one member of `workers`.
      expect(await h.publish('orders.eu', Tick, { seq })).toBe(3)
    }
    // Two tokens after `orders`: only `>` matches.
    expect(await h.publish('orders.eu.paris', Tick, { seq: 100 })).toBe(1)
    // A child publishes too; `rest` is among the subscribers, so it receives its own message. Its registry view
    // learns of the others' subscriptions asynchronously (the hub's view above is not the child's), so wait for it.
    for (let seen = 0; seen < 4; ) {
      const [, n] = await rest.command('subscribers', /^subscribers (\d+)$/)
      seen = Number(n)
      if (seen < 4) await new Promise((r) => setTimeout(r, 50))
    }
    await rest.command('publish orders.us 200', /^published orders\.us 200 3$/)

    const seqs = (c: Child) => c.deliveries().map((d) => d.seq)
    await eventually(
      () => one.deliveries().length === 21 && rest.deliveries().length === 22,
      'the wildcard subscribers to receive everything',
    )
    await eventually(() => q1.deliveries().length + q2.deliveries().length === 21, 'the queue group to receive')

    const first20 = Array.from({ length: 20 }, (_, i) => i)
    expect(seqs(one).sort((a, b) => a - b)).toEqual([...first20, 200])
    expect(seqs(rest).sort((a, b) => a - b)).toEqual([...first20, 100, 200])
    expect(rest.deliveries().find((d) => d.seq === 100)).toMatchObject({ topic: 'orders.eu.paris', from: 'hub' })
    expect(one.deliveries().find((d) => d.seq === 200)).toMatchObject({ topic: 'orders.us', from: 'rest' })
    const group = [...seqs(q1), ...seqs(q2)].sort((a, b) => a - b)
    expect(group).toEqual([...first20, 200])
    expect(seqs(q1).length).toBeGreaterThan(0)
    expect(seqs(q2).length).toBeGreaterThan(0)
  })

  it('resolves sendCritical only after the handler in another process has run', { timeout: TEST_MS }, async () => {
    const h = await startHub()
    const out = join(dir, 'handled.txt')
    const [, sender] = await Promise.all([spawnAgent('worker', ['--out', out]), spawnAgent('sender')])

    await h.sendCritical('worker', Work, { seq: 1 })
    // The handler appends synchronously before the ack leaves, so the line is there the moment the call resolves.
    expect(handledLines(out).map((l) => l.seq)).toEqual([1])
    await sender.command('critical worker 2', /^acked 2$/)
    expect(handledLines(out).map((l) => l.seq)).toEqual([1, 2])
    expect(h.stats().critical).toMatchObject({ sent: 1, acked: 1 })
  })
})

describe('kill -9 of a receiving agent', () => {
  it('handles each of 1,000 concurrent sendCriticals exactly once across the crash and restart', async () => {
    const TOTAL = 1_000
    const FREEZE_AT = 300
    // A dead peer sends nothing, not even a close, and QUIC's idle timeout (30 s) is longer than this test may wait:
    // the hub learns of the crash when the restarted receiver says hello as a new instance of `receiver`.
    const h = await startHub()
    const out = join(dir, 'handled.txt')
    const dedupFile = join(dir, 'dedup.jsonl')
    const args = ['--out', out, '--dedup-file', dedupFile]
    const first = await spawnAgent('receiver', [...args, '--freeze-after', String(FREEZE_AT)])
    await eventually(() => h.peers().some((p) => p.id === 'receiver'), 'the hub to see the receiver')

    const sends = Array.from({ length: TOTAL }, (_, seq) =>
      h.sendCritical('receiver', Work, { seq }, { timeout: 120_000 }),
    )
    const settled = Promise.allSettled(sends)
    // The receiver stops dead right after the durable record of its 300th message and before that message's ack:
    // handled, recorded, unacknowledged, with hundreds more in flight. That is where the kill lands.
    await first.proc.waitForLine(/^frozen 300$/, 60_000)
    expect(await first.proc.kill('SIGKILL')).toEqual({ code: null, signal: 'SIGKILL' })
    expect(handledLines(out).length).toBeGreaterThanOrEqual(FREEZE_AT)

    const second = await spawnAgent('receiver', [...args, '--listen', first.address])
    const results = await settled
    const failures = results.filter((r) => r.status === 'rejected')
    expect(failures.map((f) => String(f.reason)).slice(0, 3)).toEqual([])

    const counts = new Map<number, number>()
    for (const { seq } of handledLines(out)) counts.set(seq, (counts.get(seq) ?? 0) + 1)
    const wrong = Array.from({ length: TOTAL }, (_, seq) => [seq, counts.get(seq) ?? 0]).filter(([, n]) => n !== 1)
    expect({ notOnce: wrong.length, first: wrong.slice(0, 5) }).toEqual({ notOnce: 0, first: [] })
    expect(counts.size).toBe(TOTAL)

    // The 300th message (at least) was redelivered to the new process and answered from the file, not rerun.
    const [, json] = await second.command('stats', /^stats (.*)$/)
    expect(JSON.parse(json!).dedupHits).toBeGreaterThanOrEqual(1)
    expect(h.stats().critical.retries).toBeGreaterThan(0)
    expect(h.stats().pool.replaced).toBe(1)
  }, 180_000)
})
