import { isQmsError, QmsError } from '@quic-multistream/protocol'

/** Codes of the pricing service's own failures: stable, so callers can branch on them across the wire. */
export const PricingErrorCode = {
  /** No such product in the catalogue. */
  UNKNOWN_SKU: 'ERR_PRICING_UNKNOWN_SKU',
  /** More than the stock on hand was asked for. */
  OUT_OF_STOCK: 'ERR_PRICING_OUT_OF_STOCK',
} as const

/** One of {@link PricingErrorCode}'s values. */
export type PricingErrorCodeValue = (typeof PricingErrorCode)[keyof typeof PricingErrorCode]

const codes = new Set<string>(Object.values(PricingErrorCode))

/**
 * A failure of the pricing service. Thrown by its handler; the caller's agent receives it as `ERR_REMOTE` with the
 * code in `details.remoteCode`, and {@link asPricingError} turns that back into a `PricingError`.
 */
export class PricingError extends QmsError {
  override readonly code: PricingErrorCodeValue

  constructor(code: PricingErrorCodeValue, message: string, options: { cause?: unknown } = {}) {
    super(code, message, options)
    this.name = 'PricingError'
    this.code = code
  }
}

/**
 * The `PricingError` a request failed with, rebuilt on the caller's side from the `ERR_REMOTE` it got (which stays
 * its `cause`); undefined for any other failure (timeouts, schema errors, another handler's codes).
 */
export function asPricingError(err: unknown): PricingError | undefined {
  if (err instanceof PricingError) return err
  if (!isQmsError(err, 'ERR_REMOTE')) return undefined
  const remoteCode = err.details?.remoteCode
  if (typeof remoteCode !== 'string' || !codes.has(remoteCode)) return undefined
  const message = typeof err.details?.remoteMessage === 'string' ? err.details.remoteMessage : err.message
  return new PricingError(remoteCode as PricingErrorCodeValue, message, { cause: err })
}
