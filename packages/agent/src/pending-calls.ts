import type { PeerLink } from '@quic-multistream/mesh'
import { type AnyMessageDef, type Envelope, QmsError } from '@quic-multistream/protocol'
import { AgentErrorCode } from './errors.js'

/** One outstanding request or critical send, waiting for its reply or acknowledgement. */
export class PendingCall {
  /** The link the envelope last went out on (its loss fails or redelivers the call). */
  link: PeerLink | undefined = undefined
  /** The envelope was handed to a lane (so a cancel makes sense: it would travel behind it). */
  sent = false
  /**
   * The peer instance a critical envelope first went to: a refusal from a later instance (a restarted process that
   * has not registered its handlers yet) is retried instead of final.
   */
  firstInstance: string | undefined = undefined
  readonly promise: Promise<unknown>
  resolve!: (value: unknown) => void
  reject!: (error: unknown) => void
  /** The link this call keeps open until it settles (see {@link hold}). */
  #held: PeerLink | undefined = undefined
  #signal: AbortSignal | undefined = undefined
  #onAbort: (() => void) | undefined = undefined
  #wake: ((again: boolean) => void) | undefined = undefined
  #again = false
  #settled = false

  constructor(
    /** What was sent; its id correlates the answer. */
    readonly env: Envelope,
    readonly peer: string,
    readonly deadline: number,
    /** The expected reply type of a request; undefined for a critical send (answered by `ack`). */
    readonly replyDef: AnyMessageDef | undefined,
  ) {
    this.promise = new Promise((resolve, reject) => {
      this.resolve = resolve
      this.reject = reject
    })
  }

  /**
   * Records `link` as the one the call goes out on (now) and keeps it from being closed as idle until the call
   * settles: a slow handler must not lose its reply to the pool's idle sweep.
   */
  hold(link: PeerLink): void {
    this.link = link
    // A new attempt begins: whatever asked for one before is answered by it.
    this.#again = false
    if (this.#held === link || this.#settled) return
    this.#held?.release()
    link.retain()
    this.#held = link
  }

  /** Runs `onAbort` when `signal` fires (soon, if it already has) while the call is pending. */
  listen(signal: AbortSignal, onAbort: () => void): void {
    if (signal.aborted) {
      queueMicrotask(onAbort)
      return
    }
    this.#signal = signal
    this.#onAbort = onAbort
    signal.addEventListener('abort', onAbort, { once: true })
  }

  /** Asks the delivery loop for another attempt (an answer said "not yet", or the link was lost). */
  retry(): void {
    this.#wakeWith(true)
  }

  /**
   * Resolves true when another delivery attempt is due ({@link retry}; at once if one was asked for meanwhile), or
   * false once the call has settled.
   */
  nextAttempt(): Promise<boolean> {
    if (this.#settled) return Promise.resolve(false)
    if (this.#again) {
      this.#again = false
      return Promise.resolve(true)
    }
    return new Promise((resolve) => {
      this.#wake = resolve
    })
  }

  /** Called by {@link PendingCalls} as the call leaves the table, before it resolves or rejects. */
  settled(): void {
    this.#settled = true
    this.#held?.release()
    this.#held = undefined
    if (this.#onAbort) this.#signal!.removeEventListener('abort', this.#onAbort)
    this.#wakeWith(false)
  }

  #wakeWith(again: boolean): void {
    const wake = this.#wake
    this.#wake = undefined
    if (wake) wake(again)
    else if (again) this.#again = true
  }
}

/** What an {@link AnswerDecoder} returns for an answer that should not settle the call but trigger a redelivery. */
export const RETRY: unique symbol = Symbol('retry')

/**
 * Turns an answer envelope into the call's result, or throws the error the caller should see, or returns
 * {@link RETRY} to leave the call waiting and ask for another delivery.
 */
export type AnswerDecoder = (call: PendingCall, answer: Envelope) => unknown

/**
 * The correlation table: calls by envelope id, with timeouts enforced by one sweep timer (running only while calls
 * are outstanding) instead of a timer per call.
 */
export class PendingCalls {
  readonly #calls = new Map<string, PendingCall>()
  readonly #decode: AnswerDecoder
  readonly #onTimeout: (call: PendingCall) => void
  readonly #resolutionMs: number
  #timer: NodeJS.Timeout | undefined
  #timedOut = 0

  /**
   * @param decode how answers become results.
   * @param onTimeout called for a call that timed out, before it is rejected (e.g. to send `cancel`).
   * @param resolutionMs how often deadlines are checked (a timeout fires up to this late).
   */
  constructor(decode: AnswerDecoder, onTimeout: (call: PendingCall) => void, resolutionMs = 10) {
    this.#decode = decode
    this.#onTimeout = onTimeout
    this.#resolutionMs = resolutionMs
  }

  get size(): number {
    return this.#calls.size
  }

  /** Calls rejected with `ERR_TIMEOUT` so far. */
  get timedOut(): number {
    return this.#timedOut
  }

  /** Registers a call; it settles via {@link answer}, {@link fail} or its deadline. */
  add(call: PendingCall): PendingCall {
    this.#calls.set(call.env.id, call)
    if (!this.#timer) {
      this.#timer = setInterval(() => this.#sweep(), this.#resolutionMs)
      this.#timer.unref()
    }
    return call
  }

  get(id: string): PendingCall | undefined {
    return this.#calls.get(id)
  }

  /** Settles the call `answer` answers; false when no such call is waiting. */
  answer(id: string, answer: Envelope): boolean {
    const call = this.#calls.get(id)
    if (!call) return false
    let result: unknown
    try {
      result = this.#decode(call, answer)
    } catch (e) {
      this.#take(call)
      call.reject(e)
      return true
    }
    if (result === RETRY) {
      call.retry()
      return true
    }
    this.#take(call)
    call.resolve(result)
    return true
  }

  /** Rejects a call; false when no such call is waiting. */
  fail(id: string, error: unknown): boolean {
    const call = this.#calls.get(id)
    if (!call) return false
    this.#take(call)
    call.reject(error)
    return true
  }

  /** Every outstanding call. */
  values(): IterableIterator<PendingCall> {
    return this.#calls.values()
  }

  #take(call: PendingCall): void {
    this.#calls.delete(call.env.id)
    call.settled()
  }

  #sweep(): void {
    if (this.#calls.size === 0) {
      // Stopped lazily here rather than on every settle, so back-to-back calls do not churn timers.
      clearInterval(this.#timer)
      this.#timer = undefined
      return
    }
    const now = Date.now()
    for (const call of this.#calls.values()) {
      if (call.deadline > now) continue
      this.#take(call)
      this.#timedOut++
      this.#onTimeout(call)
      call.reject(
        new QmsError(AgentErrorCode.TIMEOUT, `no answer from "${call.peer}" in time`, {
          details: { peer: call.peer, id: call.env.id },
        }),
      )
    }
  }
}
