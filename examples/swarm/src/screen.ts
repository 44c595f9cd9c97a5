import { eventLine, renderFrame, renderStatus, type SwarmEvent, type SwarmSnapshot } from './view.js'

/** Where and how the swarm shows its progress. */
export type UiMode = 'live' | 'plain' | 'none'

/** The output a screen writes to: a TTY gets redrawn frames. */
export interface ScreenOutput {
  write(text: string): unknown
  readonly isTTY?: boolean
  readonly columns?: number
}

/** Frames per second of the live view, and seconds between status lines of the plain one. */
const LIVE_INTERVAL_MS = 220
const PLAIN_INTERVAL_MS = 2_000

/**
 * Shows the run: `live` redraws a frame in place about 4-5 times a second (ANSI cursor movement, for a terminal);
 * `plain` prints each event as it happens and a status line every two seconds (for logs and pipes); `none` prints
 * nothing.
 */
export class Screen {
  readonly #mode: UiMode
  readonly #out: ScreenOutput
  readonly #snapshot: () => SwarmSnapshot
  #timer: NodeJS.Timeout | undefined
  #drawn = 0

  constructor(mode: UiMode, out: ScreenOutput, snapshot: () => SwarmSnapshot) {
    this.#mode = mode
    this.#out = out
    this.#snapshot = snapshot
  }

  /** Starts the periodic drawing. */
  start(): void {
    if (this.#mode === 'none' || this.#timer) return
    if (this.#mode === 'live') this.#out.write('\x1b[?25l') // hide the cursor while redrawing
    this.#timer = setInterval(() => this.draw(), this.#mode === 'live' ? LIVE_INTERVAL_MS : PLAIN_INTERVAL_MS)
    this.#timer.unref()
    this.draw()
  }

  /** Shows one event (the live frame shows the latest ones itself). */
  event(e: SwarmEvent): void {
    if (this.#mode === 'plain') this.#out.write(`${eventLine(e)}\n`)
  }

  /** Draws now. */
  draw(): void {
    if (this.#mode === 'none') return
    const snapshot = this.#snapshot()
    if (this.#mode === 'plain') {
      this.#out.write(`${renderStatus(snapshot)}\n`)
      return
    }
    const width = Math.max(40, (this.#out.columns ?? 120) - 1)
    const lines = renderFrame(snapshot).map((l) => (l.length > width ? l.slice(0, width) : l))
    // Back to the top of the previous frame, rewrite every line, clear whatever the old frame had below.
    const up = this.#drawn > 0 ? `\x1b[${this.#drawn}A` : ''
    this.#out.write(`${up}${lines.map((l) => `\x1b[2K${l}\n`).join('')}\x1b[J`)
    this.#drawn = lines.length
  }

  /** Draws the last frame and stops (once: later calls do nothing). */
  stop(): void {
    if (this.#timer === undefined) return
    clearInterval(this.#timer)
    this.#timer = undefined
    this.draw()
    if (this.#mode === 'live') this.#out.write('\x1b[?25h')
  }
}
