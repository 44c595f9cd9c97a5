import { defineRequest } from '@quic-multistream/agent'
import { defineMessage, type Infer } from '@quic-multistream/protocol'
import { z } from 'zod'

/** A price question: how much for `quantity` of `sku`. Both sides check it against this schema. */
export const QuoteRequest = defineMessage(
  'pricing.quote',
  z.object({
    sku: z.string().regex(/^[A-Z]{3}-\d{3}$/, 'a SKU looks like ABC-123'),
    quantity: z.number().int().positive().max(10_000),
  }),
)

/** The answer to a {@link QuoteRequest}. */
export const Quote = defineMessage(
  'pricing.price',
  z.object({
    sku: z.string(),
    quantity: z.number().int().positive(),
    unitCents: z.number().int().nonnegative(),
    /** After the volume discount. */
    totalCents: z.number().int().nonnegative(),
    discountPercent: z.number().min(0).max(100),
  }),
)

/** `request(pricing, GetQuote, { sku, quantity })` resolves with a {@link Quote} body. */
export const GetQuote = defineRequest(QuoteRequest, Quote)

/** A slow request: a report that takes `workMs` to build, to show deadlines and cancellation. */
export const ReportRequest = defineMessage(
  'pricing.report',
  z.object({ name: z.string().min(1), workMs: z.number().int().nonnegative().max(60_000) }),
)
/** The finished report. */
export const Report = defineMessage('pricing.report.done', z.object({ name: z.string(), lines: z.number().int() }))
/** `request(pricing, BuildReport, { name, workMs })`. */
export const BuildReport = defineRequest(ReportRequest, Report)

/** Body of {@link Quote}. */
export type QuoteBody = Infer<typeof Quote>
