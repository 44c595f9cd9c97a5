import { describe, expect, it } from 'vitest'
import { runSwarm, type SwarmEvent } from '../src/index.js'

describe('runSwarm', () => {
  it('finishes every job exactly once after a worker is killed half-way, with its jobs reassigned', async () => {
    const events: SwarmEvent[] = []
    const summary = await runSwarm({
      workers: 4,
      jobs: 16,
      durationS: 6,
      ui: 'none',
      metrics: false,
      onEvent: (e) => events.push(e),
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
  }, 120_000)
})
