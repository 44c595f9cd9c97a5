/**
 * QUIC variable-length integers (RFC 9000 §16), used by every HTTP/3 and WebTransport structure. Values are plain
 * numbers: every identifier this layer meets (stream ids, setting ids, error codes) stays below 2^53, and the rare
 * larger value only loses precision in its low bits, which no decision here depends on.
 */

/** Largest value a QUIC varint can hold. */
export const MAX_VARINT = 2 ** 62 - 1

/** Encoded size of `v` in bytes. */
export function varintLength(v: number): 1 | 2 | 4 | 8 {
  if (v < 0x40) return 1
  if (v < 0x4000) return 2
  if (v < 0x40000000) return 4
  return 8
}

/** Writes `v` at `offset` and returns the offset after it. The caller guarantees room (see {@link varintLength}). */
export function writeVarint(buf: Uint8Array, offset: number, v: number): number {
  if (!(v >= 0 && v <= MAX_VARINT) || !Number.isInteger(v)) throw new RangeError(`not a QUIC varint: ${v}`)
  if (v < 0x40) {
    buf[offset] = v
    return offset + 1
  }
  if (v < 0x4000) {
    buf[offset] = 0x40 | (v >>> 8)
    buf[offset + 1] = v & 0xff
    return offset + 2
  }
  if (v < 0x40000000) {
    buf[offset] = 0x80 | (v >>> 24)
    buf[offset + 1] = (v >>> 16) & 0xff
    buf[offset + 2] = (v >>> 8) & 0xff
    buf[offset + 3] = v & 0xff
    return offset + 4
  }
  const hi = Math.floor(v / 2 ** 32)
  const lo = v - hi * 2 ** 32
  buf[offset] = 0xc0 | (hi >>> 24)
  buf[offset + 1] = (hi >>> 16) & 0xff
  buf[offset + 2] = (hi >>> 8) & 0xff
  buf[offset + 3] = hi & 0xff
  buf[offset + 4] = lo >>> 24
  buf[offset + 5] = (lo >>> 16) & 0xff
  buf[offset + 6] = (lo >>> 8) & 0xff
  buf[offset + 7] = lo & 0xff
  return offset + 8
}

/** Concatenates the encodings of `values`. */
export function encodeVarints(...values: number[]): Uint8Array {
  let n = 0
  for (const v of values) n += varintLength(v)
  const out = new Uint8Array(n)
  let off = 0
  for (const v of values) off = writeVarint(out, off, v)
  return out
}

/** A decoded varint and the offset just after it. */
export interface VarintRead {
  value: number
  next: number
}

/** Decodes the varint at `offset`; null when `buf` ends before it does. */
export function readVarint(buf: Uint8Array, offset: number): VarintRead | null {
  if (offset >= buf.length) return null
  const first = buf[offset] as number
  const len = 1 << (first >>> 6)
  if (offset + len > buf.length) return null
  let value = first & 0x3f
  for (let i = 1; i < len; i++) value = value * 256 + (buf[offset + i] as number)
  return { value, next: offset + len }
}
