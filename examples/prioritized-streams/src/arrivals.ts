import type { QuicConnection, QuicStream } from '@quic-multistream/transport'

interface StreamProgress {
  bytes: number
  /** Clock reading when the stream's FIN arrived. */
  doneAt?: number
}

/**
 * The receiving side of the example: drains every stream the peer opens and records, by stream id, how many bytes
 * have arrived and when each stream ended. The sender is in the same process, so it can wait on what arrived here.
 */
export class Arrivals {
  readonly #streams = new Map<number, StreamProgress>()
  readonly #listeners = new Set<() => void>()

  /** @param clock milliseconds since the start of the timeline */
  constructor(private readonly clock: () => number) {}

  /** Drains every stream `conn` receives, until it closes. */
  serve(conn: QuicConnection): void {
    void (async () => {
      for await (const stream of conn.incomingStreams) void this.#drain(stream)
    })()
  }

  /** Bytes that have arrived on stream `id`. */
  bytes(id: number): number {
    return this.#streams.get(id)?.bytes ?? 0
  }

  /** When stream `id` ended (its FIN arrived), or undefined while it is still arriving. */
  doneAt(id: number): number | undefined {
    return this.#streams.get(id)?.doneAt
  }

  /** Resolves with the first value `probe` returns other than undefined, checked again whenever bytes arrive. */
  until<T>(probe: () => T | undefined): Promise<T> {
    const now = probe()
    if (now !== undefined) return Promise.resolve(now)
    return new Promise((resolve) => {
      const check = () => {
        const value = probe()
        if (value === undefined) return
        this.#listeners.delete(check)
        resolve(value)
      }
      this.#listeners.add(check)
    })
  }

  async #drain(stream: QuicStream): Promise<void> {
    const progress: StreamProgress = { bytes: 0 }
    this.#streams.set(stream.id, progress)
    try {
      for await (const chunk of stream) {
        progress.bytes += chunk.length
        this.#notify()
      }
    } catch {
      return // reset, or the connection closed: the stream never completes, and the timeline will say so
    }
    progress.doneAt = this.clock()
    this.#notify()
  }

  #notify(): void {
    for (const listener of this.#listeners) listener()
  }
}
