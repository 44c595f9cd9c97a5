import { QmsError } from '@quic-multistream/protocol'
import { CompareErrorCode } from './errors.js'
import { assertFinite, type NumericSequence } from './sequences.js'

/**
 * Squared Euclidean distance, summed in index order (`Σ (a[i] - b[i])²`); the same sum, in the same order, as DTW's
 * diagonal path with the squared cost.
 * @throws QmsError `ERR_COMPARE_LENGTH_MISMATCH` when the lengths differ, `ERR_COMPARE_NOT_FINITE`.
 */
export function squaredEuclidean(a: NumericSequence, b: NumericSequence): number {
  if (a.length !== b.length) {
    throw new QmsError(
      CompareErrorCode.LENGTH_MISMATCH,
      `Euclidean distance needs equal lengths, got ${a.length} and ${b.length}`,
      { details: { lengthA: a.length, lengthB: b.length } },
    )
  }
  assertFinite(a, 'a')
  assertFinite(b, 'b')
  let sum = 0
  for (let i = 0; i < a.length; i++) {
    const d = a[i]! - b[i]!
    sum += d * d
  }
  return sum
}

/**
 * Euclidean (L2) distance between two equal-length numeric sequences: `√Σ (a[i] - b[i])²`.
 * @throws QmsError `ERR_COMPARE_LENGTH_MISMATCH` when the lengths differ, `ERR_COMPARE_NOT_FINITE`.
 */
export function euclidean(a: NumericSequence, b: NumericSequence): number {
  return Math.sqrt(squaredEuclidean(a, b))
}
