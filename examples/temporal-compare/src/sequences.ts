import { QmsError } from '@quic-multistream/protocol'
import { CompareErrorCode, invalidArgument } from './errors.js'

/** A numeric time series: a plain array or a `Float64Array` (both are read, never modified). */
export type NumericSequence = readonly number[] | Float64Array

/** A sequence of comparable items for LCS and edit distance: an array, or a string (its UTF-16 code units). */
export type ItemSequence<T> = ArrayLike<T>

/** Decides whether two items are equal; default `Object.is`-like strict equality (`===`). */
export type ItemEquality<T> = (x: T, y: T) => boolean

/** Strict equality, the default {@link ItemEquality}. */
export const strictEquals = <T>(x: T, y: T): boolean => x === y

/**
 * Rejects NaN and infinities, for which no distance is meaningful (a NaN would silently poison every sum after it).
 * @throws QmsError `ERR_COMPARE_NOT_FINITE`
 */
export function assertFinite(sequence: NumericSequence, name: string): void {
  for (let i = 0; i < sequence.length; i++) {
    if (!Number.isFinite(sequence[i])) {
      throw new QmsError(CompareErrorCode.NOT_FINITE, `${name}[${i}] is ${sequence[i]}, not a finite number`, {
        details: { sequence: name, index: i },
      })
    }
  }
}

/**
 * Validates a Sakoe-Chiba window radius (undefined means unconstrained).
 * @throws QmsError `ERR_INVALID_ARGUMENT` for a negative or fractional radius.
 */
export function assertWindow(window: number | undefined): void {
  if (window === undefined) return
  if (!Number.isInteger(window) || window < 0) {
    throw invalidArgument(`window must be a non-negative integer, got ${window}`, { window })
  }
}

/**
 * The band radius actually used for sequences of lengths `n` and `m`: widened to `|n - m|` so that the last cell
 * stays reachable (a narrower band would leave no warping path at all).
 */
export function effectiveWindow(window: number | undefined, n: number, m: number): number {
  return window === undefined ? Number.POSITIVE_INFINITY : Math.max(window, Math.abs(n - m))
}
