import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { H3Error, H3ProtocolError, httpCodeToWt, wtCodeToHttp } from '../src/webtransport/errors.js'
import { encodeSettingsFrame, parseSettings, peerSupportsWebTransport } from '../src/webtransport/h3-settings.js'
import { decodeFieldSection, encodeFieldSection, type HeaderList } from '../src/webtransport/qpack.js'
import { huffmanCode, huffmanDecode, huffmanEncode } from '../src/webtransport/qpack-huffman.js'
import { judgeConnect } from '../src/webtransport/request.js'
import { CapsuleParser } from '../src/webtransport/session.js'
import { encodeVarints, readVarint, varintLength } from '../src/webtransport/varint.js'

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex')
const bytes = (h: string) => Uint8Array.from(Buffer.from(h.replace(/\s/g, ''), 'hex'))
const h3Code = (fn: () => unknown): number | undefined => {
  try {
    fn()
  } catch (e) {
    if (e instanceof H3ProtocolError) return e.h3Code
    throw e
  }
  return undefined
}

describe('QUIC varints', () => {
  it('encodes the RFC 9000 Appendix A.1 examples and decodes them back', () => {
    const cases: Array<[string, number]> = [
      ['c2197c5eff14e88c', Number(151_288_809_941_952_652n)],
      ['9d7f3e7d', 494_878_333],
      ['7bbd', 15_293],
      ['25', 37],
    ]
    for (const [h, v] of cases) {
      expect(readVarint(bytes(h), 0)).toEqual({ value: v, next: h.length / 2 })
      if (v <= Number.MAX_SAFE_INTEGER) expect(hex(encodeVarints(v))).toBe(h)
    }
    // The two-byte encoding of 37 is also legal (RFC 9000 A.1).
    expect(readVarint(bytes('4025'), 0)?.value).toBe(37)
  })

  it('round-trips every safe integer below 2^53 and reports truncation as null', () => {
    fc.assert(
      fc.property(fc.maxSafeNat(), (v) => {
        const enc = encodeVarints(v)
        expect(enc.length).toBe(varintLength(v))
        expect(readVarint(enc, 0)).toEqual({ value: v, next: enc.length })
        expect(readVarint(enc.subarray(0, enc.length - 1), 0)).toBeNull()
      }),
    )
  })
})

describe('HPACK/QPACK Huffman code', () => {
  it('has the RFC 7541 Appendix B codes at both ends of the table', () => {
    expect(huffmanCode(0)).toEqual({ code: 0x1ff8, bits: 13 })
    expect(huffmanCode(48)).toEqual({ code: 0x0, bits: 5 })
    expect(huffmanCode(58)).toEqual({ code: 0x5c, bits: 7 })
    expect(huffmanCode(255)).toEqual({ code: 0x3ffffee, bits: 26 })
    expect(huffmanCode(256)).toEqual({ code: 0x3fffffff, bits: 30 })
  })

  it('encodes and decodes the RFC 7541 Appendix C.4 and C.6 strings', () => {
    const cases: Array<[string, string]> = [
      ['www.example.com', 'f1e3c2e5f23a6ba0ab90f4ff'],
      ['no-cache', 'a8eb10649cbf'],
      ['custom-key', '25a849e95ba97d7f'],
      ['custom-value', '25a849e95bb8e8b4bf'],
      ['302', '6402'],
      ['private', 'aec3771a4b'],
      ['Mon, 21 Oct 2013 20:13:21 GMT', 'd07abe941054d444a8200595040b8166e082a62d1bff'],
      ['https://www.example.com', '9d29ad171863c78f0b97c8e9ae82ae43d3'],
      ['gzip', '9bd9ab'],
      [
        'foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1',
        '94e7821dd7f2e6c7b335dfdfcd5b3960d5af27087f3672c1ab270fb5291f9587316065c003ed4ee5b1063d5007',
      ],
    ]
    for (const [text, code] of cases) {
      expect(hex(huffmanEncode(Buffer.from(text)))).toBe(code)
      expect(Buffer.from(huffmanDecode(bytes(code)) ?? []).toString()).toBe(text)
    }
  })

  it('round-trips arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (data) => {
        expect(huffmanDecode(huffmanEncode(data))).toEqual(data)
      }),
    )
  })

  it('rejects padding that is too long or not all ones, and an encoded EOS', () => {
    expect(huffmanDecode(bytes('ff'))).toBeNull() // 8 bits of padding
    expect(huffmanDecode(bytes('64'))).toBeNull() // '3' then two zero bits of padding
    expect(huffmanDecode(bytes('ffffffff'))).toBeNull() // contains EOS (30 ones)
    expect(huffmanDecode(bytes('6402'))).toEqual(new TextEncoder().encode('302'))
  })
})

