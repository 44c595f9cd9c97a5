/**
 * Runs TypeScript files as child processes for multi-process tests (agents on separate processes, crash tests).
 * Children run `node --conditions=source --import tsx <file>` from the repository root: the `source` export
 * condition makes workspace packages resolve to their `src/*.ts`, and tsx compiles them on the fly, so children
 * never depend on a stale build.
 *
 * Every child is tracked until it exits; call {@link killAll} in `afterEach` so a failing test leaves nothing behind.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { isAbsolute, resolve } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'

/** The repository root (this file lives in `<root>/test-utils`). */
export const repoRoot = fileURLToPath(new URL('..', import.meta.url))

/** Options of {@link spawnTs}. */
export interface SpawnTsOptions {
  /** Extra environment variables, merged over this process's environment; `undefined` removes one. */
  env?: Record<string, string | undefined>
  /** Working directory. Default: the repository root (where tsx resolves from). */
  cwd?: string
  /** Extra `node` flags placed before `--import tsx`, e.g. `['--max-old-space-size=256']`. */
  nodeArgs?: string[]
  /** Copy the child's output to this process's stderr, prefixed by its pid (for debugging a test). */
  echo?: boolean
  /** Lines kept per stream; older ones are discarded. Default 10,000. */
  maxLines?: number
}

/** How a child ended. */
export interface ExitInfo {
  code: number | null
  signal: NodeJS.Signals | null
}

/** A running (or finished) child process. */
export interface TsProcess {
  readonly pid: number
  readonly child: ChildProcess
  /** stdout lines so far (without line endings). */
  readonly stdout: readonly string[]
  /** stderr lines so far. */
  readonly stderr: readonly string[]
  /** Resolves when the child has exited. */
  readonly exited: Promise<ExitInfo>
  /** Undefined while running. */
  readonly exitInfo: ExitInfo | undefined
  /**
   * Resolves with the first stdout line (already printed or still to come) matching `pattern`. Rejects when the
   * child exits first or after `timeoutMs` (default 10,000), with the child's recent output in the message.
   */
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>
  /** Sends `signal` (default SIGTERM); after `graceMs` (default 5,000) sends SIGKILL. Resolves on exit. */
  kill(signal?: NodeJS.Signals, graceMs?: number): Promise<ExitInfo>
  /** Writes a line to the child's stdin. */
  send(line: string): void
}

const running = new Set<TsProcess>()

/**
 * Starts `file` (absolute, or relative to the repository root) with tsx and the `source` condition, passing
 * `args`. stdout and stderr are split into lines and kept; stdin is a pipe (see {@link TsProcess.send}).
 */
export function spawnTs(file: string, args: string[] = [], options: SpawnTsOptions = {}): TsProcess {
  const script = isAbsolute(file) ? file : resolve(repoRoot, file)
  const maxLines = options.maxLines ?? 10_000
  const child = spawn(
    process.execPath,
    ['--conditions=source', ...(options.nodeArgs ?? []), '--import', 'tsx', script, ...args],
    {
      cwd: options.cwd ?? repoRoot,
      env: { ...process.env, ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  )
  child.on('error', () => {}) // reported through the missing pid below, or as an exit
  if (child.pid === undefined) {
    // spawn reports failures asynchronously; without a pid nothing was started, so there is nothing to track.
    throw new Error(`could not start ${script}`)
  }
  const pid = child.pid
  const stdout: string[] = []
  const stderr: string[] = []
  const lineListeners = new Set<(line: string) => void>()
  let exitInfo: ExitInfo | undefined

  const collect = (stream: NodeJS.ReadableStream, lines: string[], isStdout: boolean) => {
    createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY }).on('line', (line) => {
      lines.push(line)
      if (lines.length > maxLines) lines.shift()
      if (options.echo) process.stderr.write(`[${pid}${isStdout ? '' : ' err'}] ${line}\n`)
      if (isStdout) for (const listener of lineListeners) listener(line)
    })
  }
  collect(child.stdout!, stdout, true)
  collect(child.stderr!, stderr, false)
  child.stdin!.on('error', () => {}) // writing to a child that just died must not crash the test process

  const exited = new Promise<ExitInfo>((resolveExit) => {
    child.once('close', (code, signal) => {
      exitInfo = { code, signal }
      running.delete(handle)
      resolveExit(exitInfo)
    })
  })

  const recentOutput = () =>
    [...stdout.slice(-20).map((l) => `  out| ${l}`), ...stderr.slice(-20).map((l) => `  err| ${l}`)].join('\n')

  const handle: TsProcess = {
    pid,
    child,
    stdout,
    stderr,
    exited,
    get exitInfo() {
      return exitInfo
    },
    waitForLine(pattern, timeoutMs = 10_000) {
      for (const line of stdout) {
        const m = line.match(pattern)
        if (m) return Promise.resolve(m)
      }
      return new Promise((resolveLine, reject) => {
        const cleanup = () => {
          clearTimeout(timer)
          lineListeners.delete(onLine)
        }
        const onLine = (line: string) => {
          const m = line.match(pattern)
          if (m) {
            cleanup()
            resolveLine(m)
          }
        }
        const timer = setTimeout(() => {
          cleanup()
          reject(new Error(`no line matching ${pattern} from ${script} within ${timeoutMs} ms\n${recentOutput()}`))
        }, timeoutMs)
        lineListeners.add(onLine)
        void exited.then((info) => {
          // Let readline deliver the last lines before giving up on the match.
          setImmediate(() => {
            if (!lineListeners.has(onLine)) return
            cleanup()
            reject(
              new Error(
                `${script} exited (code ${info.code}, signal ${info.signal}) before printing a line matching ${pattern}\n${recentOutput()}`,
              ),
            )
          })
        })
      })
    },
    async kill(signal = 'SIGTERM', graceMs = 5_000) {
      if (exitInfo !== undefined) return exitInfo
      child.kill(signal)
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs)
      try {
        return await exited
      } finally {
        clearTimeout(timer)
      }
    },
    send(line) {
      child.stdin!.write(`${line}\n`)
    },
  }
  running.add(handle)
  return handle
}

/** Kills every child started by {@link spawnTs} that is still running and waits for them to exit. */
export async function killAll(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  await Promise.all([...running].map((p) => p.kill(signal)))
}
