// The orchestrator: for each run, each system in turn (interleaved, so other load on the machine hits all of them
// alike) in a fresh client process that forks a fresh server process; waits (briefly) for an idle machine before
// each, flags runs disturbed by other load, and reduces the runs to medians with their min..max.
import { spawn } from 'node:child_process'
import { arch, cpus, loadavg, platform } from 'node:os'
import { fileURLToPath } from 'node:url'
import { median } from '../lib/bench-kit.js'
import { type IdleWait, waitForIdle } from '../lib/cpu-load.js'
import { computeGoals, computeRatios, type GoalResult, type Ratios } from './ratios.js'
import { findSystem, SYSTEMS } from './systems/index.js'
import { type ClientJob, type ClientLine, PATTERNS, type PatternId, type PhaseResult } from './wire.js'

/** How the suite runs. */
export interface SuiteOptions {
  systems: string[]
  patterns: PatternId[]
  runs: number
  /** Seconds per measured phase. */
  secs: number
  warmup: number
  setupSamples: number
  idleConnections: number
  /** Longest wait for an idle machine before each run, in ms (0: do not wait). */
  maxWaitMs: number
  /**
   * Run our packages from their compiled `dist` (build with `npx tsc -b` first) instead of their TypeScript sources
   * through tsx, whose on-the-fly transpilation wraps every closure it creates in a `__name` call.
   */
  compiled?: boolean
  /** A run during which other processes used more than this (percent of one core) is flagged as disturbed. */
  maxForeignPct: number
  /** Called as phases start, for a progress display. */
  onProgress?: (p: Progress) => void
}

/** Where the suite is. */
export interface Progress {
  done: number
  total: number
  system: string
  run: number
  pattern?: PatternId
  waiting?: boolean
}

/** The defaults of a full run (`pnpm bench:peers`). */
export const FULL_OPTIONS: Omit<SuiteOptions, 'systems' | 'patterns'> = {
  runs: 3,
  secs: 3,
  warmup: 2_000,
  setupSamples: 50,
  idleConnections: 1_000,
  maxWaitMs: 20_000,
  maxForeignPct: 25,
}

/** `--quick`: one short run, a CI smoke test of every system rather than a measurement. */
export const QUICK_OPTIONS: Omit<SuiteOptions, 'systems' | 'patterns'> = {
  runs: 1,
  secs: 1,
  warmup: 200,
  setupSamples: 10,
  idleConnections: 50,
  maxWaitMs: 0,
  maxForeignPct: 25,
}

/** One run of one system. */
export interface RunRecord {
  run: number
  idleWait?: IdleWait
  results: Partial<Record<PatternId, PhaseResult>>
  errors: Partial<Record<PatternId, string>>
  /** Highest foreign CPU (percent of one core) over the run's phases. */
  maxForeignPct: number
  disturbed: boolean
}

/** A pattern's figure over the runs. */
export interface Aggregate {
  median: number
  min: number
  max: number
  values: number[]
  p50Us?: number
  p99Us?: number
  lossPct?: number
  /**
   * CPU time both sides spent per operation (per MB for bulk), in microseconds: steadier than rates when other load
   * takes the cores, since a starved process is slow but not costlier.
   */
  cpuUs?: number
  /** Runs of this figure during which other load exceeded the threshold. */
  disturbedRuns: number
}

/** A system's outcome: its figures per pattern, n/a for the patterns it does not support. */
export interface SystemReport {
  id: string
  label: string
  versions: Record<string, string>
  /** Why it did not run (e.g. nats-server missing). */
  skipped?: string
  runs: RunRecord[]
  figures: Partial<Record<PatternId, Aggregate>>
  /** Patterns asked for that failed in every run, with the last error. */
  errors: Partial<Record<PatternId, string>>
  notApplicable: PatternId[]
}

