import type { Agent, AgentStream, StreamContext } from '@quic-multistream/agent'
import { createLogger, isQmsError, QmsError } from '@quic-multistream/protocol'
import { ComparisonSession, progressBody, type SessionLimits } from './comparison-session.js'
import { CompareErrorCode } from './errors.js'
import { CompareChunk, CompareFailed, CompareOpen, CompareProgress, CompareResult } from './messages.js'

const log = createLogger('qms:temporal-compare')

/** The stream name a compare service answers on unless told otherwise. */
export const COMPARE_STREAM = 'compare'

/** Options of {@link startCompareService}. */
export interface CompareServiceOptions {
  /** Stream name to answer. Default {@link COMPARE_STREAM}. */
  name?: string
  /** Longest sequence accepted. Default 1,000,000. */
  maxLength?: number
  /**
   * Most DP cells one comparison may cost (about 3 ns each): a full DTW of two sequences of n values costs n², a
   * windowed one about n·(2·window + 1). Default 10^9.
   */
  maxCells?: number
}

/** Counters of a running service. */
export interface CompareServiceStats {
  /** Comparisons answered with a result. */
  readonly completed: number
  /** Comparisons answered with `compare.failed` (or cut off). */
  readonly failed: number
  /** Comparisons in progress. */
  readonly active: number
}

/** A compare service registered on an agent. */
export interface CompareService {
  /** The stream name it answers. */
  readonly name: string
  /** Counters since it started. */
  stats(): CompareServiceStats
  /** Stops accepting new comparisons (those in progress finish); the agent itself keeps running. */
  close(): void
}

/**
 * Makes `agent` a comparison service: each stream opened on `name` carries a `compare.open` then `compare.chunk`s;
 * the service answers every chunk with a `compare.progress` (the distance over everything received so far) and the
 * end of the stream with a `compare.result`, or anything wrong with a `compare.failed` (`code` from
 * `CompareErrorCode`, or `ERR_SCHEMA` for a malformed message). Each stream is independent; its state is O(n + m).
 */
export function startCompareService(agent: Agent, options: CompareServiceOptions = {}): CompareService {
  const name = options.name ?? COMPARE_STREAM
  const limits: SessionLimits = { maxLength: options.maxLength ?? 1_000_000, maxCells: options.maxCells ?? 1e9 }
  let completed = 0
  let failed = 0
  let active = 0
  const unregister = agent.onStream(name, async (stream, ctx) => {
    active++
    try {
      if (await serve(stream, ctx, limits)) completed++
      else failed++
    } finally {
      active--
    }
  })
  return {
    name,
    stats: () => ({ completed, failed, active }),
    close: unregister,
  }
}

/** Runs one comparison; true when it ended with a result. */
async function serve(stream: AgentStream, ctx: StreamContext, limits: SessionLimits): Promise<boolean> {
  let started = 0
  let session: ComparisonSession | undefined
  try {
    for await (const message of stream) {
      if (session === undefined) {
        if (message.type !== CompareOpen.type) {
          throw protocolViolation(`expected "${CompareOpen.type}" first, got "${message.type}"`)
        }
        started = performance.now()
        session = new ComparisonSession(CompareOpen.parse(message.body), limits)
        log('comparison opened', ctx.from, session.open)
        continue
      }
      if (message.type !== CompareChunk.type) {
        throw protocolViolation(`expected "${CompareChunk.type}", got "${message.type}"`)
      }
      const chunk = CompareChunk.parse(message.body)
      await stream.send(CompareProgress, progressBody(session.push(chunk.a, chunk.b)))
    }
    if (session === undefined) throw protocolViolation('the stream ended before any opening message')
    const final = session.finish()
    const { algorithm, lengthA, lengthB } = session.open
    await stream.send(CompareResult, {
      algorithm,
      distance: final.distance,
      pathLength: final.pathLength,
      lengthA,
      lengthB,
      chunks: session.chunks,
      elapsedMs: performance.now() - started,
    })
    await stream.end()
    return true
  } catch (err) {
    log('comparison failed', ctx.from, err)
    const code = isQmsError(err) ? err.code : CompareErrorCode.PROTOCOL
    const message = err instanceof Error ? err.message : String(err)
    try {
      await stream.send(CompareFailed, { code, message })
      await stream.end()
    } catch {
      // The stream itself broke (the client went away): nobody is left to tell.
      stream.reset()
    }
    return false
  }
}

function protocolViolation(message: string): QmsError {
  return new QmsError(CompareErrorCode.PROTOCOL, message)
}
