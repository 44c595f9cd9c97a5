import { Agent } from '@quic-multistream/agent'
import { RegistryServer, RemoteRegistry } from '@quic-multistream/mesh'
import { isQmsError } from '@quic-multistream/protocol'
import { generateDevCertificate } from '@quic-multistream/transport'
import { asPricingError } from './errors.js'
import { BuildReport, GetQuote, type QuoteBody } from './messages.js'
import { type PricingServiceLog, type Product, startPricingService } from './service.js'

/** The demo's catalogue. */
export const CATALOGUE: Readonly<Record<string, Product>> = {
  'QMS-001': { unitCents: 1_250, stock: 500 },
  'QMS-002': { unitCents: 99, stock: 10_000 },
  'QMS-003': { unitCents: 45_000, stock: 3 },
}

/** How a failed call ended, as the caller saw it. */
export interface Failure {
  /** The caller's error code (`ERR_REMOTE`, `ERR_TIMEOUT`...). */
  code: string
  /** For `ERR_REMOTE`: the code the remote handler threw. */
  remoteCode: string | undefined
  /** True when {@link asPricingError} recognised it as a `PricingError`. */
  typed: boolean
}

/** What the demo observed. */
export interface RequestReplyResult {
  /** The three quotes asked one after the other. */
  quotes: QuoteBody[]
  /** Quotes asked at once, all answered. */
  parallel: { count: number; answered: number; elapsedMs: number }
  /** A body that fails the schema, refused before it was sent. */
  invalid: Failure
  unknownSku: Failure
  outOfStock: Failure
  /** A report slower than its deadline; and when the service saw the cancellation. */
  timeout: Failure & { serverCancelledAfterMs: number }
  /** A report aborted by the caller's AbortSignal; and when the service saw the cancellation. */
  aborted: Failure & { serverCancelledAfterMs: number }
  /** The service's own account. */
  service: PricingServiceLog
}

function failureOf(err: unknown): Failure {
  if (!isQmsError(err)) throw err
  const remoteCode = typeof err.details?.remoteCode === 'string' ? err.details.remoteCode : undefined
  return { code: err.code, remoteCode, typed: asPricingError(err) !== undefined }
}

async function expectFailure(call: Promise<unknown>): Promise<Failure> {
  try {
    await call
  } catch (err) {
    return failureOf(err)
  }
  throw new Error('the call was expected to fail and did not')
}

function money(cents: number): string {
  return `$${(cents / 100).toFixed(2)}`
}

function describe(f: Failure): string {
  return f.remoteCode ? `${f.code} (remote ${f.remoteCode}${f.typed ? ', a PricingError again' : ''})` : f.code
}

/**
 * Two agents over QUIC on 127.0.0.1: `pricing` (hosting the embedded registry) serves typed requests, `shop` asks.
 * Prints each step through `print` and returns what it observed.
 */
export async function runRequestReplyDemo(print: (line: string) => void = () => {}): Promise<RequestReplyResult> {
  const cert = await generateDevCertificate()
  const tls = { cert: cert.cert, key: cert.key, pinSha256: [cert.sha256] }
  const token = 'request-reply-demo'
  const pricingAgent = await Agent.start({ id: 'pricing', registry: new RegistryServer(), tls, token })
  const shop = await Agent.start({
    id: 'shop',
    registry: new RemoteRegistry({ address: pricingAgent.address, id: 'pricing' }),
    tls,
    token,
  })
  try {
    const service = startPricingService(pricingAgent, CATALOGUE)
    print(`pricing on udp://${pricingAgent.address} (embedded registry), shop on udp://${shop.address}`)

    print('\n1. typed requests: the reply type is known at compile time and checked on arrival')
    const quotes: QuoteBody[] = []
    for (const [sku, quantity] of [
      ['QMS-001', 4],
      ['QMS-002', 150],
      ['QMS-003', 1],
    ] as const) {
      const started = performance.now()
      const quote = await shop.request('pricing', GetQuote, { sku, quantity }, { timeout: 2_000 })
      quotes.push(quote)
      print(
        `   ${quantity} × ${sku}: ${money(quote.totalCents)} (${money(quote.unitCents)} each, ` +
          `${quote.discountPercent}% off) in ${(performance.now() - started).toFixed(2)} ms`,
      )
    }

    const count = 100
    const started = performance.now()
    const answers = await Promise.all(
      Array.from({ length: count }, (_, i) => shop.request('pricing', GetQuote, { sku: 'QMS-002', quantity: i + 1 })),
    )
    const parallel = { count, answered: answers.length, elapsedMs: performance.now() - started }
    print(`   ${count} quotes at once on one connection: all answered in ${parallel.elapsedMs.toFixed(1)} ms`)

    print('\n2. errors, each with a stable code')
    // The body is checked against the zod schema before anything is sent; the cast stands for untyped input.
    const invalid = await expectFailure(
      shop.request('pricing', GetQuote, { sku: 'not a sku', quantity: -1 } as { sku: string; quantity: number }),
    )
    print(`   malformed request (sku "not a sku", quantity -1): ${describe(invalid)}, refused before sending`)
    const unknownSku = await expectFailure(shop.request('pricing', GetQuote, { sku: 'QMS-999', quantity: 1 }))
    print(`   unknown product QMS-999: ${describe(unknownSku)}`)
    const outOfStock = await expectFailure(shop.request('pricing', GetQuote, { sku: 'QMS-003', quantity: 5 }))
    print(`   5 × QMS-003 with 3 in stock: ${describe(outOfStock)}`)

    print('\n3. deadlines and cancellation reach the remote handler (ctx.signal)')
    let cancelledOnServer = service.nextCancellation()
    const timedOut = await expectFailure(
      shop.request('pricing', BuildReport, { name: 'yearly', workMs: 5_000 }, { timeout: 300 }),
    )
    const timeoutSeen = await cancelledOnServer
    print(
      `   report needing 5 s with a 300 ms timeout: ${describe(timedOut)}; ` +
        `the service stopped building it after ${timeoutSeen.afterMs.toFixed(0)} ms`,
    )
    cancelledOnServer = service.nextCancellation()
    const controller = new AbortController()
    setTimeout(() => controller.abort(new Error('the user closed the page')), 200)
    const abortedCall = await expectFailure(
      shop.request('pricing', BuildReport, { name: 'monthly', workMs: 5_000 }, { signal: controller.signal }),
    )
    const abortSeen = await cancelledOnServer
    print(
      `   report aborted by the caller after 200 ms: ${describe(abortedCall)}; ` +
        `the service stopped after ${abortSeen.afterMs.toFixed(0)} ms`,
    )
    const report = await shop.request('pricing', BuildReport, { name: 'daily', workMs: 100 }, { timeout: 2_000 })
    print(`   a report within its deadline: ${report.lines} lines`)

    const log = service.log()
    print(
      `\nservice: ${log.quotes} quotes, ${log.refused} refused, ${log.reports} report(s) built, ` +
        `${log.cancelled.length} cancelled`,
    )
    return {
      quotes,
      parallel,
      invalid,
      unknownSku,
      outOfStock,
      timeout: { ...timedOut, serverCancelledAfterMs: timeoutSeen.afterMs },
      aborted: { ...abortedCall, serverCancelledAfterMs: abortSeen.afterMs },
      service: log,
    }
  } finally {
    await shop.stop()
    await pricingAgent.stop()
  }
}
