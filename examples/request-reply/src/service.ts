import type { Agent } from '@quic-multistream/agent'
import { sleep } from '@quic-multistream/mesh'
import { isQmsError } from '@quic-multistream/protocol'
import { PricingError, PricingErrorCode } from './errors.js'
import { BuildReport, GetQuote, Quote, Report } from './messages.js'

/** A product: price in cents and units in stock. */
export interface Product {
  unitCents: number
  stock: number
}

/** What the service did, for the demo to print and the tests to check. */
export interface PricingServiceLog {
  /** Quotes answered. */
  readonly quotes: number
  /** Requests its handlers refused with a `PricingError`. */
  readonly refused: number
  /** Report requests whose caller gave up (timeout or abort) while the report was being built, and when. */
  readonly cancelled: ReadonlyArray<{ name: string; afterMs: number; reason: string }>
  /** Reports finished. */
  readonly reports: number
}

/** A running pricing service. */
export interface PricingService {
  log(): PricingServiceLog
  /** Resolves with the next cancellation the service observes. */
  nextCancellation(): Promise<{ name: string; afterMs: number; reason: string }>
}

/** 5% off from 10 units, 10% from 100: something for the reply to compute. */
function discountFor(quantity: number): number {
  if (quantity >= 100) return 10
  if (quantity >= 10) return 5
  return 0
}

/**
 * Serves `pricing.quote` (typed reply, `PricingError`s for unknown products and short stock) and `pricing.report`
 * (slow; stops as soon as the caller's deadline passes or it aborts, since `ctx.signal` fires then).
 */
export function startPricingService(agent: Agent, catalogue: Readonly<Record<string, Product>>): PricingService {
  let quotes = 0
  let refused = 0
  let reports = 0
  const cancelled: Array<{ name: string; afterMs: number; reason: string }> = []
  const waiting: Array<(c: { name: string; afterMs: number; reason: string }) => void> = []

  agent.handle(GetQuote, ({ sku, quantity }) => {
    const product = catalogue[sku]
    if (!product) {
      refused++
      throw new PricingError(PricingErrorCode.UNKNOWN_SKU, `no product "${sku}"`)
    }
    if (quantity > product.stock) {
      refused++
      throw new PricingError(PricingErrorCode.OUT_OF_STOCK, `${quantity} × ${sku} asked, ${product.stock} in stock`)
    }
    quotes++
    const discountPercent = discountFor(quantity)
    const totalCents = Math.round((product.unitCents * quantity * (100 - discountPercent)) / 100)
    return Quote.of({ sku, quantity, unitCents: product.unitCents, totalCents, discountPercent })
  })

  agent.handle(BuildReport, async ({ name, workMs }, ctx) => {
    const started = performance.now()
    try {
      // Work in slices, checking the signal: a cancelled caller frees the service at once.
      for (let done = 0; done < workMs; done += 50) await sleep(Math.min(50, workMs - done), ctx.signal)
    } catch (err) {
      if (!isQmsError(err, 'ERR_ABORTED')) throw err
      const reason = ctx.signal.reason instanceof Error ? ctx.signal.reason.message : String(ctx.signal.reason)
      const entry = { name, afterMs: performance.now() - started, reason }
      cancelled.push(entry)
      for (const wake of waiting.splice(0)) wake(entry)
      throw err
    }
    reports++
    return Report.of({ name, lines: Math.max(1, Math.round(workMs / 10)) })
  })

  return {
    log: () => ({ quotes, refused, reports, cancelled: [...cancelled] }),
    nextCancellation: () => new Promise((resolve) => waiting.push(resolve)),
  }
}
