import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { QmsError } from '@quic-multistream/protocol'
import { build, type OnResolveArgs, type Plugin } from 'esbuild'

/** Options of {@link buildBrowserBundle}. */
export interface BrowserBundleOptions {
  /** Module to bundle. Default: this package's browser entry (what `dist-browser/qms.js` holds). */
  entry?: string
  /** Also write the bundle here. */
  outfile?: string
  /** Minify. Default false (readable stack traces in test failures). */
  minify?: boolean
}

/** A built bundle. */
export interface BrowserBundle {
  /** The ESM source, for a `<script type="module">` or to serve. */
  code: string
  /** Where it was written, when `outfile` was given. */
  outfile?: string
}

// Running from source (tsx, vitest) the siblings are .ts; from dist they are .js.
const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js'
const here = (name: string) => fileURLToPath(new URL(`${name}${ext}`, import.meta.url))

/**
 * Node-only modules reached by the agent's import graph, and the browser-safe modules that stand in for them. Page
 * scripts import `@quic-multistream/browser` and get its page entry (the package door also holds this bundler).
 */
const substitutes: Record<string, string> = {
  '@quic-multistream/browser': here('./browser'),
  '@quic-multistream/transport': here('./shims/transport'),
  'node:crypto': here('./shims/node-crypto'),
  crypto: here('./shims/node-crypto'),
  'node:fs': here('./shims/node-fs'),
  fs: here('./shims/node-fs'),
}

/** Packages reached by optional Node-only features (the agent's Prometheus endpoint), stubbed like built-ins. */
const nodeOnlyPackages = ['prom-client']

/**
 * A module whose every export throws when used: what a Node built-in or Node-only package becomes in the bundle. The
 * export names are read from the real module at build time, so the graph links whatever it imports; only calling
 * into it fails, and nothing a page runs does.
 */
async function unavailableModule(specifier: string, importer: string): Promise<string> {
  // Resolved from the module that imports it: a package is installed for that workspace member, not for this one.
  const resolved = specifier.startsWith('node:') ? specifier : createRequire(importer).resolve(specifier)
  const real = (await import(resolved)) as Record<string, unknown>
  const names = Object.keys(real).filter((n) => n !== 'default' && /^[A-Za-z_$][\w$]*$/.test(n))
  const lines = [
    `const unavailable = (name) => function () { throw new Error(${JSON.stringify(specifier)} + '.' + name + ' is not available in a browser') }`,
    ...names.map((n) => `export const ${n} = unavailable(${JSON.stringify(n)})`),
    `export default unavailable('default')`,
  ]
  return lines.join('\n')
}

const browserSafe: Plugin = {
  name: 'qms-browser-safe',
  setup(b) {
    b.onResolve({ filter: /^(@quic-multistream\/(browser|transport)|node:crypto|crypto|node:fs|fs)$/ }, (args) => ({
      path: substitutes[args.path]!,
    }))
    const nodeOnly = (args: OnResolveArgs) => ({
      path: args.path,
      namespace: 'qms-node-only',
      pluginData: args.importer,
    })
    b.onResolve({ filter: /^node:/ }, nodeOnly)
    b.onResolve({ filter: new RegExp(`^(${nodeOnlyPackages.join('|')})$`) }, nodeOnly)
    b.onLoad({ filter: /.*/, namespace: 'qms-node-only' }, async (args) => ({
      contents: await unavailableModule(args.path, args.pluginData as string),
      loader: 'js',
    }))
    // The frame codec allocates its msgpack scratch with `Buffer`; only that module gets the stand-in, so msgpackr
    // keeps taking its no-Buffer path everywhere else.
    b.onLoad({ filter: /[\\/]protocol[\\/](src|dist)[\\/]codec\.(ts|js)$/ }, async (args) => {
      const source = await readFile(args.path, 'utf8')
      const shim = JSON.stringify(here('./shims/buffer'))
      return { contents: `import { Buffer } from ${shim}\n${source}`, loader: args.path.endsWith('.ts') ? 'ts' : 'js' }
    })
  },
}

/**
 * Bundles the browser build (or `entry`, a page script importing it) into one ESM file: workspace packages from
 * their sources, the native transport and Node built-ins swapped for browser-safe stand-ins.
 * @throws QmsError `ERR_BUNDLE` with esbuild's messages when the build fails.
 */
export async function buildBrowserBundle(options: BrowserBundleOptions = {}): Promise<BrowserBundle> {
  try {
    const result = await build({
      entryPoints: [options.entry ?? here('./browser')],
      bundle: true,
      format: 'esm',
      platform: 'browser',
      target: 'chrome120',
      conditions: ['source'],
      write: false,
      minify: options.minify ?? false,
      logLevel: 'silent',
      define: { 'process.env.NODE_ENV': '"development"' },
      inject: [here('./shims/timers')],
      plugins: [browserSafe],
    })
    const code = result.outputFiles[0]!.text
    if (options.outfile) {
      await mkdir(dirname(options.outfile), { recursive: true })
      await writeFile(options.outfile, code)
      return { code, outfile: options.outfile }
    }
    return { code }
  } catch (e) {
    throw new QmsError('ERR_BUNDLE', `browser bundle failed: ${e instanceof Error ? e.message : String(e)}`, {
      cause: e,
    })
  }
}
