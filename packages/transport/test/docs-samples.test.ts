// The code samples of the user documentation are compiled against the real packages, so a renamed option or a
// changed signature breaks this test instead of silently rotting the docs. Every ```ts block is checked on its
// own as a module (write ```ts nocheck to exempt a fragment). Blocks live in memory only, at a path inside the
// package they document, so their imports resolve exactly as a user's would (and `zod` is found for protocol.md).
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { type TypeCheckDiagnostic, typeCheck } from '@qms/test-utils'
import { describe, expect, it } from 'vitest'

const repo = fileURLToPath(new URL('../../../', import.meta.url))

/** Each page with samples, the package directory they pretend to live in, and how many it has at least. */
const pages = [
  { doc: 'docs/transport.md', home: 'packages/transport/test', atLeast: 10 },
  { doc: 'docs/protocol.md', home: 'packages/protocol/test', atLeast: 5 },
  { doc: 'packages/transport/README.md', home: 'packages/transport/test', atLeast: 1 },
  { doc: 'packages/protocol/README.md', home: 'packages/protocol/test', atLeast: 1 },
] as const

interface Sample {
  /** 1-based line of the first line of code (the line after the opening fence). */
  line: number
  code: string
}

/** The checked ```ts blocks of a markdown text. */
function extractSamples(markdown: string): Sample[] {
  const samples: Sample[] = []
  const lines = markdown.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\S*)\s*(.*)$/.exec(lines[i] as string)
    if (open === null) continue
    const end = lines.findIndex((l, j) => j > i && /^```\s*$/.test(l))
    if (end === -1) throw new Error(`unclosed code block at line ${i + 1}`)
    const [, lang, flags] = open
    if ((lang === 'ts' || lang === 'typescript') && !flags?.split(/\s+/).includes('nocheck')) {
      samples.push({ line: i + 2, code: lines.slice(i + 1, end).join('\n') })
    }
    i = end
  }
  return samples
}

interface PlacedSample {
  doc: string
  line: number
  path: string
  /** `export {}` makes every block a module of its own, so blocks never share top-level names. */
  source: string
}

function placeSamples(doc: string, home: string, markdown: string): PlacedSample[] {
  const base = doc.replace(/\W+/g, '-')
  return extractSamples(markdown).map(({ line, code }) => ({
    doc,
    line,
    path: `${repo}${home}/.docs-sample-${base}-L${line}.ts`,
    source: `${code}\nexport {}\n`,
  }))
}

/** `docs/page.md:LINE:COL message`, pointing into the markdown rather than the in-memory file. */
function locate(samples: readonly PlacedSample[], d: TypeCheckDiagnostic): string {
  const s = samples.find((x) => x.path === d.file)
  const where = s === undefined ? (d.file ?? '(options)') : `${s.doc}:${s.line + d.line - 1}:${d.column}`
  return `${where} ${d.message}`
}

// A page may show packages working together (protocol frames on a transport stream), whichever package the sample
// pretends to live in: map every workspace package to its source, as the `source` export condition would.
const compilerOptions = { paths: { '@quic-multistream/*': [`${repo}packages/*/src/index.ts`] } }

async function check(samples: readonly PlacedSample[]): Promise<string[]> {
  const virtualFiles = new Map(samples.map((s) => [s.path, s.source]))
  const diagnostics = await typeCheck(
    samples.map((s) => s.path),
    { virtualFiles, compilerOptions },
  )
  return diagnostics.map((d) => locate(samples, d))
}

describe('documentation code samples', () => {
  it('extracts ```ts blocks with their markdown line and skips other languages and nocheck blocks', () => {
    const md = ['# t', '```ts', 'const a = 1', '```', '```sh', 'ls', '```', '```ts nocheck', 'oops(', '```', '```ts']
    expect(() => extractSamples(md.join('\n'))).toThrow(/unclosed code block at line 11/)
    expect(extractSamples(md.slice(0, -1).join('\n'))).toEqual([{ line: 3, code: 'const a = 1' }])
  })

  it('reports a sample that misuses the API, at its line in the markdown', async () => {
    const md = [
      'text',
      '```ts',
      "import { createEndpoint } from '@quic-multistream/transport'",
      'await createEndpoint({ idleTimeout: 5 })',
      '```',
    ].join('\n')
    const errors = await check(placeSamples('docs/example.md', 'packages/transport/test', md))
    expect(errors).toHaveLength(1)
    expect(errors[0]).toMatch(/^docs\/example\.md:4:\d+ .*idleTimeout/)
  }, 60_000)

  it('every ```ts block of the docs pages and package readmes compiles against the packages', async () => {
    const samples = pages.flatMap(({ doc, home }) => placeSamples(doc, home, readFileSync(repo + doc, 'utf8')))
    for (const { doc, atLeast } of pages) {
      // A page whose blocks stopped being found (say, a changed fence) must not pass by checking nothing.
      expect(samples.filter((s) => s.doc === doc).length, `samples found in ${doc}`).toBeGreaterThanOrEqual(atLeast)
    }
    expect(await check(samples)).toEqual([])
  }, 120_000)
})
