#!/usr/bin/env node
// The `qms` command. In a checkout of the repository (tsx installed, sources present) it runs the TypeScript
// sources of every workspace package through tsx with the `source` export condition, so it never needs a build
// and never runs a stale one; installed from a registry it runs the compiled dist.
import { existsSync } from 'node:fs'
import { register } from 'node:module'

const source = new URL('../src/index.ts', import.meta.url)

async function sourceEntry() {
  if (!existsSync(source)) return undefined
  try {
    const tsx = await import('tsx/esm/api')
    tsx.register()
  } catch {
    return undefined
  }
  // Registered after tsx so that it runs first: it adds the condition, then tsx resolves and compiles.
  register('./source-condition.mjs', import.meta.url)
  return source
}

const entry = (await sourceEntry()) ?? new URL('../dist/index.js', import.meta.url)
const { main } = await import(entry.href)
process.exitCode = await main(process.argv.slice(2))
