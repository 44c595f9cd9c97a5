/**
 * The demo swarm in one command: a coordinator (this process, hosting the embedded registry) and N worker processes
 * on 127.0.0.1 compare time series over QUIC; one worker is killed half-way and its jobs are reassigned.
 *
 *   node --conditions=source --import tsx examples/swarm/main.ts [--workers 8] [--duration 35] [--jobs N]
 *                                                               [--no-kill] [--no-ui] [--no-dashboard] [--hold S]
 *
 * The coordinator serves a live dashboard (its URL is printed at the top): open it in Chromium and the page joins
 * the mesh over WebTransport. `--hold S` keeps the coordinator and the dashboard up S seconds after the summary.
 *
 * Exits 0 when every job was done exactly once and the sampled results match a local recomputation, 1 otherwise,
 * 2 for bad arguments.
 */
import { parseArgs } from 'node:util'
import { ExitCode, exitCodeFor, parseInteger } from '@quic-multistream/example-echo'
import { sleep } from '@quic-multistream/mesh'
import { renderSummary, runSwarm } from './src/index.js'

const usage = `usage: main.ts [--workers N] [--duration SECONDS] [--jobs N] [--no-kill] [--no-ui] [--no-dashboard]
               [--hold SECONDS]
  --workers N         worker processes (default 8)
  --duration SECONDS  target length of the whole run (default 35)
  --jobs N            jobs to run (default 8 per worker)
  --no-kill           do not kill a worker half-way
  --no-ui             no live view: only the summary
  --no-dashboard      do not serve the live dashboard
  --hold SECONDS      keep the coordinator and the dashboard up this long after the summary (default 0)`

/** Ends a `--hold` early (Ctrl-C while holding ends the hold, not the program). */
let holding: AbortController | undefined

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      workers: { type: 'string', default: '8' },
      duration: { type: 'string', default: '35' },
      jobs: { type: 'string' },
      'no-kill': { type: 'boolean', default: false },
      'no-ui': { type: 'boolean', default: false },
      'no-dashboard': { type: 'boolean', default: false },
      hold: { type: 'string', default: '0' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  })
  if (values.help) {
    console.log(usage)
    return ExitCode.OK
  }
  const workers = parseInteger(values.workers, 'workers', 1, 64)
  const holdS = parseInteger(values.hold, 'hold', 0, 86_400)
  const summary = await runSwarm({
    workers,
    durationS: parseInteger(values.duration, 'duration', 1, 3_600),
    ...(values.jobs === undefined ? {} : { jobs: parseInteger(values.jobs, 'jobs', 1, 100_000) }),
    kill: !values['no-kill'],
    ui: values['no-ui'] ? 'none' : 'auto',
    dashboard: !values['no-dashboard'],
    beforeStop: async (s) => {
      console.log(`\n${renderSummary(s)}`)
      if (holdS === 0) return
      console.log(
        `\nholding ${holdS} s${s.dashboard.url ? `: dashboard ${s.dashboard.url}` : ''} (Ctrl-C to stop earlier)`,
      )
      holding = new AbortController()
      await sleep(holdS * 1000, holding.signal).catch(() => undefined)
    },
  })
  return summary.exitCode
}

// Ctrl-C: exit through process.exit, so the launcher's exit hook kills the workers; during --hold, end the hold.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (holding && !holding.signal.aborted) holding.abort()
    else process.exit(130)
  })
}

process.exitCode = await main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err))
  const code = exitCodeFor(err)
  if (code === ExitCode.USAGE) console.error(usage)
  return code
})
