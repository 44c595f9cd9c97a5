/**
 * A single-consumer async queue: producers push synchronously (from the packet handler), one consumer iterates.
 * Ending it with an error makes the consumer's next read throw; items pushed before the end are still delivered.
 */
export class AsyncQueue<T> implements AsyncIterable<T> {
  private items: T[] = []
  private head = 0
  private waiter: ((r: IteratorResult<T>) => void) | null = null
  private failWaiter: ((e: unknown) => void) | null = null
  private ended = false
  private error: unknown = undefined

  /** @param limit most items held; beyond it `push` drops the item and returns false. */
  constructor(private readonly limit = Number.POSITIVE_INFINITY) {}

  get size(): number {
    return this.items.length - this.head
  }

  get isEnded(): boolean {
    return this.ended
  }

  push(item: T): boolean {
    if (this.ended) return false
    const w = this.waiter
    if (w !== null) {
      this.waiter = null
      this.failWaiter = null
      w({ value: item, done: false })
      return true
    }
    if (this.size >= this.limit) return false
    this.items.push(item)
    return true
  }

  end(error?: unknown): void {
    if (this.ended) return
    this.ended = true
    this.error = error
    if (this.waiter !== null) {
      const w = this.waiter
      const f = this.failWaiter
      this.waiter = null
      this.failWaiter = null
      if (error !== undefined && f) f(error)
      else w({ value: undefined, done: true })
    }
  }

  next(): Promise<IteratorResult<T>> {
    if (this.head < this.items.length) {
      const value = this.items[this.head] as T
      this.items[this.head] = undefined as T
      this.head++
      if (this.head > 1024 && this.head * 2 > this.items.length) {
        this.items = this.items.slice(this.head)
        this.head = 0
      }
      return Promise.resolve({ value, done: false })
    }
    if (this.ended) {
      if (this.error !== undefined) return Promise.reject(this.error)
      return Promise.resolve({ value: undefined, done: true })
    }
    if (this.waiter !== null) return Promise.reject(new Error('AsyncQueue supports one reader at a time'))
    return new Promise((resolve, reject) => {
      this.waiter = resolve
      this.failWaiter = reject
    })
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return {
      next: () => this.next(),
      return: async () => {
        this.end()
        this.items = []
        this.head = 0
        return { value: undefined, done: true }
      },
    }
  }
}
