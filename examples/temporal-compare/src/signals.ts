/** Options of {@link noisySine}. */
export interface NoisySineOptions {
  /** Values per cycle. Default 100. */
  period?: number
  /** Peak-to-peak amplitude of the uniform noise added to each value. Default 0.2. */
  noise?: number
  /** Phase shift, in values. Default 0. */
  shift?: number
  /** Seed of the noise: equal seeds give equal series. Default 1. */
  seed?: number
}

/** A deterministic pseudo-random generator in [0, 1) (mulberry32): demos and tests reproduce exactly. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** A sine wave of `length` values with seeded uniform noise: a stand-in for a sensor series in demos and tests. */
export function noisySine(length: number, options: NoisySineOptions = {}): Float64Array {
  const period = options.period ?? 100
  const noise = options.noise ?? 0.2
  const shift = options.shift ?? 0
  const next = seededRandom(options.seed ?? 1)
  return Float64Array.from(
    { length },
    (_, i) => Math.sin((2 * Math.PI * (i + shift)) / period) + (next() - 0.5) * noise,
  )
}
