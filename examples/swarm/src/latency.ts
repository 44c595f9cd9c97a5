import { quantile } from '@quic-multistream/example-echo'

/** Percentiles of a set of latencies, ms (0 when there are none). */
export interface LatencySummary {
  count: number
  p50Ms: number
  p99Ms: number
}

/** Collects latency samples; percentiles are computed on demand over all of them. */
export class LatencySamples {
  readonly #samples: number[] = []

  /** Adds one sample, ms. */
  add(ms: number): void {
    this.#samples.push(ms)
  }

  /** Count, median and 99th percentile so far. */
  summary(): LatencySummary {
    if (this.#samples.length === 0) return { count: 0, p50Ms: 0, p99Ms: 0 }
    const sorted = [...this.#samples].sort((a, b) => a - b)
    return { count: sorted.length, p50Ms: quantile(sorted, 0.5), p99Ms: quantile(sorted, 0.99) }
  }
}
