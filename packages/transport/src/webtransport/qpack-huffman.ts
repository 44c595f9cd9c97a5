/**
 * The HPACK/QPACK Huffman code (RFC 7541 Appendix B). The code is canonical: codes of one length are consecutive
 * in symbol order, and each length starts where the previous one ended, shifted left. So the table is fully
 * described by each symbol's code length, and the codes are rebuilt from those at load time.
 */

/** Code length in bits of symbols 0..255 and EOS (256), from RFC 7541 Appendix B. */
// biome-ignore format: one row per 16 symbols keeps the table checkable against the RFC
const CODE_LENGTHS: readonly number[] = [
  13, 23, 28, 28, 28, 28, 28, 28, 28, 24, 30, 28, 28, 30, 28, 28,
  28, 28, 28, 28, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 28,
  6, 10, 10, 12, 13, 6, 8, 11, 10, 10, 8, 11, 8, 6, 6, 6,
  5, 5, 5, 6, 6, 6, 6, 6, 6, 6, 7, 8, 15, 6, 12, 10,
  13, 6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7,
  7, 7, 7, 7, 7, 7, 7, 7, 8, 7, 8, 13, 19, 13, 14, 6,
  15, 5, 6, 5, 6, 5, 6, 6, 6, 5, 7, 7, 6, 6, 6, 5,
  6, 7, 6, 5, 5, 6, 7, 7, 7, 7, 7, 15, 11, 14, 13, 28,
  20, 22, 20, 20, 22, 22, 22, 23, 22, 23, 23, 23, 23, 23, 24, 23,
  24, 24, 22, 23, 24, 23, 23, 23, 23, 21, 22, 23, 22, 23, 23, 24,
  22, 21, 20, 22, 22, 23, 23, 21, 23, 22, 22, 24, 21, 22, 23, 23,
  21, 21, 22, 21, 23, 22, 23, 23, 20, 22, 22, 22, 23, 22, 22, 23,
  26, 26, 20, 19, 22, 23, 22, 25, 26, 26, 26, 27, 27, 26, 24, 25,
  19, 21, 26, 27, 27, 26, 27, 24, 21, 21, 26, 26, 28, 27, 27, 27,
  20, 24, 20, 21, 22, 21, 21, 23, 22, 22, 25, 25, 24, 24, 26, 23,
  26, 27, 26, 26, 27, 27, 27, 27, 27, 28, 27, 27, 27, 27, 27, 26,
  30,
]

const EOS = 256

/** Code of each symbol (right-aligned) and its length. */
const codes = new Uint32Array(257)
const lengths = new Uint8Array(257)

/** Decoding tree: node i has children at tree[2i] (bit 0) and tree[2i+1] (bit 1); leaves hold -(symbol + 1). */
const tree: number[] = [0, 0]

function buildTables(): void {
  const order = CODE_LENGTHS.map((len, sym) => ({ len, sym })).sort((a, b) => a.len - b.len || a.sym - b.sym)
  let code = 0
  let prevLen = order[0]?.len ?? 0
  for (const { len, sym } of order) {
    code <<= len - prevLen
    prevLen = len
    codes[sym] = code >>> 0
    lengths[sym] = len
    insert(code >>> 0, len, sym)
    code++
  }
}

function insert(code: number, len: number, sym: number): void {
  let node = 0
  for (let i = len - 1; i >= 0; i--) {
    const slot = 2 * node + ((code >>> i) & 1)
    if (i === 0) {
      tree[slot] = -(sym + 1)
      return
    }
    let child = tree[slot] as number
    if (child === 0) {
      child = tree.length / 2
      tree.push(0, 0)
      tree[slot] = child
    }
    node = child
  }
}

buildTables()

/** Size in bytes of the Huffman encoding of `data`. */
export function huffmanEncodedLength(data: Uint8Array): number {
  let bits = 0
  for (const b of data) bits += lengths[b] as number
  return Math.ceil(bits / 8)
}

/** Huffman-encodes `data`, padding the last byte with the most significant bits of EOS (all ones). */
export function huffmanEncode(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(huffmanEncodedLength(data))
  let acc = 0
  let accBits = 0
  let off = 0
  for (const b of data) {
    const len = lengths[b] as number
    const code = codes[b] as number
    // Feed the code in pieces of at most 16 bits so the accumulator never exceeds 31 bits.
    for (let left = len; left > 0; ) {
      const take = Math.min(left, 16)
      left -= take
      acc = (acc << take) | ((code >>> left) & ((1 << take) - 1))
      accBits += take
      while (accBits >= 8) {
        accBits -= 8
        out[off++] = (acc >>> accBits) & 0xff
      }
      acc &= (1 << accBits) - 1
    }
  }
  if (accBits > 0) out[off] = ((acc << (8 - accBits)) | ((1 << (8 - accBits)) - 1)) & 0xff
  return out
}

/**
 * Decodes a Huffman string. Returns null when it is invalid (RFC 7541 §5.2): an EOS symbol, padding longer than
 * 7 bits, or padding that is not all ones.
 */
export function huffmanDecode(data: Uint8Array): Uint8Array | null {
  const out: number[] = []
  let node = 0
  let depth = 0
  let allOnes = true
  for (const byte of data) {
    for (let i = 7; i >= 0; i--) {
      const bit = (byte >>> i) & 1
      const next = tree[2 * node + bit] as number
      if (next === 0) return null
      if (next < 0) {
        const sym = -next - 1
        if (sym === EOS) return null
        out.push(sym)
        node = 0
        depth = 0
        allOnes = true
      } else {
        node = next
        depth++
        if (bit === 0) allOnes = false
      }
    }
  }
  if (depth > 7 || !allOnes) return null
  return Uint8Array.from(out)
}

/** The code of one symbol (for tests against the RFC table). */
export function huffmanCode(sym: number): { code: number; bits: number } {
  return { code: codes[sym] as number, bits: lengths[sym] as number }
}
