#!/usr/bin/env node
// `pnpm bench:peers`: quic-multistream against its peers (TCP, UDP, ws, ZeroMQ, NATS, http2) on loopback, side by
// side. Runs benchmarks/peers/main.ts with tsx and the `source` export condition (packages run from their TypeScript
// sources, nothing needs building first); every argument is passed on (see that file, or --help).
//
// Usage: node scripts/bench-peers.mjs [--quick] [--runs 3] [--secs 3] [--systems quic,tcp] [--patterns seq,inflight]
import { spawnSync } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const r = spawnSync(
  process.execPath,
  ['--conditions=source', '--import', 'tsx', join(root, 'benchmarks', 'peers', 'main.ts'), ...process.argv.slice(2)],
  { cwd: root, stdio: 'inherit' },
)
process.exit(r.status ?? 1)
