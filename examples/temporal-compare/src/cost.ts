import { invalidArgument } from './errors.js'

/**
 * The local cost of aligning value `x` with value `y`. It must be non-negative (costs are distances: DTW's early
 * abandoning and the similarity search rely on partial sums never decreasing) and pure (the cache reuses results).
 */
export type CostFunction = (x: number, y: number) => number

/** Names of the built-in costs, usable where a function cannot travel (the wire) or be hashed (cache keys). */
export type CostName = 'absolute' | 'squared'

/** `|x - y|`: DTW's default, making the diagonal path the L1 distance. */
export const absoluteCost: CostFunction = (x, y) => Math.abs(x - y)

/** `(x - y)²`: with it the diagonal path is the squared Euclidean distance. */
export const squaredCost: CostFunction = (x, y) => (x - y) * (x - y)

/** The built-in costs by name. */
export const costs: Readonly<Record<CostName, CostFunction>> = Object.freeze({
  absolute: absoluteCost,
  squared: squaredCost,
})

/**
 * A cost given by name or as a function, resolved to the function (default {@link absoluteCost}).
 * @throws QmsError `ERR_INVALID_ARGUMENT` for an unknown name.
 */
export function resolveCost(cost: CostFunction | CostName | undefined): CostFunction {
  if (cost === undefined) return absoluteCost
  if (typeof cost === 'function') return cost
  const named = Object.hasOwn(costs, cost) ? costs[cost] : undefined
  if (named === undefined) throw invalidArgument(`unknown cost "${String(cost)}"`, { cost })
  return named
}
