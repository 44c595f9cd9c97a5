/**
 * Node-style timers for the browser bundle (injected for the globals `setTimeout`/`setInterval`): the mesh calls
 * `.unref()` on its sweep timers, which a browser's numeric timer ids do not have. The handle converts to the id, so
 * the browser's `clearTimeout`/`clearInterval` accept it unchanged.
 */
interface TimerHandle {
  ref(): TimerHandle
  unref(): TimerHandle
  hasRef(): boolean
  [Symbol.toPrimitive](): number
}

function handle(id: number): TimerHandle {
  const h: TimerHandle = {
    ref: () => h,
    unref: () => h,
    hasRef: () => true,
    [Symbol.toPrimitive]: () => id,
  }
  return h
}

const nativeSetTimeout = globalThis.setTimeout
const nativeSetInterval = globalThis.setInterval

function browserSetTimeout(fn: (...args: unknown[]) => void, ms?: number, ...args: unknown[]): TimerHandle {
  return handle(nativeSetTimeout(fn, ms, ...args) as unknown as number)
}

function browserSetInterval(fn: (...args: unknown[]) => void, ms?: number, ...args: unknown[]): TimerHandle {
  return handle(nativeSetInterval(fn, ms, ...args) as unknown as number)
}

export { browserSetInterval as setInterval, browserSetTimeout as setTimeout }
