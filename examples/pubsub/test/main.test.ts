import { describe, expect, it } from 'vitest'
import { expectedTargets, PUBLICATIONS, runPubSubDemo, SUBSCRIBERS } from '../src/index.js'

describe('pubsub demo', () => {
  it('delivers each publication to every matching subscriber and to one member of the queue group', async () => {
    const lines: string[] = []
    const { received, handedTo } = await runPubSubDemo((line) => lines.push(line))

    // Hand-checked wildcard semantics: `>` takes the rest, `*` exactly one token, typed subscriptions skip others.
    expect(received.dashboard).toEqual([1, 2, 3, 4, 5, 8])
    expect(received['paris-monitor']).toEqual([1, 2, 5, 8])
    expect(received.thermostats).toEqual([1, 3, 5])
    expect(received.pager).toEqual([6])

    // The queue group: every sensors.* publication reached exactly one archiver, and both took a share.
    const archived = [...received['archiver-1']!, ...received['archiver-2']!].sort((a, b) => a - b)
    expect(archived).toEqual([1, 2, 3, 4, 5, 8])
    expect(received['archiver-1']!.length).toBeGreaterThan(0)
    expect(received['archiver-2']!.length).toBeGreaterThan(0)

    // `publish` counted one target per plain subscriber plus one per queue group, and nobody for alerts.oslo.info.
    for (const p of handedTo) {
      const t = expectedTargets(p.topic)
      expect(p.count, p.topic).toBe(t.all.length + t.groups.size)
    }
    expect(handedTo.find((p) => p.topic === 'alerts.oslo.info')?.count).toBe(0)
    expect(handedTo).toHaveLength(PUBLICATIONS.length)
    expect(Object.keys(received)).toEqual(SUBSCRIBERS.map((s) => s.id))
    expect(lines.some((l) => l.includes('alerts.oslo.info') && l.includes('(nobody)'))).toBe(true)
  })
})
