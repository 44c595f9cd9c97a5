#!/usr/bin/env node
// Runs every packages/*/bench/*.bench.ts (or those whose path or name contains one of the filter arguments), each in
// its own Node process with tsx and the `source` export condition (so packages import each other's sources). Each
// bench prints one JSON object per line: {"bench":"protocol.codec","metric":"...","value":n,"unit":"..."}; other
// output is passed through. Results go to benchmarks/results/<timestamp>.json and benchmarks/results/latest.json.
//
// Usage: node scripts/bench.mjs [filter...]     e.g. `pnpm bench protocol`, `npm run bench -- codec`
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const filters = process.argv.slice(2).filter((a) => !a.startsWith('-'))
const TIMEOUT_MS = 120_000

function discover() {
  const packagesDir = join(root, 'packages')
  const files = []
  for (const pkg of readdirSync(packagesDir).sort()) {
    const dir = join(packagesDir, pkg, 'bench')
    if (!existsSync(dir)) continue
    for (const f of readdirSync(dir).sort()) if (f.endsWith('.bench.ts')) files.push(join(dir, f))
  }
  return files
}

function parseLine(line) {
  if (!line.startsWith('{')) return undefined
  try {
    const r = JSON.parse(line)
    if (typeof r.bench === 'string' && typeof r.metric === 'string' && typeof r.value === 'number') {
      return { bench: r.bench, metric: r.metric, value: r.value, unit: typeof r.unit === 'string' ? r.unit : '' }
    }
  } catch {
    // not a result line: passed through below
  }
  return undefined
}

function formatValue(v) {
  return Math.abs(v) >= 1000 ? Math.round(v).toLocaleString('en-US') : String(v)
}

function table(rows) {
  const head = ['bench', 'metric', 'value', 'unit']
  const cells = rows.map((r) => [r.bench, r.metric, formatValue(r.value), r.unit])
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)))
  const line = (c) => c.map((x, i) => (i === 2 ? x.padStart(widths[i]) : x.padEnd(widths[i]))).join('  ')
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line)].join('\n')
}

const files = discover().filter((f) => filters.length === 0 || filters.some((flt) => relative(root, f).includes(flt)))
if (files.length === 0) {
  console.error(`no benchmarks match ${filters.length ? filters.join(', ') : '(none found)'}`)
  process.exit(1)
}

const results = []
const failures = []
for (const file of files) {
  const rel = relative(root, file)
  console.error(`running ${rel} ...`)
  const started = Date.now()
  const child = spawnSync(process.execPath, ['--conditions=source', '--import', 'tsx', file], {
    cwd: root,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    timeout: TIMEOUT_MS,
    maxBuffer: 64 * 1024 * 1024,
  })
  for (const line of (child.stdout ?? '').split('\n')) {
    const r = parseLine(line.trim())
    if (r) results.push({ ...r, file: rel })
    else if (line.trim()) console.error(`  ${line}`)
  }
  const seconds = ((Date.now() - started) / 1000).toFixed(1)
  if (child.status !== 0) {
    const why = child.error ? child.error.message : child.signal ? `signal ${child.signal}` : `exit ${child.status}`
    failures.push(`${rel}: ${why}`)
    console.error(`  FAILED after ${seconds}s (${why})`)
  } else {
    console.error(`  done in ${seconds}s`)
  }
}

const timestamp = new Date().toISOString()
const report = {
  timestamp,
  node: process.version,
  platform: `${os.platform()} ${os.arch()}`,
  cpus: os.cpus().length,
  cpuModel: os.cpus()[0]?.model ?? 'unknown',
  filters,
  failures,
  results,
}
const outDir = join(root, 'benchmarks', 'results')
mkdirSync(outDir, { recursive: true })
const json = `${JSON.stringify(report, null, 2)}\n`
writeFileSync(join(outDir, `${timestamp.replace(/[:.]/g, '-')}.json`), json)
writeFileSync(join(outDir, 'latest.json'), json)

console.log(table(results))
console.log(
  `\n${results.length} results from ${files.length} benchmark file(s); saved to benchmarks/results/latest.json`,
)
if (failures.length) {
  console.error(`\n${failures.length} benchmark file(s) failed:\n  ${failures.join('\n  ')}`)
  process.exit(1)
}
