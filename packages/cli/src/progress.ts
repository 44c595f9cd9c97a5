import type { CliIO } from './io.js'

const WIDTH = 30

/**
 * A one-line progress bar redrawn in place on a terminal; silent elsewhere (pipes and logs get the final results
 * only, not a stream of carriage returns).
 */
export class ProgressBar {
  readonly #out: CliIO['stderr']
  readonly #enabled: boolean
  #drawn = false

  constructor(out: CliIO['stderr']) {
    this.#out = out
    this.#enabled = out.isTTY === true
  }

  /** Redraws with `fraction` (0-1) done and a status text. */
  update(label: string, fraction: number, status: string): void {
    if (!this.#enabled) return
    const done = Math.round(Math.min(1, Math.max(0, fraction)) * WIDTH)
    const bar = `${'#'.repeat(done)}${'.'.repeat(WIDTH - done)}`
    this.#out.write(
      `\r\x1b[2K${label.padEnd(9)} [${bar}] ${String(Math.round(fraction * 100)).padStart(3)}%  ${status}`,
    )
    this.#drawn = true
  }

  /** Clears the line so results print on a clean one. */
  clear(): void {
    if (this.#drawn) this.#out.write('\r\x1b[2K')
    this.#drawn = false
  }
}
