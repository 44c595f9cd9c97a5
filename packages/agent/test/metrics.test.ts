import { AGENT_METRIC_NAMES, type Agent, collectAgentMetrics } from '@quic-multistream/agent'
import { Registry, register } from 'prom-client'
import { afterEach, describe, expect, it } from 'vitest'
import { type Cluster, createCluster, Event, Result, RunTask } from './harness.js'

interface ParsedSample {
  name: string
  labels: Record<string, string>
  value: number
}

/**
 * Parses the Prometheus text format strictly enough to reject malformed output: every sample line must be
 * `name{label="value",...} number`, and belong to a family announced by `# HELP` and `# TYPE` lines.
 */
function parseExposition(text: string): { types: Map<string, string>; samples: ParsedSample[] } {
  const types = new Map<string, string>()
  const helped = new Set<string>()
  const samples: ParsedSample[] = []
  for (const line of text.split('\n')) {
    if (line === '') continue
    const meta = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.+)$/.exec(line)
    if (meta) {
      if (meta[1] === 'TYPE') types.set(meta[2]!, meta[3]!)
      else helped.add(meta[2]!)
      continue
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line)
    if (!m) throw new Error(`not an exposition line: ${line}`)
    const name = m[1]!
    if (!types.has(name) || !helped.has(name)) throw new Error(`sample before its HELP/TYPE: ${line}`)
    const labels: Record<string, string> = {}
    for (const pair of (m[2] ?? '').match(/[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*"/g) ?? []) {
      const eq = pair.indexOf('=')
      labels[pair.slice(0, eq)] = pair.slice(eq + 2, -1)
    }
    const value = Number(m[3])
    if (Number.isNaN(value)) throw new Error(`not a number: ${line}`)
    samples.push({ name, labels, value })
  }
  return { types, samples }
}

async function scrape(agent: Agent): Promise<ReturnType<typeof parseExposition>> {
  const url = agent.metricsUrl
  if (url === undefined) throw new Error(`agent ${agent.id} serves no metrics`)
  const res = await fetch(url)
  expect(res.status).toBe(200)
  expect(res.headers.get('content-type')).toContain('text/plain')
  return parseExposition(await res.text())
}

function value(samples: readonly ParsedSample[], name: string, labels: Record<string, string> = {}): number {
  const found = samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
  if (found.length === 0) throw new Error(`no sample ${name} ${JSON.stringify(labels)}`)
  return found.reduce((sum, s) => sum + s.value, 0)
}

describe('Prometheus metrics over QUIC', () => {
  let cluster: Cluster
  afterEach(async () => {
    await cluster.close()
  })

  it('exposes agent, lane, pool and transport counters that grow with traffic', async () => {
    cluster = createCluster('quic')
    const a = await cluster.agent('a', { metrics: {} })
    const b = await cluster.agent('b')
    b.handle(RunTask, (t) => Result.of({ id: t.id, doubled: t.n * 2 }))
    b.on(Event, () => {})
    for (let i = 0; i < 5; i++) await a.request('b', RunTask, { id: `t${i}`, n: i })
    await a.sendCritical('b', Event, { seq: 1 })
    await a.send('b', Event, { seq: 2 }, { priority: 'low' })

    expect(a.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/)
    const { types, samples } = await scrape(a)
    expect([...types.keys()].sort()).toEqual([...AGENT_METRIC_NAMES].sort())
    expect(types.get('qms_agent_requests_sent_total')).toBe('counter')
    expect(types.get('qms_pool_connections')).toBe('gauge')
    expect(samples.every((s) => s.labels.agent === 'a')).toBe(true)
    expect(value(samples, 'qms_agent_requests_sent_total')).toBe(5)
    expect(value(samples, 'qms_agent_requests_succeeded_total')).toBe(5)
    expect(value(samples, 'qms_agent_critical_acked_total')).toBe(1)
    expect(value(samples, 'qms_agent_lane_sent_total', { lane: 'normal' })).toBe(5)
    expect(value(samples, 'qms_agent_lane_sent_total', { lane: 'critical' })).toBe(1)
    expect(value(samples, 'qms_agent_lane_sent_total', { lane: 'low' })).toBe(1)
    expect(value(samples, 'qms_agent_lane_received_total', { lane: 'normal' })).toBe(5)
    expect(value(samples, 'qms_pool_dials_total')).toBe(1)
    expect(value(samples, 'qms_pool_connections')).toBe(1)
    expect(value(samples, 'qms_transport_connections_dialed_total')).toBe(1)
    expect(value(samples, 'qms_transport_packets_sent_total')).toBeGreaterThan(0)
    const sent = samples.filter((s) => s.name === 'qms_connection_bytes_sent_total')
    expect(sent).toHaveLength(1)
    expect(sent[0]!.labels).toMatchObject({ role: 'client', remote: expect.stringMatching(/:\d+$/) })
    expect(sent[0]!.value).toBeGreaterThan(0)

    for (let i = 0; i < 3; i++) await a.request('b', RunTask, { id: `u${i}`, n: i })
    const again = await scrape(a)
    expect(value(again.samples, 'qms_agent_requests_sent_total')).toBe(8)
  })

  it('gives each agent in one process its own registry and labels', async () => {
    cluster = createCluster('quic')
    const a = await cluster.agent('a', { metrics: {} })
    const b = await cluster.agent('b', { metrics: {} })
    b.handle(RunTask, (t) => Result.of({ id: t.id, doubled: t.n * 2 }))
    await a.request('b', RunTask, { id: 't', n: 1 })

    expect(a.metricsUrl).not.toBe(b.metricsUrl)
    const fromA = await scrape(a)
    const fromB = await scrape(b)
    expect(new Set(fromA.samples.map((s) => s.labels.agent))).toEqual(new Set(['a']))
    expect(new Set(fromB.samples.map((s) => s.labels.agent))).toEqual(new Set(['b']))
    expect(value(fromA.samples, 'qms_agent_requests_sent_total')).toBe(1)
    expect(value(fromB.samples, 'qms_agent_requests_served_total')).toBe(1)
    expect(value(fromB.samples, 'qms_agent_requests_sent_total')).toBe(0)
    // Nothing leaks into prom-client's process-wide registry.
    expect(register.getMetricsAsArray()).toHaveLength(0)
  })

  it('closes the metrics server when the agent stops', async () => {
    cluster = createCluster('quic')
    const a = await cluster.agent('a', { metrics: {} })
    const url = a.metricsUrl!
    await scrape(a)
    await a.stop()
    await expect(fetch(url)).rejects.toThrow()
  })

  it('serves nothing without the option', async () => {
    cluster = createCluster('quic')
    const a = await cluster.agent('a')
    expect(a.metricsUrl).toBeUndefined()
  })

  it('answers 404 outside the configured path', async () => {
    cluster = createCluster('quic')
    const a = await cluster.agent('a', { metrics: { path: '/custom' } })
    expect(a.metricsUrl).toMatch(/\/custom$/)
    const res = await fetch(new URL('/metrics', a.metricsUrl))
    expect(res.status).toBe(404)
    await res.body?.cancel()
  })

  it('fails to start when the metrics port is taken, leaving nothing registered', async () => {
    cluster = createCluster('quic')
    const a = await cluster.agent('a', { metrics: {} })
    const port = Number(new URL(a.metricsUrl!).port)
    await expect(cluster.agent('b', { metrics: { port } })).rejects.toMatchObject({ code: 'ERR_METRICS_LISTEN' })
    expect(await cluster.registry.lookup('b')).toBeUndefined()
  })

  it('registers the same families in a caller-supplied registry', async () => {
    cluster = createCluster('quic')
    const a = await cluster.agent('a')
    const registry = new Registry()
    collectAgentMetrics(registry, a)
    const { types, samples } = parseExposition(await registry.metrics())
    expect(types.has('qms_agent_requests_sent_total')).toBe(true)
    // Without the endpoint, transport families are present but report nothing per connection.
    expect(samples.filter((s) => s.name.startsWith('qms_connection_'))).toHaveLength(0)
    expect(() => collectAgentMetrics(registry, a)).toThrow()
  })
})
