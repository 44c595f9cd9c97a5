/**
 * The code samples of the user documentation, compiled against the real packages so that a renamed option or a
 * changed signature fails a test instead of silently rotting the docs. Every ```ts block of a page is checked on its
 * own as a module (write ```ts nocheck to exempt a fragment). Blocks live in memory only, at a path inside the
 * package they pretend to belong to ("home"), so their imports resolve exactly as a user's would there (`zod` is
 * found only where a package depends on it).
 *
 * Words after the language name are flags: `nocheck`, or `id=<name>` to name a block that a test fetches with
 * {@link docBlock} (to run a program, or to compare its output with the one documented).
 */
import { readFileSync } from 'node:fs'
import { repoRoot } from './processes.js'
import { type TypeCheckDiagnostic, typeCheck } from './typecheck.js'

/** One fenced code block of a markdown text. */
export interface DocBlock {
  /** The language name on the opening fence (`ts`, `sh`, `text`...), empty when there is none. */
  lang: string
  /** 1-based line of the first line of code (the line after the opening fence). */
  line: number
  code: string
  /** The words after the language name on the opening fence. */
  flags: string[]
}

/** A page whose samples are checked, and where they pretend to live. */
export interface DocPage {
  /** The markdown file, relative to the repository root. */
  doc: string
  /** The directory (relative to the repository root) whose module resolution the samples get. */
  home: string
  /** Fewest samples the page must yield, so that a page whose fences stopped matching cannot pass empty. */
  atLeast: number
}

/** A sample given a file name inside its home. */
export interface PlacedDocSample {
  doc: string
  line: number
  /** Absolute path of the in-memory file. */
  path: string
  /** `export {}` makes every block a module of its own, so blocks never share top-level names. */
  source: string
}

/**
 * Every fenced code block of `markdown`.
 * @throws Error for a code block that is never closed.
 */
export function extractDocBlocks(markdown: string): DocBlock[] {
  const blocks: DocBlock[] = []
  const lines = markdown.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\S*)\s*(.*)$/.exec(lines[i] as string)
    if (open === null) continue
    const end = lines.findIndex((l, j) => j > i && /^```\s*$/.test(l))
    if (end === -1) throw new Error(`unclosed code block at line ${i + 1}`)
    const flags = (open[2] ?? '').split(/\s+/).filter((f) => f.length > 0)
    blocks.push({ lang: open[1] ?? '', line: i + 2, code: lines.slice(i + 1, end).join('\n'), flags })
    i = end
  }
  return blocks
}

/**
 * The ```ts (or ```typescript) blocks of `markdown` that are not flagged `nocheck`: the ones to compile.
 * @throws Error for a code block that is never closed.
 */
export function extractDocSamples(markdown: string): DocBlock[] {
  return extractDocBlocks(markdown).filter(
    (b) => (b.lang === 'ts' || b.lang === 'typescript') && !b.flags.includes('nocheck'),
  )
}

/** Reads a page (relative to the repository root). */
export function readDoc(doc: string): string {
  return readFileSync(repoRoot + doc, 'utf8')
}

/**
 * The code block of `doc` (in any language) flagged `id=<id>`.
 * @throws Error when the page has none, or several.
 */
export function docBlock(doc: string, id: string): DocBlock {
  const found = extractDocBlocks(readDoc(doc)).filter((s) => s.flags.includes(`id=${id}`))
  if (found.length !== 1) throw new Error(`${doc} has ${found.length} samples flagged id=${id}, expected 1`)
  return found[0] as DocBlock
}

/** The samples of `markdown` (the text of `doc`, read from disk when not given), placed in `home`. */
export function placeDocSamples(doc: string, home: string, markdown: string = readDoc(doc)): PlacedDocSample[] {
  const base = doc.replace(/\W+/g, '-')
  return extractDocSamples(markdown).map(({ line, code }) => ({
    doc,
    line,
    path: `${repoRoot}${home}/.docs-sample-${base}-L${line}.ts`,
    source: `${code}\nexport {}\n`,
  }))
}

/** `docs/page.md:LINE:COL message`, pointing into the markdown rather than the in-memory file. */
function locate(samples: readonly PlacedDocSample[], d: TypeCheckDiagnostic): string {
  const s = samples.find((x) => x.path === d.file)
  const where = s === undefined ? (d.file ?? '(options)') : `${s.doc}:${s.line + d.line - 1}:${d.column}`
  return `${where} ${d.message}`
}

// A page may show packages working together (protocol frames on a transport stream, an agent with a mesh
// registry), whichever package the sample pretends to live in: map every workspace package to its source, as the
// `source` export condition would.
const compilerOptions = { paths: { '@quic-multistream/*': [`${repoRoot}packages/*/src/index.ts`] } }

/** Type-checks placed samples; resolves to one `doc:line:col message` per complaint (none when all compile). */
export async function checkDocSamples(samples: readonly PlacedDocSample[]): Promise<string[]> {
  const virtualFiles = new Map(samples.map((s) => [s.path, s.source]))
  const diagnostics = await typeCheck(
    samples.map((s) => s.path),
    { virtualFiles, compilerOptions },
  )
  return diagnostics.map((d) => locate(samples, d))
}

/**
 * Type-checks every sample of `pages` in one compiler run; resolves to the complaints, including a page that
 * yielded fewer samples than its `atLeast`.
 */
export async function checkDocPages(pages: readonly DocPage[]): Promise<string[]> {
  const problems: string[] = []
  const samples: PlacedDocSample[] = []
  for (const { doc, home, atLeast } of pages) {
    const placed = placeDocSamples(doc, home)
    if (placed.length < atLeast) problems.push(`${doc}: ${placed.length} samples found, expected at least ${atLeast}`)
    samples.push(...placed)
  }
  return [...problems, ...(await checkDocSamples(samples))]
}