describe('QPACK field sections', () => {
  it('decodes the RFC 9204 B.1 literal with a static name reference', () => {
    expect(decodeFieldSection(bytes('0000 510b 2f69 6e64 6578 2e68 746d 6c'))).toEqual([[':path', '/index.html']])
  })

  it('refuses dynamic table references (RFC 9204 B.2 needs a table we announced as 0 bytes)', () => {
    expect(h3Code(() => decodeFieldSection(bytes('0381 10')))).toBe(H3Error.QPACK_DECOMPRESSION_FAILED)
    expect(h3Code(() => decodeFieldSection(bytes('0000 80')))).toBe(H3Error.QPACK_DECOMPRESSION_FAILED)
    expect(h3Code(() => decodeFieldSection(bytes('0000 10')))).toBe(H3Error.QPACK_DECOMPRESSION_FAILED)
  })

  it('decodes a Chromium-style WebTransport CONNECT with Huffman literal names and values', () => {
    const request: HeaderList = [
      [':method', 'CONNECT'],
      [':protocol', 'webtransport'],
      [':scheme', 'https'],
      [':authority', '127.0.0.1:4433'],
      [':path', '/mesh?token=abc'],
      ['sec-webtransport-http3-draft02', '1'],
      ['origin', 'http://localhost:8080'],
    ]
    const block = encodeFieldSection(request)
    expect(decodeFieldSection(block)).toEqual(request)
    // :method CONNECT and :scheme https come from the static table: one byte each.
    expect(block[2]).toBe(0xc0 | 15)
    expect(block).toContain(0xc0 | 23)
  })

  it('round-trips arbitrary header lists', () => {
    const name = fc.stringMatching(/^[a-z][a-z0-9-]{0,30}$/)
    fc.assert(
      fc.property(fc.array(fc.tuple(name, fc.string({ maxLength: 100 })), { maxLength: 20 }), (headers) => {
        expect(decodeFieldSection(encodeFieldSection(headers))).toEqual(headers)
      }),
    )
  })

  it('never throws anything but a QPACK error on random input', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (block) => {
        const code = h3Code(() => decodeFieldSection(block))
        expect(code === undefined || code === H3Error.QPACK_DECOMPRESSION_FAILED).toBe(true)
      }),
    )
  })

  it('refuses a field section that decodes beyond the size limit', () => {
    const big = encodeFieldSection([['x-big', 'a'.repeat(2000)]])
    expect(h3Code(() => decodeFieldSection(big, 1000))).toBe(H3Error.QPACK_DECOMPRESSION_FAILED)
  })
})

