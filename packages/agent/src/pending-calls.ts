import type { PeerLink } from '@quic-multistream/mesh'
import { type AnyMessageDef, type Envelope, QmsError } from '@quic-multistream/protocol'
import { AgentErrorCode } from './errors.js'

/** One outstanding request or critical send, waiting for its reply or acknowledgement. */
export class PendingCall {
  /** The link the envelope last went out on (its loss fails or redelivers the call). */
  link: PeerLink | undefined = undefined
  /** The envelope reached the transport (so a cancel makes sense). */
  sent = false
  readonly promise: Promise<unknown>
  resolve!: (value: unknown) => void
  reject!: (error: unknown) => void

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
}

/** Turns an answer envelope into the call's result, or throws the error the caller should see. */
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
    const call = this.#take(id)
    if (!call) return false
    try {
      call.resolve(this.#decode(call, answer))
    } catch (e) {
      call.reject(e)
    }
    return true
  }

  /** Rejects a call; false when no such call is waiting. */
  fail(id: string, error: unknown): boolean {
    const call = this.#take(id)
    if (!call) return false
    call.reject(error)
    return true
  }

  /** Every outstanding call. */
  values(): IterableIterator<PendingCall> {
    return this.#calls.values()
  }

  #take(id: string): PendingCall | undefined {
    const call = this.#calls.get(id)
    if (!call) return undefined
    this.#calls.delete(id)
    return call
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
      this.#take(call.env.id)
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
