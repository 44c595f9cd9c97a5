/** Where a command writes, and what stops a long-running one; tests pass their own to run `main` in-process. */
export interface CliIO {
  /** Results (tables, JSON). */
  stdout: { write(text: string): unknown; isTTY?: boolean }
  /** Errors and progress. */
  stderr: { write(text: string): unknown; isTTY?: boolean }
  /** Stops `serve` (besides SIGINT/SIGTERM) and cuts `bench` short. */
  signal?: AbortSignal
}

/** The process's own streams. */
export function processIO(): CliIO {
  return { stdout: process.stdout, stderr: process.stderr }
}

/** Writes `text` and a newline. */
export function println(out: CliIO['stdout'], text = ''): void {
  out.write(`${text}\n`)
}
