/**
 * CPU accounting from /proc (Linux): how busy the machine was during a measured phase, and how much of that came
 * from processes other than the benchmark's own ("foreign" load). On a shared machine a rate means little without it.
 * Elsewhere (no /proc) every figure reads 0 and nothing is flagged.
 */
import { readFileSync } from 'node:fs'

/** Kernel clock ticks per second (USER_HZ): 100 on every mainstream Linux build. */
const TICKS_PER_SECOND = 100

function readProc(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8')
  } catch {
    return undefined
  }
}

/** CPU time (user + system) a process has used so far, in ms; 0 once it is gone. */
export function processCpuMs(pid: number): number {
  const stat = readProc(`/proc/${pid}/stat`)
  if (!stat) return 0
  // The command name (field 2) may hold spaces: fields are counted from after its closing parenthesis.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND
}

/** CPU time the whole machine has spent busy (not idle, not waiting for I/O) so far, in ms summed over cores. */
export function machineBusyMs(): number {
  const line = readProc('/proc/stat')?.split('\n', 1)[0]
  if (!line) return 0
  const f = line.trim().split(/\s+/).slice(1, 9).map(Number)
  const total = f.reduce((a, b) => a + b, 0)
  return ((total - (f[3] ?? 0) - (f[4] ?? 0)) * 1000) / TICKS_PER_SECOND
}

/** Resident set size of a process in bytes (from /proc, so it also works for processes that are not Node). */
export function processRssBytes(pid: number): number {
  const status = readProc(`/proc/${pid}/status`)
  const kb = status?.match(/^VmRSS:\s+(\d+)\s+kB/m)?.[1]
  return kb ? Number(kb) * 1024 : 0
}

/** A point in time to measure a phase from: see {@link cpuLoadBetween}. */
export interface CpuSnapshot {
  at: number
  self: number
  others: number[]
  machine: number
}

/** CPU use over a phase, each in percent of one core. */
export interface CpuLoad {
  /** This process. */
  self: number
  /** The other processes of the benchmark, summed. */
  others: number
  /** Everything else the machine ran meanwhile. */
  foreign: number
}

/** Takes a snapshot of this process, the benchmark's other processes (`pids`) and the whole machine. */
export function cpuSnapshot(pids: readonly number[]): CpuSnapshot {
  const { user, system } = process.cpuUsage()
  return {
    at: performance.now(),
    self: (user + system) / 1000,
    others: pids.map(processCpuMs),
    machine: machineBusyMs(),
  }
}

/** The CPU load between two snapshots of the same processes. */
export function cpuLoadBetween(a: CpuSnapshot, b: CpuSnapshot): CpuLoad {
  const ms = Math.max(1, b.at - a.at)
  const self = b.self - a.self
  const others = b.others.reduce((sum, v, i) => sum + Math.max(0, v - (a.others[i] ?? v)), 0)
  const foreign = Math.max(0, b.machine - a.machine - self - others)
  const pct = (x: number) => Math.round((x / ms) * 100)
  return { self: pct(self), others: pct(others), foreign: pct(foreign) }
}

/** How long {@link waitForIdle} waited, and how busy the machine was in its last second (percent of one core). */
export interface IdleWait {
  waitedMs: number
  busyPct: number
  idle: boolean
}

/**
 * Waits until the machine is idle (at most `busyPct` of one core busy over a second), for at most `maxMs`: a shared
 * machine may never be idle, so the caller records the outcome and flags the run instead of waiting forever.
 */
export async function waitForIdle(maxMs: number, busyPct = 25): Promise<IdleWait> {
  const start = performance.now()
  let busy = 0
  for (;;) {
    const before = machineBusyMs()
    const t0 = performance.now()
    await new Promise((r) => setTimeout(r, Math.min(1_000, Math.max(100, maxMs))))
    busy = Math.round(((machineBusyMs() - before) / (performance.now() - t0)) * 100)
    const waitedMs = Math.round(performance.now() - start)
    if (busy <= busyPct) return { waitedMs, busyPct: busy, idle: true }
    if (waitedMs >= maxMs) return { waitedMs, busyPct: busy, idle: false }
  }
}