/** Everything one suite run produced (written as JSON). */
export interface SuiteReport {
  timestamp: string
  machine: { node: string; platform: string; cpus: number; cpuModel: string; loadavg: number[] }
  options: Omit<SuiteOptions, 'onProgress'>
  systems: SystemReport[]
  ratios: Ratios
  goals: GoalResult[]
  /** Systems whose figures were taken from an earlier report (see {@link mergeReports}), and from when. */
  reused?: { systems: string[]; timestamp: string }
}

/**
 * `fresh` completed with the systems it did not run taken from `earlier` (e.g. the Agent re-measured after a change,
 * against the peers of the last full run), the ratios and goals recomputed. Figures from two runs are only as
 * comparable as the machine's load at both times was.
 */
export function mergeReports(fresh: SuiteReport, earlier: SuiteReport): SuiteReport {
  const ran = new Set(fresh.systems.map((s) => s.id))
  const reused = earlier.systems.filter((s) => !ran.has(s.id))
  const order = (id: string) => SYSTEMS.findIndex((s) => s.id === id)
  const systems = [...fresh.systems, ...reused].sort((a, b) => order(a.id) - order(b.id))
  const patterns = ALL_PATTERNS.filter(
    (p) => fresh.options.patterns.includes(p) || earlier.options.patterns.includes(p),
  )
  for (const s of systems) s.notApplicable = patterns.filter((p) => !findSystem(s.id).patterns.includes(p))
  const ratios = computeRatios(systems)
  return {
    ...fresh,
    options: { ...fresh.options, patterns, systems: systems.map((s) => s.id) },
    systems,
    ratios,
    goals: computeGoals(ratios),
    reused: { systems: reused.map((s) => s.id), timestamp: earlier.timestamp },
  }
}

const repoRoot = fileURLToPath(new URL('../..', import.meta.url))
const clientScript = fileURLToPath(new URL('./client.ts', import.meta.url))

/** Runs one client process and collects its lines; `onLine` sees each as it arrives. */
function runClient(
  job: ClientJob,
  compiled: boolean,
  onLine: (l: ClientLine) => void,
): Promise<{ lines: ClientLine[]; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      [...(compiled ? [] : ['--conditions=source']), '--import', 'tsx', clientScript, JSON.stringify(job)],
      { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] },
    )
    const lines: ClientLine[] = []
    let out = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d
      for (let nl = out.indexOf('\n'); nl >= 0; nl = out.indexOf('\n')) {
        const text = out.slice(0, nl).trim()
        out = out.slice(nl + 1)
        if (!text.startsWith('{')) continue
        try {
          const line = JSON.parse(text) as ClientLine
          lines.push(line)
          onLine(line)
        } catch {
          // not one of ours: ignored
        }
      }
    })
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr = (stderr + d).slice(-4_000)
    })
    const budgetMs = 120_000 + job.patterns.length * (job.secs * 3_000 + 60_000)
    const timer = setTimeout(() => child.kill('SIGKILL'), budgetMs)
    child.on('close', () => {
      clearTimeout(timer)
      resolve({ lines, stderr })
    })
  })
}

function aggregate(runs: RunRecord[], pattern: PatternId): Aggregate | undefined {
  const measured = runs.filter((r) => r.results[pattern] !== undefined)
  if (measured.length === 0) return undefined
  const results = measured.map((r) => r.results[pattern]!)
  const values = results.map((r) => r.value)
  const optional = (pick: (r: PhaseResult) => number | undefined) => {
    const xs = results.map(pick).filter((x): x is number => x !== undefined)
    return xs.length ? median(xs) : undefined
  }
  const p50Us = optional((r) => r.p50Us)
  const p99Us = optional((r) => r.p99Us)
  const lossPct = optional((r) => r.lossPct)
  const cpuUs = optional((r) => (r.cpu && r.value > 0 ? ((r.cpu.client + r.cpu.server) * 10_000) / r.value : undefined))
  return {
    median: median(values),
    min: Math.min(...values),
    max: Math.max(...values),
    values,
    ...(p50Us === undefined ? {} : { p50Us }),
    ...(p99Us === undefined ? {} : { p99Us }),
    ...(lossPct === undefined ? {} : { lossPct }),
    ...(cpuUs === undefined ? {} : { cpuUs }),
    disturbedRuns: measured.filter((r) => r.disturbed).length,
  }
}

