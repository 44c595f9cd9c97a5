/**
 * `@quic-multistream/example-request-reply`: a typed request/reply service between two agents: zod-checked
 * requests and replies paired with `defineRequest`, timeouts and AbortSignal cancellation that reach the remote
 * handler, and a service error class whose code survives the trip back to the caller.
 * @packageDocumentation
 */
export { CATALOGUE, type Failure, type RequestReplyResult, runRequestReplyDemo } from './demo.js'
export { asPricingError, PricingError, PricingErrorCode, type PricingErrorCodeValue } from './errors.js'
export { BuildReport, GetQuote, Quote, type QuoteBody, QuoteRequest, Report, ReportRequest } from './messages.js'
export { type PricingService, type PricingServiceLog, type Product, startPricingService } from './service.js'
