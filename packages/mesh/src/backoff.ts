import { QmsError } from '@quic-multistream/protocol'

/** Shape of a retry schedule. */
export interface BackoffOptions {
  /** Delay before the first retry, ms. Default 50. */
  baseMs?: number
  /** Ceiling of any delay, ms. Default 5,000. */
  maxMs?: number
}

/**
 * Delay before retry number `attempt` (0 = first retry): exponential from `baseMs`, capped at `maxMs`, then "equal
 * jitter" (a random point in the upper half) so that peers that lost a shared link do not all redial in step.
 */
export function backoffDelay(attempt: number, options: BackoffOptions = {}): number {
  const base = options.baseMs ?? 50
  const max = options.maxMs ?? 5_000
  const ceiling = Math.min(max, base * 2 ** Math.min(attempt, 30))
  return ceiling / 2 + Math.random() * (ceiling / 2)
}

/** The error every mesh and agent call rejects with when its AbortSignal fires. */
export function abortError(signal: AbortSignal, what = 'operation'): QmsError {
  return new QmsError('ERR_ABORTED', `${what} aborted`, { cause: signal.reason })
}

/** Waits `ms`; rejects with `ERR_ABORTED` if `signal` fires first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(abortError(signal))
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    function onAbort() {
      clearTimeout(timer)
      reject(abortError(signal!))
    }
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}

/** Resolves or rejects with `promise`, or rejects with `ERR_ABORTED` as soon as `signal` fires. */
export function raceSignal<T>(promise: Promise<T>, signal: AbortSignal | undefined, what?: string): Promise<T> {
  if (!signal) return promise
  if (signal.aborted) return Promise.reject(abortError(signal, what))
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortError(signal, what))
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort)
        resolve(v)
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort)
        reject(e)
      },
    )
  })
}
