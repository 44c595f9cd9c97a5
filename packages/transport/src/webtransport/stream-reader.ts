import { readVarint } from './varint.js'

/** Thrown when a stream ends in the middle of a structure (a varint, a frame, a stream header). */
export class TruncatedError extends Error {
  constructor(what: string) {
    super(`stream ended inside ${what}`)
    this.name = 'TruncatedError'
  }
}

/**
 * Pulls structured values (varints, exact byte counts) out of a chunked byte stream. Whatever it read past the last
 * value stays buffered and can be taken back with {@link takeBuffered}, so a stream header can be parsed here and
 * the rest of the stream handed on untouched.
 */
export class StreamReader {
  private buf: Uint8Array = new Uint8Array(0)
  private pos = 0
  private ended = false

  constructor(private readonly source: AsyncIterator<Uint8Array>) {}

  /** Bytes buffered and not yet consumed. */
  get available(): number {
    return this.buf.length - this.pos
  }

  /** Reads one more chunk into the buffer; false at the end of the stream. */
  private async fill(): Promise<boolean> {
    if (this.ended) return false
    const r = await this.source.next()
    if (r.done) {
      this.ended = true
      return false
    }
    const rest = this.buf.length - this.pos
    if (rest === 0) {
      this.buf = r.value
    } else {
      const merged = new Uint8Array(rest + r.value.length)
      merged.set(this.buf.subarray(this.pos), 0)
      merged.set(r.value, rest)
      this.buf = merged
    }
    this.pos = 0
    return true
  }

  /** Next varint; null when the stream ends cleanly before it starts. */
  async varint(what = 'a varint'): Promise<number | null> {
    for (;;) {
      const r = readVarint(this.buf, this.pos)
      if (r) {
        this.pos = r.next
        return r.value
      }
      const hadBytes = this.available > 0
      if (!(await this.fill())) {
        if (hadBytes) throw new TruncatedError(what)
        return null
      }
    }
  }

  /** Next varint; the stream must not end before it. */
  async requireVarint(what: string): Promise<number> {
    const v = await this.varint(what)
    if (v === null) throw new TruncatedError(what)
    return v
  }

  /** Exactly `n` bytes (a view, valid until the next read). */
  async bytes(n: number, what = 'a frame'): Promise<Uint8Array> {
    while (this.available < n) if (!(await this.fill())) throw new TruncatedError(what)
    const out = this.buf.subarray(this.pos, this.pos + n)
    this.pos += n
    return out
  }

  /** Consumes `n` bytes without keeping them (unknown frames may be large). */
  async skip(n: number, what = 'a frame'): Promise<void> {
    let left = n
    for (;;) {
      const take = Math.min(left, this.available)
      this.pos += take
      left -= take
      if (left === 0) return
      if (!(await this.fill())) throw new TruncatedError(what)
    }
  }

  /** Up to `max` bytes that are available now or in the next chunk; empty at the end of the stream. */
  async some(max: number): Promise<Uint8Array> {
    if (this.available === 0 && !(await this.fill())) return new Uint8Array(0)
    const n = Math.min(max, this.available)
    const out = this.buf.subarray(this.pos, this.pos + n)
    this.pos += n
    return out
  }

  /** Hands back the buffered bytes (possibly empty) and forgets them. */
  takeBuffered(): Uint8Array {
    const out = this.buf.subarray(this.pos)
    this.buf = new Uint8Array(0)
    this.pos = 0
    return out
  }
}
