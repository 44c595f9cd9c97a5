// The suite's report as tables: figures (rows = patterns, columns = systems), their min..max, the Agent's ratios
// against each peer, and the goals. Rendered aligned for the terminal or as Markdown for docs/performance.md.
import { PATTERN_INFO, SUBJECT } from './ratios.js'
import type { SuiteReport, SystemReport } from './suite.js'
import type { PatternId } from './wire.js'

type Table = string[][]

/** Short human form: 123k, 12.3k, 1,234, 12.3, 0.42. */
export function formatNumber(v: number): string {
  const a = Math.abs(v)
  if (a >= 100_000) return `${Math.round(v / 1000)}k`
  if (a >= 10_000) return `${(v / 1000).toFixed(1)}k`
  if (a >= 1_000) return Math.round(v).toLocaleString('en-US')
  if (a >= 100) return String(Math.round(v))
  if (a >= 10) return v.toFixed(1)
  return v.toFixed(2)
}

function cellFor(
  s: SystemReport,
  p: PatternId,
  pick: (a: NonNullable<SystemReport['figures'][PatternId]>) => string | undefined,
): string {
  if (s.skipped) return 'skipped'
  if (s.notApplicable.includes(p)) return 'n/a'
  const fig = s.figures[p]
  if (!fig) return s.errors[p] ? 'error' : '-'
  return pick(fig) ?? '-'
}

/** CPU per operation of both processes (us; per MB for bulk), for the patterns that record CPU. */
function cpuRows(report: SuiteReport): Table {
  const rows: Table = [['CPU per operation, both sides (us)', ...report.systems.map((s) => s.label)]]
  for (const p of report.options.patterns) {
    if (!report.systems.some((s) => s.figures[p]?.cpuUs !== undefined)) continue
    const per = p === 'bulk' || p === 'bulk1350' ? 'per MB' : PATTERN_INFO[p].unit.replace(/\/s$/, '')
    rows.push([
      `${PATTERN_INFO[p].label} (${per})`,
      ...report.systems.map((s) => cellFor(s, p, (f) => (f.cpuUs === undefined ? undefined : formatNumber(f.cpuUs)))),
    ])
  }
  return rows
}

function figureRows(report: SuiteReport, range: boolean): Table {
  const systems = report.systems
  const rows: Table = [['pattern', ...systems.map((s) => s.label)]]
  for (const p of report.options.patterns) {
    const info = PATTERN_INFO[p]
    rows.push([
      `${info.label} (${info.unit})`,
      ...systems.map((s) =>
        cellFor(s, p, (f) =>
          range
            ? `${formatNumber(f.min)}..${formatNumber(f.max)}`
            : `${formatNumber(f.median)}${f.disturbedRuns > 0 ? '*' : ''}${f.lossPct && f.lossPct >= 1 ? ` (-${Math.round(f.lossPct)}%)` : ''}`,
        ),
      ),
    ])
    if (p === 'seq' && !range) {
      for (const [name, key] of [
        ['p50', 'p50Us'],
        ['p99', 'p99Us'],
      ] as const) {
        rows.push([
          `  ${name} latency (us)`,
          ...systems.map((s) => cellFor(s, p, (f) => (f[key] === undefined ? undefined : formatNumber(f[key])))),
        ])
      }
    }
  }
  return rows
}

function ratioRows(report: SuiteReport): Table {
  const peers = report.systems.filter((s) => s.id !== SUBJECT)
  const rows: Table = [['Agent vs', ...peers.map((s) => s.label)]]
  for (const p of report.options.patterns) {
    const row = report.ratios[p]
    if (!row) continue
    rows.push([
      PATTERN_INFO[p].label,
      ...peers.map((s) => (row[s.id] === undefined ? '' : `${row[s.id]!.toFixed(2)}x`)),
    ])
  }
  return rows
}

function goalRows(report: SuiteReport): Table {
  const rows: Table = [['goal (issue #7)', 'ratio', 'met']]
  for (const g of report.goals) {
    rows.push([
      g.text,
      g.ratio === undefined ? 'not measured' : `${g.ratio.toFixed(2)}x`,
      g.met === undefined ? '-' : g.met ? 'yes' : 'NO',
    ])
  }
  return rows
}

function aligned(t: Table): string {
  const widths = t[0]!.map((_, i) => Math.max(...t.map((r) => (r[i] ?? '').length)))
  const line = (r: string[]) =>
    r
      .map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
      .join('  ')
      .trimEnd()
  return [line(t[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...t.slice(1).map(line)].join('\n')
}

function markdown(t: Table): string {
  // A bare `*` (the disturbed-run flag) would pair up into emphasis across cells.
  const line = (r: string[]) => `| ${r.map((c) => c.replace(/\*/g, '\\*')).join(' | ')} |`
  return [line(t[0]!), `|${t[0]!.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`, ...t.slice(1).map(line)].join(
    '\n',
  )
}

function notes(report: SuiteReport): string[] {
  const out: string[] = []
  for (const s of report.systems) {
    if (s.skipped) out.push(`${s.label}: skipped, ${s.skipped}`)
    for (const [p, e] of Object.entries(s.errors)) out.push(`${s.label} ${p}: ${e}`)
  }
  const disturbed = report.systems.flatMap((s) =>
    s.runs.filter((r) => r.disturbed).map((r) => `${s.id}#${r.run} (${r.maxForeignPct}%)`),
  )
  if (disturbed.length) {
    out.push(
      `* = median includes runs disturbed by other load (foreign CPU > ${report.options.maxForeignPct}% of a core): ${disturbed.join(', ')}`,
    )
  }
  return out
}

/** The whole report for the terminal (or as Markdown with `md`). */
export function renderReport(report: SuiteReport, md = false): string {
  const render = md ? markdown : aligned
  const o = report.options
  const m = report.machine
  const head = `${m.cpus} x ${m.cpuModel}, Node ${m.node}, load ${m.loadavg.join(' ')}; ${o.runs} run(s) of ${o.secs} s phases, medians`
  const reused = report.reused
  const from = reused?.systems.length
    ? [`(${reused.systems.join(', ')}: figures reused from the run of ${reused.timestamp})`]
    : []
  return [
    head,
    ...from,
    '',
    render(figureRows(report, false)),
    '',
    'min..max over the runs:',
    '',
    render(figureRows(report, true)),
    '',
    'CPU time per operation (client process + server side; steadier than rates when other load takes the cores):',
    '',
    render(cpuRows(report)),
    '',
    'Ratios (above 1: the Agent is better; for setup time and memory, the peer figure over the Agent figure):',
    '',
    render(ratioRows(report)),
    '',
    render(goalRows(report)),
    ...(notes(report).length ? ['', ...notes(report).map((n) => (md ? `- ${n.replace(/\*/g, '\\*')}` : n))] : []),
  ].join('\n')
}
