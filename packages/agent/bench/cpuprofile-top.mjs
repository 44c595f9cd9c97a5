#!/usr/bin/env node
// Summarizes V8 .cpuprofile files (from `node --cpu-prof`, or QMS_BENCH_PROFILE=<dir> for the bench's server):
// the functions with the most self time, and self time per source area (package, node internals, native, GC, idle).
//
// Usage: node packages/agent/bench/cpuprofile-top.mjs <file.cpuprofile|dir>... [--top 25] [--skip-ms 0]
//   --skip-ms  leave out the first milliseconds of each profile (start-up: module loading and compilation)
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'

const args = process.argv.slice(2)
const topAt = args.indexOf('--top')
const top = topAt >= 0 ? Number(args.splice(topAt, 2)[1]) : 25
const skipAt = args.indexOf('--skip-ms')
const skipUs = skipAt >= 0 ? Number(args.splice(skipAt, 2)[1]) * 1000 : 0
const files = args.flatMap((a) =>
  statSync(a).isDirectory()
    ? readdirSync(a)
        .filter((f) => f.endsWith('.cpuprofile'))
        .map((f) => join(a, f))
    : [a],
)

function area(url, name) {
  if (name === '(garbage collector)') return 'gc'
  if (name === '(idle)') return 'idle'
  if (name === '(program)' || !url) return 'native/program'
  if (url.startsWith('node:')) return 'node internals'
  const pkg = url.match(/packages\/([^/]+)\/src\//)
  if (pkg) return `@quic-multistream/${pkg[1]}`
  const dep = url.match(/node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?((?:@[^/]+\/)?[^/]+)/)
  if (dep) return dep[1]
  return url.replace(/^file:\/\/.*\/(packages|test-utils)\//, '$1/')
}

for (const file of files) {
  const profile = JSON.parse(readFileSync(file, 'utf8'))
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const self = new Map()
  // timeDeltas[i] is the time before sample i; charge it to the node sampled.
  let at = 0
  for (let i = 0; i < profile.samples.length; i++) {
    const delta = profile.timeDeltas[i] ?? 0
    at += delta
    if (at < skipUs) continue
    const id = profile.samples[i]
    self.set(id, (self.get(id) ?? 0) + delta)
  }
  const total = [...self.values()].reduce((a, b) => a + b, 0)
  const byFunction = new Map()
  const byArea = new Map()
  for (const [id, us] of self) {
    const { functionName, url, lineNumber } = byId.get(id).callFrame
    const name = functionName || '(anonymous)'
    const where = url
      ? `${url.replace(/^file:\/\/.*?\/(packages|node_modules|test-utils)\//, '$1/')}:${lineNumber + 1}`
      : ''
    const key = `${name} ${where}`
    byFunction.set(key, (byFunction.get(key) ?? 0) + us)
    const a = area(url, name)
    byArea.set(a, (byArea.get(a) ?? 0) + us)
  }
  byFunction.delete('(idle) ')
  const busy = total - (byArea.get('idle') ?? 0)
  // Shares of busy time: how much of the work each part is, whatever the idle time.
  const pct = (us) => `${((us * 100) / busy).toFixed(1).padStart(5)}%`
  console.log(
    `\n${file}: ${(total / 1e6).toFixed(2)} s sampled, ${(busy / 1e6).toFixed(2)} s busy (shares of busy time)`,
  )
  console.log('  self time by area:')
  for (const [a, us] of [...byArea].sort((x, y) => y[1] - x[1]).slice(0, 12)) {
    if (a !== 'idle') console.log(`   ${pct(us)}  ${a}`)
  }
  console.log(`  top ${top} functions by self time:`)
  for (const [k, us] of [...byFunction].sort((x, y) => y[1] - x[1]).slice(0, top)) console.log(`   ${pct(us)}  ${k}`)
}
