// Writes dist-browser/qms.js, the one-file ESM build for <script type="module">.
// Run: node --conditions=source --import tsx packages/browser/scripts/build.mjs
import { fileURLToPath } from 'node:url'
import { buildBrowserBundle } from '../src/bundler.ts'

const outfile = fileURLToPath(new URL('../dist-browser/qms.js', import.meta.url))
const { code } = await buildBrowserBundle({ outfile, minify: process.argv.includes('--minify') })
process.stdout.write(`wrote ${outfile} (${(code.length / 1024).toFixed(0)} KiB)\n`)
