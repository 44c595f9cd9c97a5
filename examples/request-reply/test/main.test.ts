import { QmsError } from '@quic-multistream/protocol'
import { describe, expect, it } from 'vitest'
import { asPricingError, PricingError, PricingErrorCode, runRequestReplyDemo } from '../src/index.js'

describe('request-reply demo', () => {
  it('answers typed quotes, reports typed remote errors, and cancels the remote handler on timeout and abort', async () => {
    const lines: string[] = []
    const result = await runRequestReplyDemo((line) => lines.push(line))

    expect(result.quotes).toEqual([
      { sku: 'QMS-001', quantity: 4, unitCents: 1_250, totalCents: 5_000, discountPercent: 0 },
      { sku: 'QMS-002', quantity: 150, unitCents: 99, totalCents: 13_365, discountPercent: 10 },
      { sku: 'QMS-003', quantity: 1, unitCents: 45_000, totalCents: 45_000, discountPercent: 0 },
    ])
    expect(result.parallel).toMatchObject({ count: 100, answered: 100 })

    expect(result.invalid).toEqual({ code: 'ERR_SCHEMA', remoteCode: undefined, typed: false })
    expect(result.unknownSku).toEqual({ code: 'ERR_REMOTE', remoteCode: PricingErrorCode.UNKNOWN_SKU, typed: true })
    expect(result.outOfStock).toEqual({ code: 'ERR_REMOTE', remoteCode: PricingErrorCode.OUT_OF_STOCK, typed: true })

    expect(result.timeout.code).toBe('ERR_TIMEOUT')
    expect(result.aborted.code).toBe('ERR_ABORTED')
    // The handler was stopped by the cancellation, long before its 5 s of work.
    expect(result.timeout.serverCancelledAfterMs).toBeLessThan(5_000)
    expect(result.aborted.serverCancelledAfterMs).toBeLessThan(5_000)

    // The malformed request never reached the service; the refused ones did.
    expect(result.service).toMatchObject({ quotes: 103, refused: 2, reports: 1 })
    expect(result.service.cancelled.map((c) => c.name)).toEqual(['yearly', 'monthly'])
    expect(lines.some((l) => l.includes('ERR_PRICING_UNKNOWN_SKU'))).toBe(true)
  })
})

describe('asPricingError', () => {
  it('rebuilds a PricingError from the ERR_REMOTE carrying its code, keeping the original as cause', () => {
    const remote = new QmsError('ERR_REMOTE', 'handler failed', {
      details: { remoteCode: PricingErrorCode.OUT_OF_STOCK, remoteMessage: '5 asked, 3 in stock' },
    })
    const typed = asPricingError(remote)
    expect(typed).toBeInstanceOf(PricingError)
    expect(typed?.code).toBe(PricingErrorCode.OUT_OF_STOCK)
    expect(typed?.message).toBe('5 asked, 3 in stock')
    expect(typed?.cause).toBe(remote)
  })

  it('leaves other failures alone', () => {
    expect(asPricingError(new QmsError('ERR_TIMEOUT', 'late'))).toBeUndefined()
    expect(asPricingError(new QmsError('ERR_REMOTE', 'x', { details: { remoteCode: 'ERR_OTHER' } }))).toBeUndefined()
    expect(asPricingError(new Error('plain'))).toBeUndefined()
  })
})
