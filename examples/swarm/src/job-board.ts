import type { JobResultBody } from './messages.js'

/** The record of one job at the end of a run. */
export interface JobOutcome {
  readonly jobId: number
  /** Workers credited with its result: exactly one for a job done once, none for a lost one. */
  readonly creditedTo: readonly string[]
  /** Workers it was handed to, in order (more than one when it was reassigned). */
  readonly triedOn: readonly string[]
  /** The credited result. */
  readonly result: JobResultBody | undefined
}

interface Entry {
  tried: string[]
  credited: string[]
  result: JobResultBody | undefined
  runningOn: string | undefined
  lost: boolean
}

/**
 * Which jobs are queued, running where, done or lost. Work taken from the queue comes back to its front when the
 * attempt fails, so a dead worker's jobs are the next ones handed out; a job is lost after `maxAttempts`, or when
 * no worker is left to run it. Results are credited once per job: a later result for a job already done (a
 * worker presumed dead that was only slow) is counted in {@link duplicates} and dropped.
 */
export class JobBoard {
  readonly total: number
  readonly #entries: Entry[]
  readonly #queue: number[]
  readonly #maxAttempts: number
  #done = 0
  #lost = 0
  #reassigned = 0
  #duplicates = 0
  #wake: (() => void) | undefined
  #changed: Promise<void>

  constructor(total: number, maxAttempts = 5) {
    this.total = total
    this.#maxAttempts = maxAttempts
    this.#entries = Array.from({ length: total }, () => ({
      tried: [],
      credited: [],
      result: undefined,
      runningOn: undefined,
      lost: false,
    }))
    this.#queue = Array.from({ length: total }, (_, i) => i)
    this.#changed = this.#nextChange()
  }

  #nextChange(): Promise<void> {
    return new Promise((resolve) => {
      this.#wake = resolve
    })
  }

  #notify(): void {
    const wake = this.#wake
    this.#changed = this.#nextChange()
    wake?.()
  }

  /** Resolves at the next change of the queue or of the totals. */
  changed(): Promise<void> {
    return this.#changed
  }

  /** True once every job is done or lost. */
  get finished(): boolean {
    return this.#done + this.#lost === this.total
  }

  get done(): number {
    return this.#done
  }
  get lost(): number {
    return this.#lost
  }
  get queued(): number {
    return this.#queue.length
  }
  get inFlight(): number {
    return this.total - this.#done - this.#lost - this.#queue.length
  }
  /** Attempts that started on another worker than the job's previous one. */
  get reassigned(): number {
    return this.#reassigned
  }
  /** Results received for jobs already done (dropped). */
  get duplicates(): number {
    return this.#duplicates
  }

  /**
   * Takes the next queued job for `worker`; undefined when the queue is empty. `previous` is the worker the job
   * ran on before, for a job that comes back.
   */
  take(worker: string): { jobId: number; previous: string | undefined } | undefined {
    const jobId = this.#queue.shift()
    if (jobId === undefined) return undefined
    const entry = this.#entries[jobId]!
    const previous = entry.tried.at(-1)
    if (previous !== undefined && previous !== worker) this.#reassigned++
    entry.tried.push(worker)
    entry.runningOn = worker
    return { jobId, previous }
  }

  /** Jobs running on `worker` now. */
  runningOn(worker: string): number[] {
    const jobs: number[] = []
    this.#entries.forEach((e, jobId) => {
      if (e.runningOn === worker) jobs.push(jobId)
    })
    return jobs
  }

  /** Credits `result` to `worker`; false (and counted as a duplicate) when the job was done already. */
  complete(jobId: number, worker: string, result: JobResultBody): boolean {
    const entry = this.#entries[jobId]!
    if (entry.runningOn === worker) entry.runningOn = undefined
    if (entry.credited.length > 0 || entry.lost) {
      this.#duplicates++
      return false
    }
    entry.credited.push(worker)
    entry.result = result
    this.#done++
    this.#notify()
    return true
  }

  /** The attempt on `worker` failed: back to the front of the queue, or lost after too many attempts. */
  requeue(jobId: number, worker: string): 'queued' | 'lost' {
    const entry = this.#entries[jobId]!
    if (entry.runningOn === worker) entry.runningOn = undefined
    if (entry.tried.length >= this.#maxAttempts) {
      entry.lost = true
      this.#lost++
    } else {
      this.#queue.unshift(jobId)
    }
    this.#notify()
    return entry.lost ? 'lost' : 'queued'
  }

  /** No worker is left: every queued job is lost. */
  abandonQueued(): void {
    for (const jobId of this.#queue.splice(0)) {
      this.#entries[jobId]!.lost = true
      this.#lost++
    }
    this.#notify()
  }

  /** Every job's record, by id. */
  outcomes(): JobOutcome[] {
    return this.#entries.map((e, jobId) => ({
      jobId,
      creditedTo: [...e.credited],
      triedOn: [...e.tried],
      result: e.result,
    }))
  }
}
