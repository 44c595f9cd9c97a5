/**
 * QPACK field sections (RFC 9204) without a dynamic table: we announce a table capacity of 0, so a peer may only use
 * the static table and literals. Decoding handles every representation a capacity-0 peer can send (indexed static,
 * literal with static name reference, literal with literal name; Huffman or not) and rejects the rest with
 * QPACK_DECOMPRESSION_FAILED. Encoding uses the static table where it can and Huffman when that is shorter.
 */
import { H3Error, H3ProtocolError } from './errors.js'
import { huffmanDecode, huffmanEncode, huffmanEncodedLength } from './qpack-huffman.js'
import { STATIC_TABLE } from './qpack-static-table.js'

/** Header fields in order, names lowercase. */
export type HeaderList = Array<[name: string, value: string]>

const utf8 = new TextDecoder()
const utf8Encoder = new TextEncoder()

function fail(message: string): never {
  throw new H3ProtocolError(H3Error.QPACK_DECOMPRESSION_FAILED, message)
}

/** An integer with an N-bit prefix (RFC 7541 §5.1); values above 2^32 are refused as hostile. */
export function readPrefixInt(buf: Uint8Array, offset: number, prefixBits: number): { value: number; next: number } {
  if (offset >= buf.length) fail('field section ends inside an integer')
  const max = (1 << prefixBits) - 1
  let value = (buf[offset] as number) & max
  let off = offset + 1
  if (value < max) return { value, next: off }
  let shift = 0
  for (;;) {
    if (off >= buf.length) fail('field section ends inside an integer')
    const b = buf[off++] as number
    value += (b & 0x7f) * 2 ** shift
    shift += 7
    if (value > 0xffffffff) fail('integer too large in field section')
    if ((b & 0x80) === 0) return { value, next: off }
  }
}

/** Appends an integer with an N-bit prefix; `flags` fills the bits above the prefix in the first byte. */
export function writePrefixInt(out: number[], value: number, prefixBits: number, flags: number): void {
  const max = (1 << prefixBits) - 1
  if (value < max) {
    out.push(flags | value)
    return
  }
  out.push(flags | max)
  let rest = value - max
  while (rest >= 0x80) {
    out.push((rest % 0x80) | 0x80)
    rest = Math.floor(rest / 0x80)
  }
  out.push(rest)
}

function readString(buf: Uint8Array, offset: number, prefixBits: number): { value: string; next: number } {
  const huffman = ((buf[offset] as number) & (1 << prefixBits)) !== 0
  const len = readPrefixInt(buf, offset, prefixBits)
  const end = len.next + len.value
  if (end > buf.length) fail('field section ends inside a string')
  const raw = buf.subarray(len.next, end)
  const bytes = huffman ? huffmanDecode(raw) : raw
  if (bytes === null) fail('invalid Huffman string')
  return { value: utf8.decode(bytes), next: end }
}

function writeString(out: number[], value: string, prefixBits: number, flags: number): void {
  const raw = utf8Encoder.encode(value)
  const huffLen = huffmanEncodedLength(raw)
  if (huffLen < raw.length) {
    writePrefixInt(out, huffLen, prefixBits, flags | (1 << prefixBits))
    for (const b of huffmanEncode(raw)) out.push(b)
  } else {
    writePrefixInt(out, raw.length, prefixBits, flags)
    for (const b of raw) out.push(b)
  }
}

function staticEntry(index: number): readonly [string, string] {
  const e = STATIC_TABLE[index]
  if (!e) fail(`static table index ${index} out of range`)
  return e
}

/**
 * Decodes a HEADERS frame payload. `maxSize` bounds the decoded size (name + value + 32 per field, as
 * SETTINGS_MAX_FIELD_SECTION_SIZE counts it) so a small block cannot expand without limit.
 */
export function decodeFieldSection(block: Uint8Array, maxSize = 64 * 1024): HeaderList {
  const ric = readPrefixInt(block, 0, 8)
  if (ric.value !== 0) fail('dynamic table reference, but our table capacity is 0')
  const base = readPrefixInt(block, ric.next, 7)
  let off = base.next
  const out: HeaderList = []
  let size = 0
  while (off < block.length) {
    const b = block[off] as number
    let name: string
    let value: string
    if (b & 0x80) {
      if (!(b & 0x40)) fail('indexed field line refers to the dynamic table')
      const idx = readPrefixInt(block, off, 6)
      ;[name, value] = staticEntry(idx.value)
      off = idx.next
    } else if (b & 0x40) {
      if (!(b & 0x10)) fail('literal refers to a dynamic table name')
      const idx = readPrefixInt(block, off, 4)
      name = staticEntry(idx.value)[0]
      const v = readString(block, idx.next, 7)
      value = v.value
      off = v.next
    } else if (b & 0x20) {
      const n = readString(block, off, 3)
      const v = readString(block, n.next, 7)
      name = n.value
      value = v.value
      off = v.next
    } else {
      fail('post-base reference, but our table capacity is 0')
    }
    size += name.length + value.length + 32
    if (size > maxSize) fail(`field section larger than ${maxSize} bytes`)
    out.push([name, value])
  }
  return out
}

/** Encodes a field section using only the static table and literals (no dynamic table, so never blocking). */
export function encodeFieldSection(headers: HeaderList): Uint8Array {
  const out: number[] = [0, 0]
  for (const [name, value] of headers) {
    let nameIdx = -1
    let exact = -1
    for (let i = 0; i < STATIC_TABLE.length; i++) {
      const e = STATIC_TABLE[i] as readonly [string, string]
      if (e[0] !== name) continue
      if (nameIdx < 0) nameIdx = i
      if (e[1] === value) {
        exact = i
        break
      }
    }
    if (exact >= 0) {
      writePrefixInt(out, exact, 6, 0xc0)
    } else if (nameIdx >= 0) {
      writePrefixInt(out, nameIdx, 4, 0x50)
      writeString(out, value, 7, 0)
    } else {
      writeString(out, name, 3, 0x20)
      writeString(out, value, 7, 0)
    }
  }
  return Uint8Array.from(out)
}
