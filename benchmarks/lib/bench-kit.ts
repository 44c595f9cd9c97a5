/**
 * What every benchmark file needs: the JSON-lines output that `scripts/bench.mjs` collects, and robust statistics.
 * Dev tooling only (benchmarks import it by relative path); not part of any package.
 */

/** Returns `emit(metric, value, unit)`, printing one result line for `bench` (rounded for readability). */
export function createEmitter(bench: string): (metric: string, value: number, unit: string) => void {
  return (metric, value, unit) => {
    const rounded = Math.abs(value) >= 100 ? Math.round(value) : Math.round(value * 100) / 100
    console.log(JSON.stringify({ bench, metric, value: rounded, unit }))
  }
}

/** Median of the samples (the statistic benchmarks quote: robust to a noisy shared machine). */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  const mid = s.length >> 1
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2
}

/** Nearest-rank percentile, `p` in [0, 1]. */
export function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))] as number
}

/** Rejects with a clear message if `p` takes longer than `ms`, so a stuck case fails instead of hanging the run. */
export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took more than ${ms} ms`)), ms)
  })
  return Promise.race([p, limit]).finally(() => clearTimeout(timer))
}

/** The case filter from `QMS_BENCH_ONLY` (comma-separated name prefixes): every case runs when it is unset. */
export function caseFilter(only = process.env.QMS_BENCH_ONLY): (name: string) => boolean {
  const prefixes = only?.split(',').filter(Boolean)
  return (name) => !prefixes || prefixes.some((p) => name.startsWith(p))
}

/** Reports a failed case on stderr and marks the run as failed, letting the other cases go on. */
export function createFailureReporter(bench: string): (what: string, e: unknown) => void {
  return (what, e) => {
    console.error(`${bench}: ${what} failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`)
    process.exitCode = 1
  }
}

/** Asks a forked server process to exit (IPC `{ type: 'exit' }`), and kills it if it has not within 5 s. */
export async function stopChild(child: import('node:child_process').ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise<void>((r) => child.once('exit', () => r()))
  if (child.connected) child.send({ type: 'exit' })
  await withTimeout(exited, 5_000, 'server exit').catch(() => child.kill('SIGKILL'))
}
