import { type CliIO, main } from '@quic-multistream/cli'

/** A `main` run in-process with its output captured. */
export interface Run {
  code: number
  stdout: string
  stderr: string
}

/** An in-memory {@link CliIO}: what was written, and an abort controller to stop `serve`. */
export function captureIO(): CliIO & { out: string[]; err: string[]; stop(): void } {
  const out: string[] = []
  const err: string[] = []
  const controller = new AbortController()
  return {
    out,
    err,
    stdout: { write: (t: string) => out.push(t) },
    stderr: { write: (t: string) => err.push(t) },
    signal: controller.signal,
    stop: () => controller.abort(),
  }
}

/** Runs `qms <argv>` in this process. */
export async function qms(...argv: string[]): Promise<Run> {
  const io = captureIO()
  const code = await main(argv, io)
  return { code, stdout: io.out.join(''), stderr: io.err.join('') }
}

/** A `qms serve` running in this process until `stop`. */
export interface InProcessServer {
  address: string
  /** The pin it printed (hex with colons). */
  pin: string
  output(): string
  /** Stops it; resolves with its exit code. */
  stop(): Promise<number>
}

/** Starts `qms serve --listen 127.0.0.1:0 ...extra` in this process and waits for its address and pin. */
export async function serveInProcess(...extra: string[]): Promise<InProcessServer> {
  const io = captureIO()
  const exited = main(['serve', '--listen', '127.0.0.1:0', ...extra], io)
  const output = () => io.out.join('')
  for (;;) {
    const m = /listening on (\S+)[\s\S]*certificate sha256 (\S+)[\s\S]*ping with:/.exec(output())
    const stop = () => {
      io.stop()
      return exited
    }
    if (m) return { address: m[1]!, pin: m[2]!, output, stop }
    const early = await Promise.race([exited, new Promise((r) => setTimeout(r, 10))])
    if (typeof early === 'number') throw new Error(`qms serve exited with ${early}: ${io.err.join('')}`)
  }
}
