import { describe, expect, it } from 'vitest'
import {
  createCodec,
  createEnvelope,
  type Envelope,
  encodeFrame,
  FRAME_HEADER_SIZE,
  FrameDecoder,
  isQmsError,
} from '../src/index.js'

function env(body: unknown, i = 0): Envelope {
  return createEnvelope({ kind: 'send', type: 'demo.item', from: 'a', to: 'b', body, id: `id-${i}`, ts: 1000 + i })
}

const item = (i: number) => ({ id: `item-${i}`, score: i / 2, small: 64 + (i % 64), tags: ['a', 'b'], ok: i % 2 === 0 })

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let off = 0
  for (const p of parts) {
    out.set(p, off)
    off += p.length
  }
  return out
}

describe('createCodec({ structures: true })', () => {
  it('round-trips a sequence of envelopes through an independent decoder', () => {
    const codec = createCodec({ structures: true })
    const decoder = createCodec().decoder()
    const sent = Array.from({ length: 50 }, (_, i) => env({ items: [item(i), item(i + 1)] }, i))
    const got = sent.flatMap((e) => decoder.push(codec.encodeFrame(e)))
    expect(got).toEqual(sent)
  })

  it('marks its frames with the top bit of the header', () => {
    const frame = createCodec({ structures: true }).encodeFrame(env(1))
    expect(frame[0]! & 0x80).toBe(0x80)
    expect(createCodec().encodeFrame(env(1))[0]! & 0x80).toBe(0)
  })

  it('sends repeated shapes in fewer bytes than plain frames', () => {
    const codec = createCodec({ structures: true })
    const body = { items: Array.from({ length: 12 }, (_, i) => item(i)) }
    codec.encodeFrame(env(body))
    const second = codec.encodeFrame(env(body, 1)).length
    const plainSize = encodeFrame(env(body, 1)).length
    expect(second).toBeLessThan(plainSize * 0.75)
  })

  it('lets a fresh decoder read its first frame (definitions travel inline)', () => {
    const codec = createCodec({ structures: true })
    const e = env({ items: [item(1)] })
    expect(new FrameDecoder().push(codec.encodeFrame(e))).toEqual([e])
  })

  it('needs the frames in order: a decoder that missed the first one cannot read the second correctly', () => {
    const codec = createCodec({ structures: true })
    codec.encodeFrame(env({ items: [item(1)] }))
    const second = env({ items: [item(2)] }, 1)
    const frame = codec.encodeFrame(second)
    let result: unknown
    try {
      result = new FrameDecoder().push(frame)
    } catch (e) {
      result = e
    }
    // This is the failure the per-stream rule exists to prevent; it must not come out as the original envelope.
    expect(result).not.toEqual([second])
  })

  it('after reset(), its next frame is readable by a fresh decoder (a new stream after reconnecting)', () => {
    const codec = createCodec({ structures: true })
    const old = codec.decoder()
    old.push(codec.encodeFrame(env({ items: [item(1)] })))
    codec.reset()
    const e = env({ items: [item(2)] }, 1)
    expect(codec.decoder().push(codec.encodeFrame(e))).toEqual([e])
  })

  it('stays in step with its decoder after a failed encode of a new shape', () => {
    const codec = createCodec({ structures: true })
    const decoder = codec.decoder()
    const first = env({ a: 1 })
    expect(decoder.push(codec.encodeFrame(first))).toEqual([first])
    // A new shape whose encoding fails part-way: msgpackr has already recorded the shape as sent.
    expect(() => codec.encodeFrame(env({ fresh: 1, huge: 2n ** 80n }))).toThrow(
      expect.objectContaining({ code: 'ERR_ENCODE_FAILED' }),
    )
    const again = [env({ fresh: 2, huge: 3 }, 1), env({ a: 2 }, 2), env({ fresh: 3, huge: 4 }, 3)]
    expect(again.flatMap((e) => decoder.push(codec.encodeFrame(e)))).toEqual(again)
  })

  it('stays in step after refusing a frame over maxFrameSize', () => {
    const codec = createCodec({ structures: true, maxFrameSize: 200 })
    const decoder = codec.decoder()
    expect(() => codec.encodeFrame(env({ big: 'x'.repeat(500) }))).toThrow(
      expect.objectContaining({ code: 'ERR_FRAME_TOO_LARGE' }),
    )
    const next = [env({ big: 'small' }, 1), env({ big: 'again' }, 2)]
    expect(next.flatMap((e) => decoder.push(codec.encodeFrame(e)))).toEqual(next)
  })

  it('survives cycling through more distinct shapes than it has record ids', () => {
    const codec = createCodec({ structures: true })
    const decoder = codec.decoder()
    const sent: Envelope[] = []
    for (let i = 0; i < 400; i++) {
      // 150 distinct shapes, revisited out of order, so ids are reused and redefined.
      const shape = (i * 7) % 150
      sent.push(env({ [`k${shape}`]: i, [`j${shape % 13}`]: { small: 64 + (i % 60) } }, i))
    }
    const got = decoder.push(concat(sent.map((e) => codec.encodeFrame(e))))
    expect(got).toEqual(sent)
  })

  it('reads plain and structures frames interleaved on one stream, including small integers', () => {
    // Bytes 0x40-0x7f are record references to a decoder that learned structures and small integers in plain
    // msgpack; the frame flag keeps the two apart.
    const structured = createCodec({ structures: true })
    const decoder = new FrameDecoder()
    const sent: Envelope[] = []
    const frames: Uint8Array[] = []
    for (let i = 0; i < 40; i++) {
      const e = env({ n: 64 + i, list: [64, 65, 100, 127] }, i)
      sent.push(e)
      frames.push(i % 2 === 0 ? structured.encodeFrame(e) : encodeFrame(e))
    }
    expect(decoder.push(concat(frames))).toEqual(sent)
  })

  it('decodes structures frames fed one byte at a time', () => {
    const codec = createCodec({ structures: true })
    const sent = Array.from({ length: 5 }, (_, i) => env({ items: [item(i)] }, i))
    const stream = concat(sent.map((e) => codec.encodeFrame(e)))
    const decoder = codec.decoder()
    const got: Envelope[] = []
    for (let i = 0; i < stream.length; i++) got.push(...decoder.push(stream.subarray(i, i + 1)))
    expect(got).toEqual(sent)
  })

  it('round-trips binary bodies as Uint8Array', () => {
    const codec = createCodec({ structures: true })
    const bin = new Uint8Array(70_000).map((_, i) => i & 0xff)
    const [got] = codec.decoder().push(Buffer.from(codec.encodeFrame(env({ bin }))))
    const out = (got!.body as { bin: Uint8Array }).bin
    expect(out.constructor).toBe(Uint8Array)
    expect(out).toEqual(bin)
  })

  it('gives each decoder its own structure memory (two streams interleaved)', () => {
    // Both encoders number their first shape alike; shared decoder memory would mix the two up.
    const one = createCodec({ structures: true })
    const two = createCodec({ structures: true })
    const a = one.decoder()
    const b = two.decoder()
    for (let i = 0; i < 10; i++) {
      const e1 = env({ left: i, l2: 'x' }, i)
      const e2 = env({ right: i, r2: 'y', r3: [i] }, i)
      expect(a.push(one.encodeFrame(e1))).toEqual([e1])
      expect(b.push(two.encodeFrame(e2))).toEqual([e2])
    }
  })

  it('applies its maxFrameSize to its decoders', () => {
    const decoder = createCodec({ maxFrameSize: 10 }).decoder()
    expect(decoder.maxFrameSize).toBe(10)
    let err: unknown
    try {
      decoder.push(encodeFrame(env('x'.repeat(50))))
    } catch (e) {
      err = e
    }
    expect(isQmsError(err, 'ERR_FRAME_TOO_LARGE')).toBe(true)
  })
})

