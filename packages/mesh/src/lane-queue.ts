import { QmsError } from '@quic-multistream/protocol'
import { abortError } from './backoff.js'

/** How a caller wants to wait when a lane is full. */
export interface EnqueueOptions {
  /** Stop waiting for room (rejects `ERR_ABORTED`); a frame already queued is still sent. */
  signal?: AbortSignal
  /** Reject at once with `ERR_QUEUE_FULL` instead of waiting for room. */
  failFast?: boolean
}

interface Batch {
  promise: Promise<void>
  resolve(): void
  reject(err: unknown): void
}

function newBatch(): Batch {
  let resolve!: () => void
  let reject!: (err: unknown) => void
  const promise = new Promise<void>((res, rej) => {
    resolve = res
    reject = rej
  })
  // Marked as handled only when it fails (see `observed`): a handler attached up front would cost a promise and a
  // reaction on every batch, and batches nearly always succeed.
  return {
    promise,
    resolve,
    reject(err: unknown) {
      promise.catch(ignore)
      reject(err)
    },
  }
}

function ignore(): void {}

/**
 * `promise`, marked as handled: callers that send and forget (an answer whose loss the other side deals with) must
 * not cause unhandled rejections. Callers that do look still see the rejection.
 */
function observed(promise: Promise<void>): Promise<void> {
  promise.catch(ignore)
  return promise
}

function rejected(error: unknown): Promise<void> {
  return observed(Promise.reject(error))
}

/** One write's worth of gathered frames, and the pooled buffer it lives in (if it does). */
interface Chunk {
  bytes: Uint8Array
  pooled: Uint8Array | undefined
}

// Frames are copied into buffers of this size as they are queued, so that one transport write carries many.
const GATHER_BYTES = 64 * 1024
// Gather buffers go back to a pool shared by every queue once the transport took their bytes: a busy lane reuses
// the same few buffers, and an idle one holds none.
const POOL_MAX = 32
const pool: Uint8Array[] = []

function takeBuffer(): Uint8Array {
  return pool.pop() ?? new Uint8Array(GATHER_BYTES)
}

function giveBack(buffer: Uint8Array): void {
  if (pool.length < POOL_MAX) pool.push(buffer)
}

/**
 * The bounded send queue of one lane on one stream. Each frame is copied into a gather buffer as it is queued;
 * frames queued while a write is in flight go out together in the next write, so under load the transport sees a
 * few large writes instead of one per message, and no buffer is allocated per frame. Writes happen one at a time,
 * in order. At `capacity` queued frames a sender waits for room, or fails fast with `ERR_QUEUE_FULL`.
 */
export class LaneQueue {
  readonly capacity: number
  readonly #write: (bytes: Uint8Array) => Promise<void>
  /** Sealed chunks of the batch being gathered, in order. */
  #chunks: Chunk[] = []
  /** The gather buffer being filled, and how much of it is used. */
  #fill: Uint8Array | undefined
  #used = 0
  /** Frames in the batch being gathered. */
  #frames = 0
  #batch: Batch | undefined
  #flushing = false
  #queued = 0
  #roomWaiters: Array<() => void> = []
  #idleWaiters: Array<() => void> = []
  #error: unknown
  #written = 0
  #fullRejections = 0

