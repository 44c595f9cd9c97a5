import type { Agent, AgentStream } from '@quic-multistream/agent'
import { QmsError } from '@quic-multistream/protocol'
import type { CostName } from './cost.js'
import { CompareErrorCode, invalidArgument } from './errors.js'
import {
  CompareChunk,
  CompareFailed,
  CompareOpen,
  CompareProgress,
  type CompareProgressBody,
  CompareResult,
  type CompareResultBody,
  type StreamedAlgorithm,
} from './messages.js'
import { assertFinite, assertWindow, type NumericSequence } from './sequences.js'
import { COMPARE_STREAM } from './service.js'

/** Options of {@link compareStreamed}. */
export interface CompareStreamedOptions {
  /** Default `'dtw'`. */
  algorithm?: StreamedAlgorithm
  /** Values of each sequence per chunk. Default 1,000. */
  chunkSize?: number
  /** DTW's Sakoe-Chiba radius (see `dtw`). Default: unconstrained. */
  window?: number
  /** DTW's local cost. Default `'absolute'`. */
  cost?: CostName
  /** Called with the service's distance over everything sent so far, after each chunk. */
  onProgress?: (progress: CompareProgressBody) => void
  /** Stream name the service answers on. Default `'compare'`. */
  streamName?: string
}

/** The service's final answer, with how many progress updates came before it. */
export interface StreamedComparison extends CompareResultBody {
  /** Progress messages received (one per chunk). */
  readonly updates: number
}

function chunkOf(sequence: NumericSequence, start: number, size: number): number[] {
  const end = Math.min(sequence.length, start + size)
  if (start >= end) return []
  return sequence instanceof Float64Array ? Array.from(sequence.subarray(start, end)) : sequence.slice(start, end)
}

/**
 * Compares `a` and `b` on the compare service of agent `peer`: opens a stream, declares the comparison, sends both
 * sequences in chunks of `chunkSize` values (the i-th chunk carries the i-th slice of each), and resolves with the
 * final result. Progress arrives while chunks are still being sent, so writing and reading run side by side:
 * the stream's flow control paces the sender to the service's speed.
 *
 * @throws QmsError the service's verdict (`ERR_COMPARE_*`, `ERR_SCHEMA`), `ERR_COMPARE_INCOMPLETE` when the stream
 *   ends without a result, the agent's errors (`ERR_NO_RESPONDERS` when the peer runs no service,
 *   `ERR_PEER_UNREACHABLE`...), and argument errors (`ERR_INVALID_ARGUMENT`, `ERR_COMPARE_NOT_FINITE`).
 */
export async function compareStreamed(
  agent: Agent,
  peer: string,
  a: NumericSequence,
  b: NumericSequence,
  options: CompareStreamedOptions = {},
): Promise<StreamedComparison> {
  const chunkSize = options.chunkSize ?? 1_000
  if (!Number.isInteger(chunkSize) || chunkSize < 1) {
    throw invalidArgument(`chunkSize must be a positive integer, got ${chunkSize}`)
  }
  assertWindow(options.window)
  assertFinite(a, 'a')
  assertFinite(b, 'b')
  const open = CompareOpen.parse({
    algorithm: options.algorithm ?? 'dtw',
    cost: options.cost ?? 'absolute',
    window: options.window ?? null,
    lengthA: a.length,
    lengthB: b.length,
  })

  const stream = await agent.openStream(peer, options.streamName ?? COMPARE_STREAM)
  // Whichever side fails first explains the failure; resetting the stream then unblocks the other side.
  let firstError: unknown
  const fail = (err: unknown): never => {
    firstError ??= err
    stream.reset()
    throw err
  }
  const writing = (async () => {
    await stream.send(CompareOpen, open)
    for (let start = 0; start < a.length || start < b.length; start += chunkSize) {
      await stream.send(CompareChunk, { a: chunkOf(a, start, chunkSize), b: chunkOf(b, start, chunkSize) })
    }
    await stream.end()
  })().catch(fail)
  const reading = readAnswer(stream, options.onProgress).catch(fail)
  const [wrote, read] = await Promise.allSettled([writing, reading])
  if (firstError !== undefined) throw firstError
  if (wrote.status === 'rejected') throw wrote.reason
  if (read.status === 'rejected') throw read.reason
  return read.value
}

async function readAnswer(
  stream: AgentStream,
  onProgress: ((progress: CompareProgressBody) => void) | undefined,
): Promise<StreamedComparison> {
  let updates = 0
  let result: CompareResultBody | undefined
  // Read to the end even after the result, so the stream finishes cleanly in both directions.
  for await (const message of stream) {
    switch (message.type) {
      case CompareProgress.type:
        updates++
        onProgress?.(CompareProgress.parse(message.body))
        break
      case CompareResult.type:
        result = CompareResult.parse(message.body)
        break
      case CompareFailed.type: {
        const failure = CompareFailed.parse(message.body)
        throw new QmsError(failure.code, `the compare service refused: ${failure.message}`, {
          details: { remote: true },
        })
      }
      default:
        throw new QmsError(CompareErrorCode.PROTOCOL, `unexpected "${message.type}" from the compare service`)
    }
  }
  if (result === undefined) {
    throw new QmsError(CompareErrorCode.INCOMPLETE, 'the compare service ended the stream without a result')
  }
  return { ...result, updates }
}
