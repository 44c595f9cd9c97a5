import { describe, expect, it } from 'vitest'
import { renderSummary, runSwarm, type SwarmEvent } from '../src/index.js'

/** What the dashboard's HTTP server answered while the run was still up. */
interface Served {
  page: { status: number; type: string | null; body: string }
  script: { status: number; type: string | null }
  config: Record<string, unknown>
}

async function fetchDashboard(url: string): Promise<Served> {
  const page = await fetch(url)
  const script = await fetch(new URL('/dashboard.js', url))
  await script.arrayBuffer()
  const config = (await (await fetch(new URL('/config.json', url))).json()) as Record<string, unknown>
  return {
    page: { status: page.status, type: page.headers.get('content-type'), body: await page.text() },
    script: { status: script.status, type: script.headers.get('content-type') },
    config,
  }
}

describe('runSwarm', () => {
  it('finishes every job exactly once after a worker is killed half-way, with its jobs reassigned', async () => {
    const events: SwarmEvent[] = []
    let served: Served | undefined
    const summary = await runSwarm({
      workers: 4,
      jobs: 16,
      durationS: 6,
      ui: 'none',
      metrics: false,
      onEvent: (e) => events.push(e),
      // The dashboard is still up here (browsers are covered by packages/browser/test/dashboard.test.ts).
      beforeStop: async (s) => {
        if (s.dashboard.url) served = await fetchDashboard(s.dashboard.url)
      },
    })

    expect(summary.problems).toEqual([])
    expect(summary.ok).toBe(true)
    expect(summary.exitCode).toBe(0)
    expect(summary.jobs).toMatchObject({ total: 16, done: 16, lost: 0, duplicateResults: 0, mismatched: 0 })
    expect(summary.jobs.verified).toBe(2) // jobs 0 and 8
    for (const outcome of summary.outcomes) expect(outcome.creditedTo).toHaveLength(1)

    // The kill: one worker dropped, and each job it was running finished by another one.
    const killed = summary.killed!
    expect(killed).toBeDefined()
    expect(killed.inFlight.length).toBeGreaterThan(0)
    const victim = summary.workers.find((w) => w.id === killed.worker)!
    expect(victim.exit?.signal).toBe('SIGKILL')
    expect(victim.lost).toMatch(/SIGKILL/)
    for (const jobId of killed.inFlight) {
      const outcome = summary.outcomes[jobId]!
      expect(outcome.triedOn[0]).toBe(killed.worker)
      expect(outcome.creditedTo[0]).not.toBe(killed.worker)
      expect(killed.finishedBy[jobId]).toBe(outcome.creditedTo[0])
    }
    expect(summary.jobs.reassigned).toBeGreaterThanOrEqual(killed.inFlight.length)
    expect(events.filter((e) => e.kind === 'killed')).toHaveLength(1)
    expect(events.filter((e) => e.kind === 'recovered')).toHaveLength(killed.inFlight.length)

    // The tally adds up, on both sides: the survivors ran each acknowledged assignment once.
    expect(summary.workers.reduce((n, w) => n + w.jobsDone, 0)).toBe(16)
    const survivors = summary.workers.filter((w) => w.id !== killed.worker)
    for (const w of survivors) {
      expect(w.exit).toEqual({ code: 0, signal: null })
      expect(w.report).toMatchObject({ duplicateAssignments: 0, assignmentsHandled: w.assignmentsAcked })
      expect(w.report!.jobsCompleted).toBe(w.jobsDone)
    }
    expect(summary.messages.assignments).toBe(summary.workers.reduce((n, w) => n + w.assignmentsAcked, 0))
    expect(summary.latency.results.count).toBe(16)

    // Every kind of traffic was used: critical assignments, streams, pub/sub progress, datagrams, requests.
    expect(summary.lanes.critical.sent).toBe(summary.messages.assignments)
    expect(summary.messages.streams).toBeGreaterThanOrEqual(16)
    expect(summary.messages.progress).toBeGreaterThan(0)
    expect(summary.messages.heartbeats).toBeGreaterThan(0)
    expect(summary.traffic.datagramsReceived).toBeGreaterThan(0)
    expect(summary.latency.pings.count).toBeGreaterThan(0)
    expect(summary.traffic.bytesSent).toBeGreaterThan(16 * 2 * 12_000 * 8)

    // The dashboard: its page, bundle and settings served by the coordinator, and telemetry from every agent.
    expect(summary.dashboard.off).toBeUndefined()
    expect(summary.dashboard.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/)
    expect(events.some((e) => e.text.startsWith(`dashboard ${summary.dashboard.url}`))).toBe(true)
    expect(served?.page).toMatchObject({ status: 200, type: expect.stringMatching(/^text\/html/) })
    expect(served?.page.body).toContain('<script type="module" src="/dashboard.js">')
    expect(served?.script).toMatchObject({ status: 200, type: expect.stringMatching(/^text\/javascript/) })
    expect(served?.config).toMatchObject({
      url: expect.stringMatching(/^https:\/\/127\.0\.0\.1:\d+\/mesh$/),
      certificateHash: expect.stringMatching(/^[0-9a-f]{64}$/),
      gateway: 'coordinator',
      token: expect.any(String),
    })
    const reporters = Object.keys(summary.dashboard.reports).sort()
    expect(reporters).toEqual(['coordinator', 'worker-1', 'worker-2', 'worker-3', 'worker-4'])
    for (const n of Object.values(summary.dashboard.reports)) expect(n).toBeGreaterThan(0)
  }, 120_000)

  it('runs without the dashboard when it is turned off, and says nothing of it', async () => {
    const summary = await runSwarm({
      workers: 1,
      jobs: 2,
      durationS: 2,
      ui: 'none',
      metrics: false,
      kill: false,
      dashboard: false,
    })
    expect(summary.ok).toBe(true)
    expect(summary.dashboard).toEqual({ url: undefined, off: 'turned off', reports: {} })
    expect(renderSummary(summary)).not.toMatch(/dashboard/)
  }, 60_000)
})
