/** How results are printed: pins in both spellings, milliseconds, rates, quantiles. */

/** A SHA-256 pin (lowercase hex) as colon-separated byte pairs, the way browsers and openssl show fingerprints. */
export function hexWithColons(hex: string): string {
  return (hex.match(/../g) ?? []).join(':')
}

/** The same pin as standard base64 of the 32 digest bytes. */
export function pinBase64(hex: string): string {
  return Buffer.from(hex, 'hex').toString('base64')
}

/** Milliseconds with two decimals. */
export function ms(value: number): string {
  return `${value.toFixed(2)} ms`
}

/** Bytes per second as MB/s (10^6, as network rates are quoted). */
export function mbPerSecond(bytes: number, seconds: number): number {
  return seconds > 0 ? bytes / 1e6 / seconds : 0
}

/** The value at quantile `q` of ascending `sorted` (nearest rank); 0 when empty. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!
}

/** min, p50, p99 and max of some latencies in milliseconds. */
export interface LatencySummary {
  minMs: number
  p50Ms: number
  p99Ms: number
  maxMs: number
}

/** Summarizes latencies (any order). */
export function summarize(values: readonly number[]): LatencySummary {
  const sorted = [...values].sort((a, b) => a - b)
  return {
    minMs: sorted[0] ?? 0,
    p50Ms: quantile(sorted, 0.5),
    p99Ms: quantile(sorted, 0.99),
    maxMs: sorted.at(-1) ?? 0,
  }
}

/** Label/value lines with the values aligned. */
export function aligned(pairs: readonly (readonly [string, string])[]): string {
  const width = Math.max(0, ...pairs.map(([k]) => k.length))
  return pairs.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n')
}
