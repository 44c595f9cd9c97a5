// The user guides (getting started, concepts, security, operations) and the agent readme cannot rot: their code
// samples compile against the packages, the getting-started program runs and prints what the page says it prints,
// and the table of error codes in concepts.md lists exactly the codes the packages' sources raise.
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { checkDocPages, type DocPage, docBlock, type ExitInfo, readDoc, repoRoot, spawnTs } from '@qms/test-utils'
import { AGENT_METRIC_NAMES } from '@quic-multistream/agent'
import { describe, expect, it } from 'vitest'

const home = 'packages/agent/test'
const pages: readonly DocPage[] = [
  { doc: 'docs/getting-started.md', home, atLeast: 1 },
  { doc: 'docs/concepts.md', home, atLeast: 7 },
  { doc: 'docs/security.md', home, atLeast: 4 },
  { doc: 'docs/operations.md', home, atLeast: 3 },
  { doc: 'packages/agent/README.md', home, atLeast: 2 },
  // The root README: its agent and transport samples.
  { doc: 'README.md', home, atLeast: 2 },
]

/** Every `'ERR_...'` string literal in the TypeScript sources of every package (code tables and ad-hoc codes). */
function codesInSources(): Set<string> {
  const codes = new Set<string>()
  const packages = join(repoRoot, 'packages')
  for (const pkg of readdirSync(packages)) {
    let files: string[]
    try {
      files = readdirSync(join(packages, pkg, 'src'), { recursive: true, encoding: 'utf8' })
    } catch {
      continue // a package without sources yet
    }
    for (const file of files.filter((f) => f.endsWith('.ts'))) {
      const text = readFileSync(join(packages, pkg, 'src', file), 'utf8')
      for (const m of text.matchAll(/'(ERR_[A-Z0-9_]*[A-Z0-9])'/g)) codes.add(m[1] as string)
    }
  }
  return codes
}

/** `qms_x_{a,b}_total` → `qms_x_a_total`, `qms_x_b_total` (one brace group at most, as the page writes them). */
function expandBraces(name: string): string[] {
  const m = /^(.*)\{([^}]*)\}(.*)$/.exec(name)
  return m === null ? [name] : (m[2] as string).split(',').map((part) => `${m[1]}${part}${m[3]}`)
}

describe('agent documentation', () => {
  it('every ```ts block of the guides and the agent readme compiles against the packages', async () => {
    expect(await checkDocPages(pages)).toEqual([])
  }, 120_000)

  it('runs the getting-started program, which prints exactly the output the page shows and exits 0', async () => {
    const program = docBlock('docs/getting-started.md', 'first-agent')
    const expected = docBlock('docs/getting-started.md', 'first-agent-output')
    // Written next to the tests so that its imports resolve as in a package that depends on the agent.
    const file = join(repoRoot, home, `.first-agent-${process.pid}.ts`)
    writeFileSync(file, program.code)
    try {
      const child = spawnTs(file)
      let timer: NodeJS.Timeout | undefined
      const stuck = new Promise<ExitInfo>((resolve) => {
        timer = setTimeout(() => resolve(child.kill('SIGKILL')), 25_000)
      })
      const exit = await Promise.race([child.exited, stuck]).finally(() => clearTimeout(timer))
      expect({ exit, stdout: child.stdout, stderr: child.stderr }).toEqual({
        exit: { code: 0, signal: null },
        stdout: expected.code.split('\n'),
        stderr: [],
      })
    } finally {
      rmSync(file, { force: true })
    }
  }, 30_000)

  it('lists in concepts.md exactly the error codes that the packages raise', () => {
    const table = readDoc('docs/concepts.md').matchAll(/^\| `(ERR_[A-Z0-9_]+)` \|/gm)
    const documented = new Set([...table].map((m) => m[1] as string))
    const raised = codesInSources()
    expect(raised.size).toBeGreaterThan(40)
    expect({
      undocumented: [...raised].filter((c) => !documented.has(c)).sort(),
      neverRaised: [...documented].filter((c) => !raised.has(c)).sort(),
    }).toEqual({ undocumented: [], neverRaised: [] })
  })

  it('names in operations.md exactly the metric families an agent serves', () => {
    const written = [...readDoc('docs/operations.md').matchAll(/`(qms_[a-z_{},]+)`/g)].map((m) => m[1] as string)
    const documented = new Set(written.flatMap(expandBraces))
    expect({
      undocumented: AGENT_METRIC_NAMES.filter((n) => !documented.has(n)),
      notServed: [...documented].filter((n) => !AGENT_METRIC_NAMES.includes(n)),
    }).toEqual({ undocumented: [], notServed: [] })
  })
})