describe('createCodec() (plain)', () => {
  it('produces the same frames as encodeFrame', () => {
    const e = env({ items: [item(1)] })
    expect(createCodec().encodeFrame(e)).toEqual(encodeFrame(e))
    expect(createCodec().structures).toBe(false)
  })

  it('frames carry a length header', () => {
    const frame = createCodec().encodeFrame(env(1))
    expect(new DataView(frame.buffer, frame.byteOffset).getUint32(0)).toBe(frame.length - FRAME_HEADER_SIZE)
  })
})

describe.each([true, false])('codec.encodeFrameView (structures: %s)', (structures) => {
  it('produces frames a decoder reads in order, when each is copied before the next is encoded', () => {
    const codec = createCodec({ structures })
    const decoder = codec.decoder()
    const sent = Array.from({ length: 40 }, (_, i) => env({ items: [item(i)], pad: 'x'.repeat(i * 50) }, i))
    const copies = sent.map((e) => new Uint8Array(codec.encodeFrameView(e)))
    expect(decoder.push(concat(copies))).toEqual(sent)
  })

  it('reuses one buffer: a view is overwritten by the next frame', () => {
    const codec = createCodec({ structures })
    const first = codec.encodeFrameView(env('first'))
    const before = [...first]
    codec.encodeFrameView(env('second, longer'))
    expect([...first]).not.toEqual(before)
  })

  it('leaves frames from encodeFrame intact when views are encoded after them', () => {
    const codec = createCodec({ structures })
    const decoder = codec.decoder()
    const kept = codec.encodeFrameView(env({ n: 0 }, 0)).slice()
    const owned = codec.encodeFrame(env({ n: 1 }, 1))
    const snapshot = [...owned]
    const third = codec.encodeFrameView(env({ n: 2 }, 2)).slice()
    expect([...owned]).toEqual(snapshot)
    expect(decoder.push(concat([kept, owned, third])).map((e) => e.body)).toEqual([{ n: 0 }, { n: 1 }, { n: 2 }])
  })

  it('encodes a frame larger than its scratch buffer, and smaller ones after it', () => {
    const codec = createCodec({ structures })
    const decoder = codec.decoder()
    const big = env({ blob: 'y'.repeat(200_000) }, 0)
    const small = env({ n: 1 }, 1)
    const frames = [new Uint8Array(codec.encodeFrameView(big)), new Uint8Array(codec.encodeFrameView(small))]
    expect(decoder.push(concat(frames))).toEqual([big, small])
  })
})
