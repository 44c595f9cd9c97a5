import { QmsError } from '@quic-multistream/protocol'
import PQueue from 'p-queue'
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
  // Fire-and-forget senders may never look at the outcome; a dead stream must not become an unhandled rejection.
  promise.catch(() => {})
  return { promise, resolve, reject }
}

// Frames below this are copied together so that one transport write carries many of them.
const COALESCE_BYTES = 64 * 1024

/**
 * The bounded send queue of one lane on one stream. Frames queued while a write is in flight go out together in
 * the next write, so under load the transport sees a few large writes instead of one per message. The p-queue
 * (concurrency 1) keeps writes in order and gives `onIdle` for draining. At `capacity` queued frames a sender waits
 * for room, or fails fast with `ERR_QUEUE_FULL`.
 */
export class LaneQueue {
  readonly capacity: number
  readonly #write: (bytes: Uint8Array) => Promise<void>
  readonly #queue = new PQueue({ concurrency: 1 })
  #pending: Uint8Array[] = []
  #batch: Batch | undefined
  #queued = 0
  #roomWaiters: Array<() => void> = []
  #error: unknown
  #written = 0
  #fullRejections = 0

  /**
   * @param write hands bytes to the transport; its promise is the backpressure.
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
   * frames in write order) and resolves when the transport took it.
   */
  async enqueue(encode: () => Uint8Array, options: EnqueueOptions = {}): Promise<void> {
    if (this.#error !== undefined) throw this.#error
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
    const frame = encode()
    this.#queued++
    this.#pending.push(frame)
    let batch = this.#batch
    if (!batch) {
      batch = this.#batch = newBatch()
      void this.#queue.add(() => this.#flush())
    }
    return batch.promise
  }

  /** Resolves once every accepted frame was written (or failed). */
  onIdle(): Promise<void> {
    return this.#queue.onIdle()
  }

  /** Fails every queued and future frame with `error` (the stream under it is gone). */
  fail(error: unknown): void {
    if (this.#error !== undefined) return
    this.#error = error
    const batch = this.#batch
    this.#batch = undefined
    this.#queued -= this.#pending.length
    this.#pending = []
    batch?.reject(error)
    this.#wakeAll()
  }

  async #flush(): Promise<void> {
    const frames = this.#pending
    const batch = this.#batch
    this.#pending = []
    this.#batch = undefined
    if (!batch) return
    try {
      for (const bytes of coalesce(frames)) await this.#write(bytes)
      this.#written += frames.length
      batch.resolve()
    } catch (e) {
      batch.reject(e)
      this.fail(e)
    } finally {
      this.#queued -= frames.length
      this.#wakeAll()
    }
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
    const waiters = this.#roomWaiters
    this.#roomWaiters = []
    for (const w of waiters) w()
  }
}

/** Joins small frames into writes of up to {@link COALESCE_BYTES}; large frames go alone, uncopied. */
function* coalesce(frames: Uint8Array[]): Generator<Uint8Array> {
  if (frames.length === 1) {
    yield frames[0]!
    return
  }
  let group: Uint8Array[] = []
  let bytes = 0
  const join = (): Uint8Array => {
    if (group.length === 1) return group[0]!
    const out = new Uint8Array(bytes)
    let off = 0
    for (const f of group) {
      out.set(f, off)
      off += f.byteLength
    }
    return out
  }
  for (const f of frames) {
    if (bytes > 0 && bytes + f.byteLength > COALESCE_BYTES) {
      yield join()
      group = []
      bytes = 0
    }
    group.push(f)
    bytes += f.byteLength
  }
  if (group.length > 0) yield join()
}
