// `pnpm bench:peers` (scripts/bench-peers.mjs runs this file): the peer suite from the command line. Prints the
// tables, writes benchmarks/results/peers-<timestamp>.{json,svg} and latest-peers.{json,svg}.
//
//   --runs N            runs per system (default 3)           --secs S       seconds per phase (default 3)
//   --quick             1 run, 1 s phases, small warm-up, no idle wait: a smoke test of every system
//   --systems a,b       only these systems (quic, quic-raw, quic-dgram, tcp, udp, ws, zmq, nats, http2)
//   --patterns a,b      only these patterns (seq, inflight, oneway, bulk, bulk1350, fanout, setup, rss)
//   --wait S            longest wait for an idle machine before each run (default 20; 0: none)
//   --warmup N          requests before measuring (default 2000)   --idle N   idle connections for rss (default 1000)
//   --max-foreign P     flag runs where other processes used more than P% of a core (default 25)
//   --reuse FILE        take the systems not run now from an earlier report (e.g. --systems quic --reuse
//                       benchmarks/results/latest-peers.json: the Agent re-measured against the last peers)
//   --compiled          run our packages from dist (after `npx tsc -b`) instead of their sources through tsx
//   --render FILE       print the tables of a saved report (no run)
//   --out DIR           where to write results (default benchmarks/results)   --markdown   print Markdown tables
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { renderChart } from './chart.js'
import { renderReport } from './report.js'
import {
  ALL_PATTERNS,
  ALL_SYSTEMS,
  FULL_OPTIONS,
  mergeReports,
  type Progress,
  QUICK_OPTIONS,
  runPeerSuite,
  type SuiteOptions,
  type SuiteReport,
} from './suite.js'
import type { PatternId } from './wire.js'

function parseArgs(argv: string[]): Map<string, string> {
  const args = new Map<string, string>()
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!
    if (!a.startsWith('--')) throw new Error(`unexpected argument "${a}"`)
    const eq = a.indexOf('=')
    if (eq > 0) args.set(a.slice(2, eq), a.slice(eq + 1))
    else if (argv[i + 1] !== undefined && !argv[i + 1]!.startsWith('--')) args.set(a.slice(2), argv[++i]!)
    else args.set(a.slice(2), 'true')
  }
  return args
}

function list<T extends string>(value: string | undefined, known: readonly T[], what: string): T[] {
  if (!value) return [...known]
  const items = value.split(',').filter(Boolean)
  const unknown = items.filter((x) => !known.includes(x as T))
  if (unknown.length) throw new Error(`unknown ${what}: ${unknown.join(', ')} (known: ${known.join(', ')})`)
  return items as T[]
}

function progressBar(p: Progress): void {
  const what = `${p.system} run ${p.run}${p.waiting ? ' (waiting for an idle machine)' : p.pattern ? ` ${p.pattern}` : ''}`
  if (!process.stderr.isTTY) {
    if (p.waiting || !p.pattern) return
    process.stderr.write(`[${p.done}/${p.total}] ${what}\n`)
    return
  }
  const width = 30
  const filled = Math.round((p.done / Math.max(1, p.total)) * width)
  process.stderr.write(`\r\x1b[K[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${p.done}/${p.total} ${what}`)
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2))
  if (args.has('help')) {
    console.log('usage: pnpm bench:peers [--quick] [--runs N] [--secs S] [--systems a,b] [--patterns a,b] [--wait S]')
    return
  }
  const saved = args.get('render')
  if (saved) {
    console.log(renderReport(JSON.parse(readFileSync(saved, 'utf8')) as SuiteReport, args.has('markdown')))
    return
  }
  const base = args.has('quick') ? QUICK_OPTIONS : FULL_OPTIONS
  const num = (key: string, fallback: number) => (args.has(key) ? Number(args.get(key)) : fallback)
  const options: SuiteOptions = {
    ...base,
    systems: list(args.get('systems'), ALL_SYSTEMS, 'system'),
    patterns: list<PatternId>(args.get('patterns'), ALL_PATTERNS, 'pattern'),
    runs: num('runs', base.runs),
    secs: num('secs', base.secs),
    warmup: num('warmup', base.warmup),
    idleConnections: num('idle', base.idleConnections),
    maxWaitMs: num('wait', base.maxWaitMs / 1000) * 1000,
    maxForeignPct: num('max-foreign', base.maxForeignPct),
    compiled: args.has('compiled'),
    onProgress: progressBar,
  }
  const fresh = await runPeerSuite(options)
  const reuse = args.get('reuse')
  const report = reuse ? mergeReports(fresh, JSON.parse(readFileSync(reuse, 'utf8')) as SuiteReport) : fresh
  if (process.stderr.isTTY) process.stderr.write('\r\x1b[K')
  console.log(renderReport(report, args.has('markdown')))

  const outDir = args.get('out') ?? fileURLToPath(new URL('../results', import.meta.url))
  mkdirSync(outDir, { recursive: true })
  const stamp = report.timestamp.replace(/[:.]/g, '-')
  const json = `${JSON.stringify(report, null, 2)}\n`
  const svg = renderChart(report)
  for (const name of [`peers-${stamp}`, 'latest-peers']) {
    writeFileSync(join(outDir, `${name}.json`), json)
    writeFileSync(join(outDir, `${name}.svg`), svg)
  }
  console.log(`\nwritten: ${join(outDir, `peers-${stamp}.{json,svg}`)} and latest-peers.{json,svg}`)
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e)
  process.exit(1)
})
