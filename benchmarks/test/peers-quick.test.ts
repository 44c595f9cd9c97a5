// The peer suite in quick mode on two systems and two patterns: every process starts, measures and reports, the
// figures and ratios come out positive, and the report renders. Speed itself is never asserted here.
import { beforeAll, describe, expect, it } from 'vitest'
import { renderChart } from '../peers/chart.js'
import { renderReport } from '../peers/report.js'
import { QUICK_OPTIONS, runPeerSuite, type SuiteReport } from '../peers/suite.js'
import type { PatternId } from '../peers/wire.js'

const patterns: PatternId[] = ['seq', 'oneway']

describe('peer suite, quick mode (Agent and TCP floor)', () => {
  let report: SuiteReport

  beforeAll(async () => {
    report = await runPeerSuite({ ...QUICK_OPTIONS, systems: ['quic', 'tcp'], patterns })
  }, 110_000)

  it('measures every asked pattern of both systems without errors', () => {
    for (const system of report.systems) {
      expect(system.errors).toEqual({})
      expect(system.runs).toHaveLength(1)
      for (const p of patterns) expect(system.figures[p]?.median).toBeGreaterThan(0)
    }
    expect(report.systems.find((s) => s.id === 'quic')?.figures.seq?.p99Us).toBeGreaterThan(0)
  })

  it('reports the Agent against the TCP floor as positive ratios', () => {
    for (const p of patterns) expect(report.ratios[p]?.tcp).toBeGreaterThan(0)
  })

  it('leaves goals whose peers were not run unmeasured', () => {
    const natsGoal = report.goals.find((g) => g.peer === 'nats' && g.pattern === 'inflight')
    expect(natsGoal?.ratio).toBeUndefined()
    expect(natsGoal?.met).toBeUndefined()
  })

  it('renders the tables and the chart', () => {
    const text = renderReport(report)
    expect(text).toContain('qms Agent')
    expect(text).toContain('TCP floor')
    expect(text).toMatch(/\d\.\d\dx/)
    const svg = renderChart(report)
    expect(svg.startsWith('<svg')).toBe(true)
    expect(svg).toContain('vs TCP floor')
  })
})

describe('peer suite, patterns a system lacks', () => {
  it('marks them n/a without starting the system', async () => {
    const report = await runPeerSuite({ ...QUICK_OPTIONS, systems: ['udp'], patterns: ['inflight', 'fanout'] })
    const udp = report.systems[0]!
    expect(udp.notApplicable).toEqual(['inflight', 'fanout'])
    expect(udp.runs).toEqual([])
    expect(renderReport(report)).toContain('n/a')
  })
})
