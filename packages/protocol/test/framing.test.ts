import { Packr } from 'msgpackr'
import { describe, expect, it } from 'vitest'
import {
  createEnvelope,
  DEFAULT_MAX_FRAME_SIZE,
  decodeDatagram,
  ENVELOPE_KINDS,
  type Envelope,
  type EnvelopeKind,
  encodeDatagram,
  encodeFrame,
  FRAME_HEADER_SIZE,
  FrameDecoder,
  isQmsError,
  type QmsError,
  readEnvelopes,
} from '../src/index.js'

function envelopeOf(kind: EnvelopeKind, body: unknown = { n: 1, text: 'hello' }): Envelope {
  return createEnvelope({
    kind,
    type: `demo.${kind}`,
    from: 'agent-a',
    to: 'agent-b',
    body,
    ...(kind === 'error' ? { error: { code: 'ERR_REMOTE', message: 'it broke' } } : {}),
    ...(kind === 'reply' || kind === 'ack' || kind === 'cancel' || kind === 'error' ? { corr: 'req-1' } : {}),
    ...(kind === 'publish' || kind === 'subscribe' || kind === 'unsubscribe' ? { topic: 'news' } : {}),
    ...(kind === 'request' ? { deadline: Date.now() + 5000 } : {}),
  })
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

/** A frame with an arbitrary payload, as a hostile or buggy peer could send it. */
function rawFrame(payload: Uint8Array, header = payload.length): Uint8Array {
  const out = new Uint8Array(FRAME_HEADER_SIZE + payload.length)
  new DataView(out.buffer).setUint32(0, header)
  out.set(payload, FRAME_HEADER_SIZE)
  return out
}

function errorOf(fn: () => unknown): QmsError {
  try {
    fn()
  } catch (e) {
    if (isQmsError(e)) return e
    throw e
  }
  throw new Error('expected a QmsError')
}

const plain = new Packr({ useRecords: false })

describe('frame round trip', () => {
  it.each(ENVELOPE_KINDS)('carries a "%s" envelope unchanged', (kind) => {
    const env = envelopeOf(kind)
    const [decoded, ...rest] = new FrameDecoder().push(encodeFrame(env))
    expect(rest).toEqual([])
    expect(decoded).toEqual(env)
  })

  it.each(['ping', 'pong', 'ack'] as const)('carries a "%s" envelope without a body', (kind) => {
    const env = envelopeOf(kind, undefined)
    expect(new FrameDecoder().push(encodeFrame(env))).toEqual([env])
  })

  it('starts with a big-endian length of the payload', () => {
    const frame = encodeFrame(envelopeOf('send'))
    expect(new DataView(frame.buffer, frame.byteOffset).getUint32(0)).toBe(frame.length - FRAME_HEADER_SIZE)
  })

  it('returns plain Uint8Arrays, not Buffers', () => {
    expect(encodeFrame(envelopeOf('send')).constructor).toBe(Uint8Array)
    expect(encodeDatagram(envelopeOf('send')).constructor).toBe(Uint8Array)
  })

  it('keeps frames intact while more are encoded (no shared scratch buffer)', () => {
    const a = encodeFrame(envelopeOf('send', 'first'))
    const copy = a.slice()
    for (let i = 0; i < 2000; i++) encodeFrame(envelopeOf('send', 'x'.repeat(i % 300)))
    expect(a).toEqual(copy)
  })

  it('round-trips a 1 MiB binary body as a Uint8Array even when chunks are Buffers', () => {
    const bin = new Uint8Array(1024 * 1024).map((_, i) => (i * 31) & 0xff)
    const frame = encodeFrame(envelopeOf('send', { bin }))
    const decoder = new FrameDecoder()
    const out: Envelope[] = []
    for (let off = 0; off < frame.length; off += 16 * 1024) {
      out.push(...decoder.push(Buffer.from(frame.subarray(off, off + 16 * 1024))))
    }
    expect(out).toHaveLength(1)
    const got = (out[0]!.body as { bin: Uint8Array }).bin
    expect(got.constructor).toBe(Uint8Array)
    // Buffer.compare instead of toEqual: element-wise deep equality of 1 MiB takes seconds.
    expect(got.length).toBe(bin.length)
    expect(Buffer.compare(got, bin)).toBe(0)
  })

  it('decodes binary fields into memory of their own, not views of the chunk', () => {
    const frame = Buffer.from(encodeFrame(envelopeOf('send', new Uint8Array([1, 2, 3]))))
    const [env] = new FrameDecoder().push(frame)
    frame.fill(0)
    const body = env!.body as Uint8Array
    expect(body.constructor).toBe(Uint8Array)
    expect([...body]).toEqual([1, 2, 3])
  })

  it('keeps undefined inside bodies and accepts optional fields set to undefined', () => {
    const env = { ...envelopeOf('send', { a: undefined, b: [undefined, 1] }), topic: undefined }
    const [decoded] = new FrameDecoder().push(encodeFrame(env))
    expect(decoded).toEqual(env)
    expect('a' in (decoded!.body as object)).toBe(true)
  })

  it('keeps large timestamps, dates and bigints as their types', () => {
    const env = envelopeOf('send', { at: new Date(1_700_000_000_123), big: 2n ** 60n, neg: -1.5 })
    env.ts = 8_640_000_000_000
    const [decoded] = new FrameDecoder().push(encodeFrame(env))
    expect(decoded).toEqual(env)
  })

  it('refuses an invalid envelope at the sender with ERR_ENVELOPE_INVALID', () => {
    const env = { ...envelopeOf('send'), priority: 300 }
    expect(errorOf(() => encodeFrame(env)).code).toBe('ERR_ENVELOPE_INVALID')
    expect(errorOf(() => encodeDatagram(env)).code).toBe('ERR_ENVELOPE_INVALID')
  })

  it('reports a body msgpack cannot carry as ERR_ENCODE_FAILED', () => {
    const err = errorOf(() => encodeFrame(envelopeOf('send', { huge: 2n ** 80n })))
    expect(err.code).toBe('ERR_ENCODE_FAILED')
    expect(err.cause).toBeInstanceOf(Error)
  })

  it('refuses to encode a payload over maxFrameSize with ERR_FRAME_TOO_LARGE', () => {
    const env = envelopeOf('send', 'x'.repeat(2000))
    const err = errorOf(() => encodeFrame(env, { maxFrameSize: 1000 }))
    expect(err.code).toBe('ERR_FRAME_TOO_LARGE')
    expect(err.details?.maxFrameSize).toBe(1000)
  })

  it.each([0, -1, 1.5, 2 ** 31])('rejects maxFrameSize %d with ERR_INVALID_ARGUMENT', (n) => {
    expect(errorOf(() => new FrameDecoder({ maxFrameSize: n })).code).toBe('ERR_INVALID_ARGUMENT')
    expect(errorOf(() => encodeFrame(envelopeOf('send'), { maxFrameSize: n })).code).toBe('ERR_INVALID_ARGUMENT')
  })
})

describe('chunk boundaries', () => {
  const envs = [envelopeOf('request'), envelopeOf('reply', { items: [1, 2, 3] }), envelopeOf('publish', 'x')]
  const stream = concat(envs.map((e) => encodeFrame(e)))

  it('decodes three frames split at every possible point', () => {
    for (let cut = 0; cut <= stream.length; cut++) {
      const decoder = new FrameDecoder()
      const out = [...decoder.push(stream.subarray(0, cut)), ...decoder.push(stream.subarray(cut))]
      expect(out).toEqual(envs)
      expect(decoder.buffered).toBe(0)
    }
  })

  it('decodes three frames split at every pair of points', () => {
    for (let a = 0; a <= stream.length; a += 3) {
      for (let b = a; b <= stream.length; b += 5) {
        const decoder = new FrameDecoder()
        const out = [
          ...decoder.push(stream.subarray(0, a)),
          ...decoder.push(stream.subarray(a, b)),
          ...decoder.push(stream.subarray(b)),
        ]
        expect(out).toEqual(envs)
      }
    }
  })

  it('decodes frames fed one byte at a time, each on its last byte', () => {
    const decoder = new FrameDecoder()
    const lengths = envs.map((e) => encodeFrame(e).length)
    const out: Envelope[] = []
    let inFrame = 0
    for (let i = 0; i < stream.length; i++) {
      const got = decoder.push(stream.subarray(i, i + 1))
      inFrame++
      const complete = inFrame === lengths[out.length]
      expect(got.length).toBe(complete ? 1 : 0)
      out.push(...got)
      if (complete) inFrame = 0
      expect(decoder.buffered).toBe(inFrame)
    }
    expect(out).toEqual(envs)
  })

  it('decodes a thousand frames from one chunk, in order', () => {
    const many = Array.from({ length: 1000 }, (_, i) => envelopeOf('send', { i }))
    const out = new FrameDecoder().push(concat(many.map((e) => encodeFrame(e))))
    expect(out).toEqual(many)
  })

  it('ignores empty chunks', () => {
    const decoder = new FrameDecoder()
    expect(decoder.push(new Uint8Array(0))).toEqual([])
    expect(decoder.push(stream.subarray(0, 2))).toEqual([])
    expect(decoder.push(new Uint8Array(0))).toEqual([])
    expect(decoder.push(stream.subarray(2))).toEqual(envs)
  })

  it('readEnvelopes yields every envelope of a chunked stream', async () => {
    async function* chunks() {
      for (let i = 0; i < stream.length; i += 7) yield stream.subarray(i, i + 7)
    }
    const out: Envelope[] = []
    for await (const env of readEnvelopes(chunks())) out.push(env)
    expect(out).toEqual(envs)
  })

  it('readEnvelopes fails with ERR_FRAME_TRUNCATED when the stream stops inside a frame', async () => {
    async function* chunks() {
      yield stream.subarray(0, stream.length - 1)
    }
    const out: Envelope[] = []
    const err = await (async () => {
      try {
        for await (const env of readEnvelopes(chunks())) out.push(env)
      } catch (e) {
        return e
      }
    })()
    expect(out).toEqual(envs.slice(0, 2))
    expect(isQmsError(err, 'ERR_FRAME_TRUNCATED')).toBe(true)
  })
})

describe('hostile input', () => {
  it('rejects a header claiming 4 GiB before allocating anything', () => {
    const decoder = new FrameDecoder()
    const err = errorOf(() => decoder.push(new Uint8Array([0xff, 0xff, 0xff, 0xff, 1, 2, 3])))
    expect(err.code).toBe('ERR_FRAME_TOO_LARGE')
    expect(err.details?.maxFrameSize).toBe(DEFAULT_MAX_FRAME_SIZE)
    expect(decoder.buffered).toBe(0)
  })

  it('rejects a header over a custom limit even when it arrives byte by byte', () => {
    const decoder = new FrameDecoder({ maxFrameSize: 1024 })
    expect(decoder.push(new Uint8Array([0]))).toEqual([])
    expect(decoder.push(new Uint8Array([0, 4]))).toEqual([])
    expect(errorOf(() => decoder.push(new Uint8Array([1]))).details?.size).toBe(1025)
  })

  it('buffers only what arrived for a frame that claims to be huge', () => {
    const decoder = new FrameDecoder()
    decoder.push(rawFrame(new Uint8Array(0), DEFAULT_MAX_FRAME_SIZE))
    decoder.push(new Uint8Array(10))
    expect(decoder.buffered).toBe(FRAME_HEADER_SIZE + 10)
    expect(errorOf(() => decoder.finish()).code).toBe('ERR_FRAME_TRUNCATED')
  })

  it('rejects an empty frame as malformed', () => {
    expect(errorOf(() => new FrameDecoder().push(new Uint8Array(4))).code).toBe('ERR_FRAME_MALFORMED')
  })

  it('wraps msgpackr errors for undecodable payloads as ERR_FRAME_MALFORMED with the cause', () => {
    const err = errorOf(() => new FrameDecoder().push(rawFrame(new Uint8Array([0xa5, 0x61]))))
    expect(err.code).toBe('ERR_FRAME_MALFORMED')
    expect(err.cause).toBeInstanceOf(Error)
    expect(isQmsError(err.cause)).toBe(false)
  })

  it('rejects a payload with trailing bytes as malformed', () => {
    const payload = concat([plain.pack(envelopeOf('send')), new Uint8Array([0])])
    expect(errorOf(() => new FrameDecoder().push(rawFrame(payload))).code).toBe('ERR_FRAME_MALFORMED')
  })

  it('rejects a payload cut short as malformed', () => {
    const payload = plain.pack(envelopeOf('send'))
    expect(errorOf(() => new FrameDecoder().push(rawFrame(payload.subarray(0, 20)))).code).toBe('ERR_FRAME_MALFORMED')
  })

  it.each([
    ['a number', 42],
    ['an array', [1, 'id', 'send']],
    ['an object without the fields', { hello: 'world' }],
    ['an envelope of version 2', { ...envelopeOf('send'), v: 2 }],
  ])('rejects a payload that is %s with ERR_ENVELOPE_INVALID', (_what, value) => {
    const err = errorOf(() => new FrameDecoder().push(rawFrame(plain.pack(value))))
    expect(err.code).toBe('ERR_ENVELOPE_INVALID')
  })

  it('stays poisoned after an error: later pushes throw the same code', () => {
    const decoder = new FrameDecoder()
    const good = encodeFrame(envelopeOf('send'))
    expect(errorOf(() => decoder.push(rawFrame(new Uint8Array([0xa5, 0x61])))).code).toBe('ERR_FRAME_MALFORMED')
    const again = errorOf(() => decoder.push(good))
    expect(again.code).toBe('ERR_FRAME_MALFORMED')
    expect(isQmsError(again.cause, 'ERR_FRAME_MALFORMED')).toBe(true)
    expect(errorOf(() => decoder.finish()).code).toBe('ERR_FRAME_MALFORMED')
    expect(decoder.buffered).toBe(0)
  })

  it('poisons after a too-large header too', () => {
    const decoder = new FrameDecoder({ maxFrameSize: 10 })
    errorOf(() => decoder.push(rawFrame(new Uint8Array(11))))
    expect(errorOf(() => decoder.push(encodeFrame(envelopeOf('ping', undefined)))).code).toBe('ERR_FRAME_TOO_LARGE')
  })

  it('finish() passes at a frame boundary', () => {
    const decoder = new FrameDecoder()
    decoder.push(encodeFrame(envelopeOf('send')))
    expect(() => decoder.finish()).not.toThrow()
  })
})

describe('datagrams', () => {
  it.each(ENVELOPE_KINDS)('carry a "%s" envelope unchanged', (kind) => {
    const env = envelopeOf(kind)
    expect(decodeDatagram(encodeDatagram(env))).toEqual(env)
  })

  it('have no length header: the payload is bare msgpack', () => {
    const env = envelopeOf('send')
    expect(encodeDatagram(env)).toEqual(encodeFrame(env).subarray(FRAME_HEADER_SIZE))
  })

  it('decode binary bodies as Uint8Array from Buffer input', () => {
    const env = envelopeOf('send', new Uint8Array([9, 8, 7]))
    const body = decodeDatagram(Buffer.from(encodeDatagram(env))).body
    expect(body).toEqual(new Uint8Array([9, 8, 7]))
    expect((body as Uint8Array).constructor).toBe(Uint8Array)
  })

  it('reject oversize, empty, undecodable and non-envelope payloads with codes', () => {
    const bytes = encodeDatagram(envelopeOf('send'))
    expect(errorOf(() => decodeDatagram(bytes, bytes.length - 1)).code).toBe('ERR_FRAME_TOO_LARGE')
    expect(errorOf(() => decodeDatagram(new Uint8Array(0))).code).toBe('ERR_FRAME_MALFORMED')
    expect(errorOf(() => decodeDatagram(new Uint8Array([0xa5, 0x61]))).code).toBe('ERR_FRAME_MALFORMED')
    expect(errorOf(() => decodeDatagram(plain.pack({ v: 1 }))).code).toBe('ERR_ENVELOPE_INVALID')
  })
})
