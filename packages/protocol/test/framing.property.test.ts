import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  createCodec,
  ENVELOPE_KINDS,
  type Envelope,
  encodeFrame,
  FRAME_HEADER_SIZE,
  FrameDecoder,
  isQmsError,
  validateEnvelope,
} from '../src/index.js'

const MAX = 64 * 1024

const body = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.uint8Array({ maxLength: 300 }),
  fc.record({ id: fc.string(), n: fc.integer(), small: fc.integer({ min: 0, max: 127 }), tags: fc.array(fc.string()) }),
)

const envelope: fc.Arbitrary<Envelope> = fc
  .record({
    id: fc.string({ minLength: 1, maxLength: 24 }),
    kind: fc.constantFrom(...ENVELOPE_KINDS.filter((k) => k !== 'error')),
    type: fc.string({ maxLength: 20 }),
    from: fc.string({ maxLength: 10 }),
    to: fc.string({ maxLength: 10 }),
    priority: fc.integer({ min: 0, max: 255 }),
    ts: fc.integer({ min: 0, max: 2 ** 45 }),
    body,
    topic: fc.option(fc.string({ maxLength: 10 }), { nil: undefined }),
  })
  .map(({ topic, ...rest }) => ({ v: 1 as const, ...rest, ...(topic === undefined ? {} : { topic }) }))

/**
 * What the wire does to JSON-like values: -0 arrives as 0 (msgpack, like JSON, has no negative integer zero) and a
 * `__proto__` key arrives as `__proto_` (msgpackr's guard against prototype pollution).
 */
function asDelivered<T>(v: T): T {
  if (Object.is(v, -0)) return 0 as T
  if (Array.isArray(v)) return v.map(asDelivered) as T
  if (v !== null && typeof v === 'object' && !(v instanceof Uint8Array)) {
    return Object.fromEntries(
      Object.entries(v).map(([k, x]) => [k === '__proto__' ? '__proto_' : k, asDelivered(x)]),
    ) as T
  }
  return v
}

/** Cuts `bytes` into chunks at the given (unsorted, possibly repeated) points. */
function chunked(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b)
  const out: Uint8Array[] = []
  let prev = 0
  for (const p of points) {
    out.push(bytes.subarray(prev, p))
    prev = p
  }
  out.push(bytes.subarray(prev))
  return out
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let off = 0
  for (const p of parts) {
    out.set(p, off)
    off += p.length
  }
  return out
}

/**
 * Feeds chunks to a fresh decoder; returns the envelopes or the error. Any exception other than a QmsError fails the
 * property, and so does a decoder that holds more than one frame's worth of bytes.
 */
function feed(chunks: Uint8Array[]): { envelopes: Envelope[]; error?: unknown } {
  const decoder = new FrameDecoder({ maxFrameSize: MAX })
  const envelopes: Envelope[] = []
  for (const chunk of chunks) {
    try {
      envelopes.push(...decoder.push(chunk))
    } catch (error) {
      if (!isQmsError(error)) throw error
      expect(['ERR_FRAME_TOO_LARGE', 'ERR_FRAME_MALFORMED', 'ERR_ENVELOPE_INVALID']).toContain(error.code)
      return { envelopes, error }
    }
    expect(decoder.buffered).toBeLessThanOrEqual(MAX + FRAME_HEADER_SIZE)
  }
  return { envelopes }
}

describe('frame decoding properties', () => {
  it('random bytes in random chunks yield only envelopes or QmsErrors', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), fc.array(fc.nat(), { maxLength: 8 }), (bytes, cuts) => {
        const { envelopes } = feed(chunked(bytes, cuts))
        for (const e of envelopes) validateEnvelope(e)
      }),
      { numRuns: 500 },
    )
  })

  it('random payloads behind a correct length header yield only envelopes or QmsErrors', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 400 }), fc.boolean(), (payload, flag) => {
        const frame = new Uint8Array(FRAME_HEADER_SIZE + payload.length)
        new DataView(frame.buffer).setUint32(0, (payload.length | (flag ? 0x8000_0000 : 0)) >>> 0)
        frame.set(payload, FRAME_HEADER_SIZE)
        feed([frame])
      }),
      { numRuns: 500 },
    )
  })

  it('mutated valid streams yield only valid envelopes or QmsErrors', () => {
    const mutation = fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }))
    fc.assert(
      fc.property(
        fc.array(envelope, { minLength: 1, maxLength: 4 }),
        fc.boolean(),
        fc.array(mutation, { minLength: 1, maxLength: 4 }),
        fc.array(fc.nat(), { maxLength: 4 }),
        (envs, structures, mutations, cuts) => {
          const codec = createCodec({ structures })
          const stream = concat(envs.map((e) => codec.encodeFrame(e))).slice()
          for (const [at, value] of mutations) stream[at % stream.length] = value
          const { envelopes } = feed(chunked(stream, cuts))
          for (const e of envelopes) validateEnvelope(e)
        },
      ),
      { numRuns: 300 },
    )
  })

  it('truncated and spliced streams yield only valid envelopes or QmsErrors', () => {
    fc.assert(
      fc.property(
        fc.array(envelope, { minLength: 2, maxLength: 4 }),
        fc.nat(),
        fc.nat(),
        fc.uint8Array({ maxLength: 16 }),
        (envs, from, to, junk) => {
          const stream = concat(envs.map((e) => encodeFrame(e)))
          const a = from % stream.length
          const b = a + (to % (stream.length - a))
          feed([stream.subarray(0, a), junk, stream.subarray(b)])
        },
      ),
      { numRuns: 300 },
    )
  })

  it('length headers never cause allocation beyond what arrived or past the limit', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffff_ffff }), fc.uint8Array({ maxLength: 64 }), (claim, tail) => {
        const decoder = new FrameDecoder({ maxFrameSize: MAX })
        const header = new Uint8Array(4)
        new DataView(header.buffer).setUint32(0, claim)
        try {
          decoder.push(header)
          decoder.push(tail)
        } catch (e) {
          if (!isQmsError(e)) throw e
          const size = claim & 0x7fff_ffff
          if (e.code === 'ERR_FRAME_TOO_LARGE') expect(size).toBeGreaterThan(MAX)
          return
        }
        expect(claim & 0x7fff_ffff).toBeLessThanOrEqual(MAX)
        expect(decoder.buffered).toBeLessThanOrEqual(FRAME_HEADER_SIZE + tail.length)
      }),
      { numRuns: 500 },
    )
  })
})

describe('round-trip properties', () => {
  it('any envelopes, plain or structures, survive any chunking unchanged', () => {
    fc.assert(
      fc.property(
        fc.array(envelope, { minLength: 1, maxLength: 8 }),
        fc.boolean(),
        fc.array(fc.nat(), { maxLength: 10 }),
        (envs, structures, cuts) => {
          const codec = createCodec({ structures })
          const stream = concat(envs.map((e) => codec.encodeFrame(e)))
          const { envelopes, error } = feed(chunked(stream, cuts))
          expect(error).toBeUndefined()
          expect(envelopes).toEqual(asDelivered(envs))
        },
      ),
      { numRuns: 300 },
    )
  })
})
