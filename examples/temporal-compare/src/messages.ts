import { defineMessage, type Infer } from '@quic-multistream/protocol'
import { z } from 'zod'

/** The algorithms a compare service runs on streamed sequences. */
export const StreamedAlgorithm = z.enum(['dtw', 'euclidean'])
/** One of {@link StreamedAlgorithm}'s values. */
export type StreamedAlgorithm = z.infer<typeof StreamedAlgorithm>

const count = z.number().int().nonnegative()

/**
 * First message of a `compare` stream, client to service: what to compute and how many values of each sequence
 * will follow (declared up front so the service can size its state once and refuse oversized work before it starts).
 */
export const CompareOpen = defineMessage(
  'compare.open',
  z.object({
    algorithm: StreamedAlgorithm,
    cost: z.enum(['absolute', 'squared']),
    /** Sakoe-Chiba radius for DTW; null for none. */
    window: count.nullable(),
    lengthA: count,
    lengthB: count,
  }),
)

/** The next values of either sequence (either part may be empty), client to service. The stream's end closes both. */
export const CompareChunk = defineMessage('compare.chunk', z.object({ a: z.array(z.number()), b: z.array(z.number()) }))

/**
 * Service to client after each chunk: the distance between everything received so far (DTW of the prefixes, or the
 * Euclidean distance of the paired prefix); null while it is infinite (no warping path within the band yet).
 */
export const CompareProgress = defineMessage(
  'compare.progress',
  z.object({ receivedA: count, receivedB: count, distance: z.number().nullable(), pathLength: count }),
)

/** Service to client, last: the distance over the complete sequences. */
export const CompareResult = defineMessage(
  'compare.result',
  z.object({
    algorithm: StreamedAlgorithm,
    distance: z.number(),
    pathLength: count,
    lengthA: count,
    lengthB: count,
    /** Chunks the service processed. */
    chunks: count,
    /** Service time from the opening message to the result. */
    elapsedMs: z.number().nonnegative(),
  }),
)

/** Service to client instead of a result: why the comparison was refused or abandoned (a `CompareErrorCode`). */
export const CompareFailed = defineMessage('compare.failed', z.object({ code: z.string(), message: z.string() }))

/** Body of {@link CompareOpen}. */
export type CompareOpenBody = Infer<typeof CompareOpen>
/** Body of {@link CompareProgress}. */
export type CompareProgressBody = Infer<typeof CompareProgress>
/** Body of {@link CompareResult}. */
export type CompareResultBody = Infer<typeof CompareResult>
