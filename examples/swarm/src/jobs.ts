import { dtw, noisySine } from '@quic-multistream/example-temporal-compare'
import type { AssignBody, JobResultBody } from './messages.js'

/** The size of every job of a run. */
export interface JobShape {
  /** Values of each of the two series. */
  length: number
  /** Values of each series per streamed chunk. */
  chunkSize: number
  /** DTW's Sakoe-Chiba radius. */
  window: number
}

/** Default job: two 12,000-value series in 12 chunks, a DTW band of 150 (about 3.6 million cells). */
export const DEFAULT_JOB_SHAPE: JobShape = { length: 12_000, chunkSize: 1_000, window: 150 }

/** One job: the two series to compare, derived from its id alone, so anyone can recompute them. */
export interface Job {
  readonly id: number
  readonly a: Float64Array
  readonly b: Float64Array
  readonly shape: JobShape
}

/**
 * The series of job `id`: two noisy sines with slightly different periods and phases (seeded by the id), so every
 * job has real warping to do and a distinct answer.
 */
export function makeJob(id: number, shape: JobShape): Job {
  const period = 200 + (id % 7) * 15
  return {
    id,
    shape,
    a: noisySine(shape.length, { period, seed: 2 * id + 1 }),
    b: noisySine(shape.length, { period: period * 1.04, shift: 10 + (id % 5) * 7, seed: 2 * id + 2 }),
  }
}

/** Chunks a job's series are streamed in. */
export function chunkCount(shape: JobShape): number {
  return Math.ceil(shape.length / shape.chunkSize)
}

/** The assignment sent for `job`. */
export function assignmentFor(job: Job): AssignBody {
  return {
    jobId: job.id,
    compare: {
      algorithm: 'dtw',
      cost: 'absolute',
      window: job.shape.window,
      lengthA: job.a.length,
      lengthB: job.b.length,
    },
    chunks: chunkCount(job.shape),
  }
}

/** The `index`-th chunk of both series, as the plain arrays a `compare.chunk` carries. */
export function chunkOf(job: Job, index: number): { a: number[]; b: number[] } {
  const start = index * job.shape.chunkSize
  const end = start + job.shape.chunkSize
  return { a: Array.from(job.a.subarray(start, end)), b: Array.from(job.b.subarray(start, end)) }
}

/** True when a worker's result equals the one-shot `dtw` computed here (bit for bit: the streamed DTW is exact). */
export function verifyResult(job: Job, result: JobResultBody): boolean {
  const local = dtw(job.a, job.b, { window: job.shape.window })
  return local.distance === result.distance && local.pathLength === result.pathLength
}
