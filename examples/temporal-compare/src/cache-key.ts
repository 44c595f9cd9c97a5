import { createHash, type Hash } from 'node:crypto'
import { endianness } from 'node:os'
import { QmsError } from '@quic-multistream/protocol'
import { CompareErrorCode } from './errors.js'

/** A value that can appear in the canonical options of a cache key. */
export type KeyOption = string | number | boolean | null

const FORMAT = 'temporal-compare/1'
const littleEndian = endianness() === 'LE'
const BUFFER_BYTES = 64 * 1024

/**
 * Streams a canonical binary encoding into a SHA-256 hash through one reusable buffer (hashing item by item would
 * cost a native call per value).
 */
class KeyEncoder {
  readonly #hash: Hash = createHash('sha256')
  readonly #buffer = Buffer.allocUnsafe(BUFFER_BYTES)
  #used = 0

  #room(bytes: number): void {
    if (this.#used + bytes > BUFFER_BYTES) this.flush()
  }

  flush(): void {
    if (this.#used > 0) this.#hash.update(this.#buffer.subarray(0, this.#used))
    this.#used = 0
  }

  tag(code: number): void {
    this.#room(1)
    this.#buffer[this.#used++] = code
  }

  float(value: number): void {
    this.#room(8)
    this.#buffer.writeDoubleLE(value, this.#used)
    this.#used += 8
  }

  /** Float64 values in bulk: their memory already is the little-endian encoding `float` writes one by one. */
  floats(values: Float64Array): void {
    this.flush()
    this.#hash.update(new Uint8Array(values.buffer, values.byteOffset, values.byteLength))
  }

  text(value: string): void {
    const bytes = Buffer.from(value, 'utf8')
    this.float(bytes.length)
    this.flush()
    this.#hash.update(bytes)
  }

  digest(): string {
    this.flush()
    return this.#hash.digest('hex')
  }
}

/** Type tags: every value is written as a tag then its payload, so no two different values encode alike. */
const Tag = {
  NUMERIC_SEQUENCE: 0x01,
  ITEM_SEQUENCE: 0x02,
  NUMBER: 0x10,
  STRING: 0x11,
  TRUE: 0x12,
  FALSE: 0x13,
  NULL: 0x14,
  UNDEFINED: 0x15,
  BIGINT: 0x16,
} as const

function encodeItem(encoder: KeyEncoder, item: unknown, index: number): void {
  switch (typeof item) {
    case 'number':
      encoder.tag(Tag.NUMBER)
      encoder.float(item)
      return
    case 'string':
      encoder.tag(Tag.STRING)
      encoder.text(item)
      return
    case 'boolean':
      encoder.tag(item ? Tag.TRUE : Tag.FALSE)
      return
    case 'bigint':
      encoder.tag(Tag.BIGINT)
      encoder.text(item.toString())
      return
    case 'undefined':
      encoder.tag(Tag.UNDEFINED)
      return
    default:
      if (item === null) {
        encoder.tag(Tag.NULL)
        return
      }
      throw new QmsError(
        CompareErrorCode.UNCACHEABLE,
        `item ${index} is a ${typeof item}: only primitives have a canonical encoding for the cache key`,
        { details: { index } },
      )
  }
}

/** A sequence as the key sees it: numeric ones as float64 values, others item by item. */
export type KeySequence = { readonly numeric: ArrayLike<number> } | { readonly items: ArrayLike<unknown> }

function encodeSequence(encoder: KeyEncoder, sequence: KeySequence): void {
  if ('numeric' in sequence) {
    const values = sequence.numeric
    encoder.tag(Tag.NUMERIC_SEQUENCE)
    encoder.float(values.length)
    if (!littleEndian) {
      for (let i = 0; i < values.length; i++) encoder.float(values[i]!)
    } else if (values instanceof Float64Array) {
      encoder.floats(values)
    } else {
      // Plain arrays go through a typed staging block: one bulk hash update per block, not a write per value.
      const block = new Float64Array(Math.min(values.length, 8192))
      for (let start = 0; start < values.length; start += block.length) {
        const end = Math.min(values.length, start + block.length)
        for (let i = start; i < end; i++) block[i - start] = values[i]!
        encoder.floats(block.subarray(0, end - start))
      }
    }
    return
  }
  const items = sequence.items
  encoder.tag(Tag.ITEM_SEQUENCE)
  encoder.float(items.length)
  for (let i = 0; i < items.length; i++) encodeItem(encoder, items[i], i)
}

/**
 * The cache key of one comparison: SHA-256 (hex) of a canonical encoding of the algorithm, its options (sorted by
 * name) and the full content of both sequences, each prefixed by its length. Equal content gives equal keys
 * whatever the container (`number[]` or `Float64Array`, string or array of characters); any difference in any
 * value, in the split between the two sequences, in the algorithm or in an option gives another key.
 * @throws QmsError `ERR_COMPARE_UNCACHEABLE` for an item that is not a primitive.
 */
export function comparisonKey(
  algorithm: string,
  a: KeySequence,
  b: KeySequence,
  options: Readonly<Record<string, KeyOption>>,
): string {
  const encoder = new KeyEncoder()
  encoder.text(FORMAT)
  encoder.text(algorithm)
  const names = Object.keys(options).sort()
  encoder.float(names.length)
  for (const name of names) {
    encoder.text(name)
    encodeItem(encoder, options[name], -1)
  }
  encodeSequence(encoder, a)
  encodeSequence(encoder, b)
  return encoder.digest()
}

const functionIds = new WeakMap<object, number>()
let nextFunctionId = 1

/**
 * A stable name for a function within this process: built-ins by their given name, any other function by the
 * identity of the function object (two closures with the same code get different ids: a miss, never a wrong hit).
 */
export function functionKey(fn: object, builtins: ReadonlyMap<object, string>): string {
  const builtin = builtins.get(fn)
  if (builtin !== undefined) return builtin
  let id = functionIds.get(fn)
  if (id === undefined) {
    id = nextFunctionId++
    functionIds.set(fn, id)
  }
  return `fn#${id}`
}
