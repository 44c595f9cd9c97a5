import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Agent, type DedupRecord, type DedupStore, FileDedupStore } from '@quic-multistream/agent'
import { StaticRegistry } from '@quic-multistream/mesh'
import { createEnvelope, defineMessage } from '@quic-multistream/protocol'
import { createMemoryEndpoint, MemoryNetwork } from '@quic-multistream/transport'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { z } from 'zod'

const limits = { ttlMs: 60_000, max: 100 }

function record(id: string, at = Date.now(), from = 'a'): DedupRecord {
  return {
    from,
    id,
    at,
    answer: createEnvelope({ kind: 'ack', type: 'job', from: 'b', to: from, corr: id, priority: 255, body: undefined }),
  }
}

describe('FileDedupStore', () => {
  let dir: string
  let path: string
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'qms-dedup-'))
    path = join(dir, 'dedup.jsonl')
  })
  afterEach(() => rmSync(dir, { recursive: true, force: true }))

  it('gives back what was saved before a reopen, oldest first, answers included', () => {
    const first = new FileDedupStore(path)
    expect(first.load(limits)).toEqual([])
    const saved = [record('m1'), record('m2'), record('m3', Date.now(), 'c')]
    for (const r of saved) first.save(r)
    first.close()

    const again = new FileDedupStore(path)
    expect(again.load(limits)).toEqual(saved)
    again.close()
  })

  it('drops records older than the TTL and keeps only the newest `max`', () => {
    const store = new FileDedupStore(path)
    store.load(limits)
    const now = Date.now()
    store.save(record('old', now - 10_000))
    for (let i = 0; i < 5; i++) store.save(record(`m${i}`, now - 1_000 + i))
    store.close()

    const loaded = new FileDedupStore(path).load({ ttlMs: 5_000, max: 3 })
    expect(loaded.map((r) => r.id)).toEqual(['m2', 'm3', 'm4'])
    // The file was rewritten with only those.
    expect(readFileSync(path, 'utf8').trim().split('\n')).toHaveLength(3)
  })

  it('skips a line torn by a crash mid-write and keeps appending readable lines after it', () => {
    const store = new FileDedupStore(path)
    store.load(limits)
    store.save(record('whole'))
    store.close()
    appendFileSync(path, '{"from":"a","id":"torn","at":')

    const reopened = new FileDedupStore(path)
    expect(reopened.load(limits).map((r) => r.id)).toEqual(['whole'])
    reopened.save(record('after'))
    reopened.close()
    expect(new FileDedupStore(path).load(limits).map((r) => r.id)).toEqual(['whole', 'after'])
  })

  it('ignores lines that are not records, such as an answer that is not an ack or error', () => {
    const reply = createEnvelope({ kind: 'reply', type: 'x', from: 'b', to: 'a', corr: 'q', body: 1 })
    writeFileSync(
      path,
      [
        JSON.stringify({ from: 'a', id: 'bad', at: Date.now(), answer: reply }),
        JSON.stringify({ from: 'a', at: Date.now() }),
        JSON.stringify(record('good')),
        '',
      ].join('\n'),
    )
    expect(new FileDedupStore(path).load(limits).map((r) => r.id)).toEqual(['good'])
  })

  it('rewrites itself after `max` records, so the file stays within about twice `max` lines', () => {
    const store = new FileDedupStore(path)
    store.load({ ttlMs: 60_000, max: 10 })
    for (let i = 0; i < 35; i++) store.save(record(`m${i}`))
    store.close()
    const lines = readFileSync(path, 'utf8').trim().split('\n')
    expect(lines.length).toBeLessThanOrEqual(20)
    expect(new FileDedupStore(path).load({ ttlMs: 60_000, max: 10 }).map((r) => r.id)).toEqual(
      Array.from({ length: 10 }, (_, i) => `m${25 + i}`),
    )
  })

  it('refuses to save before it was loaded, with ERR_DEDUP_STORE', () => {
    expect(() => new FileDedupStore(path).save(record('m1'))).toThrow(
      expect.objectContaining({ code: 'ERR_DEDUP_STORE' }),
    )
  })
})

describe('an agent with a dedup store', () => {
  const Job = defineMessage('job', z.object({ n: z.number() }))
  const agents: Agent[] = []
  afterEach(async () => {
    await Promise.all(agents.splice(0).map((a) => a.stop()))
  })

  async function pair(store: DedupStore): Promise<[Agent, Agent]> {
    const network = new MemoryNetwork()
    const registry = new StaticRegistry()
    const transport = (o: Parameters<typeof createMemoryEndpoint>[0]) => createMemoryEndpoint({ ...o, network })
    const a = await Agent.start({ id: 'a', registry, transport })
    const b = await Agent.start({ id: 'b', registry, transport, dedup: { ttlMs: 5_000, max: 7, store } })
    agents.push(a, b)
    return [a, b]
  }

  it('loads the store with its window bounds, and records each message after its handler, before the sender resolves', async () => {
    const events: string[] = []
    const saved: DedupRecord[] = []
    const store: DedupStore = {
      load: (l) => {
        events.push(`load ${l.ttlMs} ${l.max}`)
        return []
      },
      save: (r) => {
        events.push('saved')
        saved.push(r)
      },
      close: () => events.push('closed'),
    }
    const [a, b] = await pair(store)
    b.on(Job, () => {
      events.push('handled')
    })
    await a.sendCritical('b', Job, { n: 1 })
    events.push('acked')
    expect(events).toEqual(['load 5000 7', 'handled', 'saved', 'acked'])
    expect(saved[0]).toMatchObject({ from: 'a', answer: { kind: 'ack', to: 'a', corr: saved[0]!.id } })
    await b.stop()
    expect(events.at(-1)).toBe('closed')
  })

  it('still acknowledges when the store cannot record, counting ERR_DEDUP_STORE', async () => {
    const store: DedupStore = {
      load: () => [],
      save: () => {
        throw new Error('disk full')
      },
      close: () => {},
    }
    const [a, b] = await pair(store)
    b.on(Job, () => {})
    await a.sendCritical('b', Job, { n: 1 })
    expect(b.stats().errors.ERR_DEDUP_STORE).toBe(1)
  })
})
