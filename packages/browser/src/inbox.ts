/**
 * What a WebTransport session hands us (streams, datagrams), waiting for the one consumer the transport contract
 * allows. `close` ends the iteration once everything queued before it was taken (with `error`, by throwing it).
 */
export class Inbox<T> implements AsyncIterable<T> {
  readonly #items: T[] = []
  #wake: (() => void) | undefined
  #closed = false
  #error: unknown
  #taken = false

  put(item: T): void {
    if (this.#closed) return
    this.#items.push(item)
    this.#signal()
  }

  close(error?: unknown): void {
    if (this.#closed) return
    this.#closed = true
    this.#error = error
    this.#signal()
  }

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    if (this.#taken) throw new Error('an inbox is iterated once')
    this.#taken = true
    for (;;) {
      const item = this.#items.shift()
      if (item !== undefined) {
        yield item
        continue
      }
      if (this.#closed) {
        if (this.#error !== undefined) throw this.#error
        return
      }
      await new Promise<void>((resolve) => {
        this.#wake = resolve
      })
    }
  }

  #signal(): void {
    const wake = this.#wake
    this.#wake = undefined
    wake?.()
  }
}

/** A Web Streams view of an async iterator (pulled on demand); `onCancel` runs if the reader cancels. */
export function readableFrom(iterator: AsyncIterator<Uint8Array>, onCancel?: () => void): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    pull: async (controller) => {
      const r = await iterator.next()
      if (r.done) controller.close()
      else controller.enqueue(r.value)
    },
    ...(onCancel ? { cancel: onCancel } : {}),
  })
}
