/**
 * Runs the TypeScript compiler from a test, for sources `tsc -b` never sees: type-level tests, benches, and the code
 * samples of the documentation (which exist only in memory).
 */
import { fileURLToPath } from 'node:url'
import type ts from 'typescript'

type TypeScript = typeof ts

// The compiler is megabytes of JavaScript, and every test file imports this package: load it only when asked to.
let compiler: Promise<TypeScript> | undefined
function loadCompiler(): Promise<TypeScript> {
  // A CommonJS module: at run time the namespace sits on `default`, which the declarations do not show.
  compiler ??= import('typescript').then((m) => (m as unknown as { default?: TypeScript }).default ?? m)
  return compiler
}

/** One compiler complaint, positioned in the checked file (1-based line and column). */
export interface TypeCheckDiagnostic {
  /** Absolute path of the file, or undefined for a problem with the options themselves. */
  file: string | undefined
  line: number
  column: number
  message: string
}

/** Options of {@link typeCheck}. */
export interface TypeCheckOptions {
  /** Sources that exist only in memory, keyed by the absolute path they pretend to live at. */
  virtualFiles?: ReadonlyMap<string, string>
  /** Compiler options layered over {@link testCompilerOptions}. */
  compilerOptions?: ts.CompilerOptions
}

const baseConfig = fileURLToPath(new URL('../tsconfig.base.json', import.meta.url))

/**
 * The repository's `tsconfig.base.json` options, adjusted for checking only: no output, and the `source` export
 * condition, so `@quic-multistream/*` imports resolve to the packages' TypeScript sources rather than a build.
 */
export async function testCompilerOptions(): Promise<ts.CompilerOptions> {
  const ts = await loadCompiler()
  const onUnRecoverableConfigFileDiagnostic = (d: ts.Diagnostic): void => {
    throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'))
  }
  const parsed = ts.getParsedCommandLineOfConfigFile(baseConfig, {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic })
  if (parsed === undefined) throw new Error(`cannot read ${baseConfig}`)
  return {
    ...parsed.options,
    noEmit: true,
    composite: false,
    declaration: false,
    declarationMap: false,
    incremental: false,
    customConditions: ['source'],
  }
}

/**
 * Type-checks `files` (paths on disk, or keys of `options.virtualFiles`) and returns the diagnostics found in them,
 * plus any about the options. Files they import are checked only as far as the roots use them, so an error inside a
 * package's own sources (which `tsc -b` reports) does not show up here.
 */
export async function typeCheck(
  files: readonly string[],
  options: TypeCheckOptions = {},
): Promise<TypeCheckDiagnostic[]> {
  const ts = await loadCompiler()
  const compilerOptions = { ...(await testCompilerOptions()), ...options.compilerOptions }
  const virtual = options.virtualFiles ?? new Map<string, string>()
  const host = ts.createCompilerHost(compilerOptions)
  const { getSourceFile, fileExists, readFile } = host
  host.getSourceFile = (fileName, languageVersion, onError, shouldCreate) => {
    const text = virtual.get(fileName)
    // `languageVersion` also carries the module format implied by the nearest package.json: pass it on.
    if (text !== undefined) return ts.createSourceFile(fileName, text, languageVersion, true)
    return getSourceFile.call(host, fileName, languageVersion, onError, shouldCreate)
  }
  host.fileExists = (fileName) => virtual.has(fileName) || fileExists.call(host, fileName)
  host.readFile = (fileName) => virtual.get(fileName) ?? readFile.call(host, fileName)

  const program = ts.createProgram({ rootNames: [...files], options: compilerOptions, host })
  const found = [...program.getOptionsDiagnostics(), ...program.getGlobalDiagnostics()]
  const missing: TypeCheckDiagnostic[] = []
  for (const f of files) {
    const sf = program.getSourceFile(f)
    if (sf === undefined) missing.push({ file: f, line: 0, column: 0, message: 'file not found' })
    else found.push(...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf))
  }
  return [...missing, ...found.map((d) => toDiagnostic(ts, d))]
}

function toDiagnostic(ts: TypeScript, d: ts.Diagnostic): TypeCheckDiagnostic {
  const message = ts.flattenDiagnosticMessageText(d.messageText, '\n')
  if (d.file === undefined || d.start === undefined) return { file: d.file?.fileName, line: 0, column: 0, message }
  const { line, character } = d.file.getLineAndCharacterOfPosition(d.start)
  return { file: d.file.fileName, line: line + 1, column: character + 1, message }
}
