import { QmsError } from '@quic-multistream/protocol'

/** Error codes raised by the comparison library and service (every failure is a `QmsError` with one of these). */
export const CompareErrorCode = {
  /** Two sequences that must have equal lengths (Euclidean distance) do not. */
  LENGTH_MISMATCH: 'ERR_COMPARE_LENGTH_MISMATCH',
  /** A numeric sequence holds NaN or an infinity, which no distance is defined for. */
  NOT_FINITE: 'ERR_COMPARE_NOT_FINITE',
  /** DTW between an empty and a non-empty sequence: no warping path exists. */
  EMPTY: 'ERR_COMPARE_EMPTY',
  /** An option outside its documented range (a negative window, a zero chunk size...). */
  INVALID_ARGUMENT: 'ERR_INVALID_ARGUMENT',
  /** An item the cache cannot encode canonically (objects: compare their keys instead). */
  UNCACHEABLE: 'ERR_COMPARE_UNCACHEABLE',
  /** A streamed comparison broke its own declaration (more or fewer values than announced, a chunk before open). */
  PROTOCOL: 'ERR_COMPARE_PROTOCOL',
  /** A streamed comparison larger than the service accepts. */
  TOO_LARGE: 'ERR_COMPARE_TOO_LARGE',
  /** The service ended the stream without a final result. */
  INCOMPLETE: 'ERR_COMPARE_INCOMPLETE',
} as const

/** One of {@link CompareErrorCode}'s values. */
export type CompareErrorCodeValue = (typeof CompareErrorCode)[keyof typeof CompareErrorCode]

/** Shorthand for the library's own argument errors. */
export function invalidArgument(message: string, details?: Record<string, unknown>): QmsError {
  return new QmsError(CompareErrorCode.INVALID_ARGUMENT, message, details === undefined ? {} : { details })
}
