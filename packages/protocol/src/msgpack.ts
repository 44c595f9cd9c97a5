/**
 * The msgpackr instances the codecs share. Internal: the rest of the code base sees envelopes and bytes only.
 */
// The subpath entries are msgpackr without its native string extractor (msgpackr-extract), which the main entry
// loads. Envelopes hold a handful of short strings; extracting them natively costs a call and an array of every
// string per payload, more than decoding them in JS (measured: 5-7% less CPU per request/reply over the agent).
import { Packr } from 'msgpackr/pack'
import { Unpackr } from 'msgpackr/unpack'

// `copyBuffers`: decoded binary fields get their own memory instead of aliasing the chunk they arrived in, which
// the transport may reuse and which would otherwise stay alive as long as any small field of it does.
// `structuredClone: false`: peers never need msgpackr's object-graph references, so refuse them outright.
const decodeOptions = { copyBuffers: true, structuredClone: false } as const

/** A new encoder of self-contained payloads: plain msgpack maps, no state carried from one payload to the next. */
export function newPlainPackr(): Packr {
  return new Packr({ useRecords: false })
}

/** The shared encoder of self-contained payloads. */
export const plainPackr = newPlainPackr()

/** Decoder of self-contained payloads. Record definitions a payload carries are forgotten after it. */
export const plainUnpackr = new Unpackr({ useRecords: false, ...decodeOptions })

/**
 * A fresh encoder that defines each object shape ("structure") inline the first time it sends it and refers to it
 * by a one-byte id afterwards. Its output is decodable only by one decoder reading every payload in order.
 */
export function newStructuresPackr(): Packr {
  return new Packr({ sequential: true })
}

/** The decoder matching {@link newStructuresPackr}; it remembers the structures it has read. */
export function newStructuresUnpackr(): Unpackr {
  // msgpackr stores the learned structures on the options object, so every decoder needs its own.
  return new Unpackr({ sequential: true, ...decodeOptions })
}

/**
 * A plain `Uint8Array` view of `bytes` (no copy). msgpackr copies binary fields with the source's own constructor,
 * so a Node `Buffer` source would yield `Buffer`s.
 */
export function ownView(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}

/** `bytes` itself when it already is a plain `Uint8Array` (the common case, one allocation less), else a view. */
export function asPlainBytes(bytes: Uint8Array): Uint8Array {
  return bytes.constructor === Uint8Array ? bytes : ownView(bytes)
}