describe('HTTP/3 SETTINGS', () => {
  it('round-trips our settings and recognises WebTransport support', () => {
    const frame = encodeSettingsFrame(
      new Map([
        [0x08, 1],
        [0x33, 1],
        [0x2b603742, 1],
      ]),
    )
    const payload = frame.subarray(2)
    const settings = parseSettings(payload)
    expect(settings.get(0x2b603742)).toBe(1)
    expect(peerSupportsWebTransport(settings)).toBe(true)
    expect(peerSupportsWebTransport(new Map([[0x2b603742, 1]]))).toBe(false)
  })

  it('rejects duplicate identifiers and HTTP/2-only settings with H3_SETTINGS_ERROR', () => {
    expect(h3Code(() => parseSettings(encodeVarints(0x33, 1, 0x33, 1)))).toBe(H3Error.SETTINGS_ERROR)
    expect(h3Code(() => parseSettings(encodeVarints(0x02, 0)))).toBe(H3Error.SETTINGS_ERROR)
    expect(h3Code(() => parseSettings(encodeVarints(0x33)))).toBe(H3Error.FRAME_ERROR)
  })

  it('accepts unknown and GREASE identifiers', () => {
    expect(parseSettings(encodeVarints(0x1f * 7 + 0x21, 99, 0x01, 0)).get(0x01)).toBe(0)
  })
})

describe('WebTransport CONNECT requests', () => {
  const base: HeaderList = [
    [':method', 'CONNECT'],
    [':protocol', 'webtransport'],
    [':scheme', 'https'],
    [':authority', 'localhost:4433'],
    [':path', '/mesh'],
  ]

  it('accepts a well-formed extended CONNECT', () => {
    expect(judgeConnect([...base, ['origin', 'http://localhost']])).toEqual({
      kind: 'webtransport',
      path: '/mesh',
      authority: 'localhost:4433',
      origin: 'http://localhost',
    })
  })

  it('calls malformed what RFC 9114 §4.3.1 calls malformed', () => {
    const drop = (name: string) => base.filter(([n]) => n !== name)
    expect(judgeConnect(drop(':authority')).kind).toBe('malformed')
    expect(judgeConnect(drop(':method')).kind).toBe('malformed')
    expect(judgeConnect([...base, [':path', '/again']]).kind).toBe('malformed')
    expect(judgeConnect([['x', '1'], ...base]).kind).toBe('malformed')
    expect(judgeConnect([...base, ['Origin', 'x']]).kind).toBe('malformed')
    expect(judgeConnect([...base, [':status', '200']]).kind).toBe('malformed')
  })

  it('answers well-formed requests that are not WebTransport with a status', () => {
    expect(
      judgeConnect([
        [':method', 'GET'],
        [':scheme', 'https'],
        [':path', '/'],
      ]),
    ).toMatchObject({ status: 405 })
    expect(judgeConnect(base.map(([n, v]) => [n, n === ':protocol' ? 'websocket' : v]))).toMatchObject({
      status: 501,
    })
  })
})

describe('WebTransport error codes and capsules', () => {
  it('maps application codes into the HTTP/3 range around GREASE code points and back', () => {
    expect(wtCodeToHttp(0)).toBe(0x52e4a40fa8db)
    expect(wtCodeToHttp(0x1e)).toBe(0x52e4a40fa8db + 0x1f)
    fc.assert(
      fc.property(fc.nat({ max: 0xffffffff }), (code) => {
        expect(httpCodeToWt(wtCodeToHttp(code))).toBe(code)
      }),
    )
    expect(httpCodeToWt(0x52e4a40fa8db + 0x1e)).toBe(0) // a GREASE code point
    expect(httpCodeToWt(H3Error.NO_ERROR)).toBe(0)
  })

  it('splits capsules across arbitrary chunk boundaries', () => {
    const stream = Uint8Array.from([...encodeVarints(0x2843, 6), 0, 0, 0, 9, 0x68, 0x69, ...encodeVarints(0x78ae, 0)])
    fc.assert(
      fc.property(fc.array(fc.nat({ max: stream.length }), { maxLength: 5 }), (cuts) => {
        const points = [...new Set([0, ...cuts, stream.length])].sort((a, b) => a - b)
        const parser = new CapsuleParser()
        const got = points.slice(1).flatMap((end, i) => parser.push(stream.subarray(points[i], end)))
        expect(got.map((c) => c.type)).toEqual([0x2843, 0x78ae])
        expect([...(got[0]?.payload ?? [])]).toEqual([0, 0, 0, 9, 0x68, 0x69])
      }),
    )
  })
})