  /**
   * @param write hands bytes to the transport; its promise is the backpressure. The bytes must not be used after
   * it settles (their buffer is reused).
   * @param capacity most frames queued (not yet written) at once.
   */
  constructor(write: (bytes: Uint8Array) => Promise<void>, capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new QmsError('ERR_INVALID_ARGUMENT', `lane capacity must be a positive integer, got ${capacity}`)
    }
    this.#write = write
    this.capacity = capacity
  }

  /** Frames accepted and not yet written. */
  get size(): number {
    return this.#queued
  }

  /** Counters: frames written, fail-fast rejections. */
  stats(): { queued: number; written: number; rejectedFull: number } {
    return { queued: this.#queued, written: this.#written, rejectedFull: this.#fullRejections }
  }

  /**
   * Queues the frame that `encode` returns (called once room is available, so encoders with per-stream state see
   * frames in write order) and resolves when the transport took it. The bytes are copied before anything else runs,
   * so `encode` may return a view into a scratch buffer it reuses.
   */
  enqueue(encode: () => Uint8Array, options?: EnqueueOptions): Promise<void> {
    if (this.#error !== undefined) return rejected(this.#error)
    if (this.#queued >= this.capacity) return observed(this.#enqueueWhenRoom(encode, options ?? {}))
    return this.#accept(encode)
  }

  /** Resolves once every accepted frame was written (or failed). */
  onIdle(): Promise<void> {
    if (!this.#flushing && this.#batch === undefined) return Promise.resolve()
    return new Promise((resolve) => this.#idleWaiters.push(resolve))
  }

  /** Fails every queued and future frame with `error` (the stream under it is gone). */
  fail(error: unknown): void {
    if (this.#error !== undefined) return
    this.#error = error
    const batch = this.#batch
    this.#batch = undefined
    this.#queued -= this.#frames
    this.#frames = 0
    for (const c of this.#chunks) if (c.pooled) giveBack(c.pooled)
    this.#chunks = []
    if (this.#fill) giveBack(this.#fill)
    this.#fill = undefined
    this.#used = 0
    batch?.reject(error)
    this.#wakeAll()
    if (!this.#flushing) this.#idle()
  }

  async #enqueueWhenRoom(encode: () => Uint8Array, options: EnqueueOptions): Promise<void> {
    while (this.#queued >= this.capacity) {
      if (options.failFast) {
        this.#fullRejections++
        throw new QmsError('ERR_QUEUE_FULL', `lane queue is full (${this.capacity} frames)`, {
          details: { capacity: this.capacity },
        })
      }
      await this.#room(options.signal)
      if (this.#error !== undefined) throw this.#error
    }
    return this.#accept(encode)
  }

  #accept(encode: () => Uint8Array): Promise<void> {
    try {
      this.#append(encode())
    } catch (e) {
      return rejected(e)
    }
    this.#queued++
    this.#frames++
    let batch = this.#batch
    if (!batch) {
      batch = this.#batch = newBatch()
      if (!this.#flushing) this.#schedule()
    }
    return batch.promise
  }

  #append(frame: Uint8Array): void {
    const n = frame.byteLength
    if (n > GATHER_BYTES) {
      // Too big to gather: it goes in a write of its own, in a copy (the caller may reuse `frame`).
      this.#seal()
      this.#chunks.push({ bytes: new Uint8Array(frame), pooled: undefined })
      return
    }
    if (this.#fill === undefined || this.#used + n > GATHER_BYTES) {
      this.#seal()
      this.#fill = takeBuffer()
    }
    this.#fill.set(frame, this.#used)
    this.#used += n
  }

  /** Closes the gather buffer being filled: what it holds becomes a chunk of the batch. */
  #seal(): void {
    const fill = this.#fill
    if (fill === undefined) return
    if (this.#used > 0) this.#chunks.push({ bytes: fill.subarray(0, this.#used), pooled: fill })
    else giveBack(fill)
    this.#fill = undefined
    this.#used = 0
  }

  /**
   * Starts the next write a microtask from now rather than at once: senders woken together (say, by a burst of
   * replies) reach the queue one after another in the same round of microtasks, and this way they share the write.
   */
  #schedule(): void {
    this.#flushing = true
    queueMicrotask(this.#kick)
  }

  readonly #kick = (): void => {
    void this.#flush()
  }

  /** Writes the batch gathered so far; frames queued meanwhile form the next batch, scheduled when this one is done. */
  async #flush(): Promise<void> {
    const batch = this.#batch
    if (batch === undefined) {
      this.#flushing = false
      this.#idle()
      return
    }
    this.#seal()
    const chunks = this.#chunks
    const frames = this.#frames
    this.#chunks = []
    this.#frames = 0
    this.#batch = undefined
    try {
      for (let i = 0; i < chunks.length; i++) {
        const chunk = chunks[i]!
        await this.#write(chunk.bytes)
        if (chunk.pooled) giveBack(chunk.pooled)
      }
      this.#written += frames
      batch.resolve()
    } catch (e) {
      batch.reject(e)
      this.fail(e)
    } finally {
      this.#queued -= frames
      this.#wakeAll()
    }
    if (this.#batch !== undefined) this.#schedule()
    else {
      this.#flushing = false
      this.#idle()
    }
  }

  #idle(): void {
    const waiters = this.#idleWaiters
    this.#idleWaiters = []
    for (const w of waiters) w()
  }

  #room(signal: AbortSignal | undefined): Promise<void> {
    if (signal?.aborted) return Promise.reject(abortError(signal, 'waiting for lane room'))
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        const i = this.#roomWaiters.indexOf(wake)
        if (i >= 0) this.#roomWaiters.splice(i, 1)
        reject(abortError(signal!, 'waiting for lane room'))
      }
      const wake = () => {
        signal?.removeEventListener('abort', onAbort)
        resolve()
      }
      signal?.addEventListener('abort', onAbort, { once: true })
      this.#roomWaiters.push(wake)
    })
  }

  #wakeAll(): void {
    if (this.#roomWaiters.length === 0) return
    const waiters = this.#roomWaiters
    this.#roomWaiters = []
    for (const w of waiters) w()
  }
}