/** Runs the suite and returns its report (nothing is printed or written here). */
export async function runPeerSuite(options: SuiteOptions): Promise<SuiteReport> {
  const systems = options.systems.map(findSystem)
  const reports: SystemReport[] = systems.map((s) => {
    const skipped = s.unavailable?.()
    return {
      id: s.id,
      label: s.label,
      versions: {},
      ...(skipped ? { skipped } : {}),
      runs: [],
      figures: {},
      errors: {},
      notApplicable: options.patterns.filter((p) => !s.patterns.includes(p)),
    }
  })
  const planned = (i: number) => options.patterns.filter((p) => systems[i]!.patterns.includes(p))
  const total = reports.reduce((n, r, i) => n + (r.skipped ? 0 : planned(i).length * options.runs), 0)
  let done = 0
  for (let run = 1; run <= options.runs; run++) {
    for (let i = 0; i < systems.length; i++) {
      const report = reports[i]!
      const patterns = planned(i)
      if (report.skipped || patterns.length === 0) continue
      const progress = (p: Partial<Progress>) => options.onProgress?.({ done, total, system: report.id, run, ...p })
      let idleWait: IdleWait | undefined
      if (options.maxWaitMs > 0) {
        progress({ waiting: true })
        idleWait = await waitForIdle(options.maxWaitMs)
      }
      const record: RunRecord = {
        run,
        ...(idleWait ? { idleWait } : {}),
        results: {},
        errors: {},
        maxForeignPct: 0,
        disturbed: false,
      }
      const job: ClientJob = {
        system: report.id,
        patterns,
        secs: options.secs,
        warmup: options.warmup,
        setupSamples: options.setupSamples,
        idleConnections: options.idleConnections,
      }
      const { stderr } = await runClient(job, options.compiled ?? false, (line) => {
        if (line.type === 'phase') progress({ pattern: line.pattern })
        else if (line.type === 'result') {
          record.results[line.pattern] = line.result
          record.maxForeignPct = Math.max(record.maxForeignPct, line.result.cpu?.foreign ?? 0)
          done++
        } else if (line.type === 'error') {
          record.errors[line.pattern] = line.error
          done++
        } else if (line.type === 'done') report.versions = line.versions
      })
      for (const p of patterns) {
        if (record.results[p] === undefined && record.errors[p] === undefined) {
          record.errors[p] =
            `client process ended without a result${stderr ? `: ${stderr.trim().split('\n').pop()}` : ''}`
          done++
        }
      }
      record.disturbed = record.maxForeignPct > options.maxForeignPct
      report.runs.push(record)
    }
  }
  for (const report of reports) {
    for (const p of options.patterns) {
      const agg = aggregate(report.runs, p)
      if (agg) report.figures[p] = agg
      else {
        const error = report.runs.map((r) => r.errors[p]).find((e) => e !== undefined)
        if (error) report.errors[p] = error
      }
    }
  }
  const { onProgress: _, ...recorded } = options
  const ratios = computeRatios(reports)
  return {
    timestamp: new Date().toISOString(),
    machine: {
      node: process.version,
      platform: `${platform()} ${arch()}`,
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? 'unknown',
      loadavg: loadavg().map((x) => Math.round(x * 100) / 100),
    },
    options: recorded,
    systems: reports,
    ratios,
    goals: computeGoals(ratios),
  }
}

/** Every system id, and every pattern, in table order. */
export const ALL_SYSTEMS = SYSTEMS.map((s) => s.id)
export const ALL_PATTERNS: PatternId[] = [...PATTERNS]
