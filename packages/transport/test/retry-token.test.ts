import { isQmsError, RetryTokens } from '@quic-multistream/transport'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'

const client = { host: '127.0.0.1', port: 50_123 }
const odcid = Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12])
const t0 = 1_700_000_000_000

describe('RetryTokens', () => {
  it('gives back the original destination connection id for a fresh token from the same address', () => {
    const tokens = new RetryTokens()
    const token = tokens.mint(client, odcid, t0)
    expect(tokens.validate(token, client, t0)).toEqual(odcid)
    expect(tokens.validate(token, { ...client }, t0 + 9_999)).toEqual(odcid)
  })

  it('round-trips connection ids of every legal length, including empty and 20 bytes', () => {
    const tokens = new RetryTokens()
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 20 }), (cid) => {
        expect(tokens.validate(tokens.mint(client, cid, t0), client, t0)).toEqual(cid)
      }),
    )
  })

  it('expires tokens after lifetimeMs', () => {
    const tokens = new RetryTokens({ lifetimeMs: 2_000 })
    const token = tokens.mint(client, odcid, t0)
    expect(tokens.validate(token, client, t0 + 2_000)).toEqual(odcid)
    expect(tokens.validate(token, client, t0 + 2_001)).toBeNull()
  })

  it('rejects a token presented from another host or port', () => {
    const tokens = new RetryTokens()
    const token = tokens.mint(client, odcid, t0)
    expect(tokens.validate(token, { host: '127.0.0.2', port: client.port }, t0)).toBeNull()
    expect(tokens.validate(token, { host: client.host, port: client.port + 1 }, t0)).toBeNull()
    expect(tokens.validate(token, { host: '::ffff:127.0.0.1', port: client.port }, t0)).toBeNull()
  })

  it('rejects a token minted with another secret', () => {
    const token = new RetryTokens().mint(client, odcid, t0)
    expect(new RetryTokens().validate(token, client, t0)).toBeNull()
  })

  it('accepts tokens across instances that share a secret', () => {
    const secret = new Uint8Array(32).fill(7)
    const token = new RetryTokens({ secret }).mint(client, odcid, t0)
    expect(new RetryTokens({ secret }).validate(token, client, t0)).toEqual(odcid)
  })

  it('rejects a token with any single byte changed, at every position', () => {
    const tokens = new RetryTokens()
    const token = tokens.mint(client, odcid, t0)
    for (let i = 0; i < token.length; i++) {
      for (const flip of [0x01, 0x80, 0xff]) {
        const tampered = token.slice()
        tampered[i]! ^= flip
        expect(tokens.validate(tampered, client, t0), `byte ${i} ^ ${flip}`).toBeNull()
      }
    }
  })

  it('rejects truncated and extended tokens', () => {
    const tokens = new RetryTokens()
    const token = tokens.mint(client, odcid, t0)
    for (let n = 0; n < token.length; n++) expect(tokens.validate(token.subarray(0, n), client, t0)).toBeNull()
    const longer = new Uint8Array(token.length + 1)
    longer.set(token)
    expect(tokens.validate(longer, client, t0)).toBeNull()
  })

  it('returns null, never throws, for random bytes and odd arguments', () => {
    const tokens = new RetryTokens()
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 128 }), fc.string(), fc.integer(), (bytes, host, port) => {
        expect(tokens.validate(bytes, { host, port }, t0)).toBeNull()
      }),
      { numRuns: 2_000 },
    )
    const token = tokens.mint(client, odcid, t0)
    const odd = [undefined, null, 'token', 42, [1, 2, 3]] as unknown as Uint8Array[]
    for (const value of odd) expect(tokens.validate(value, client, t0)).toBeNull()
    expect(tokens.validate(token, null as unknown as typeof client, t0)).toBeNull()
    expect(tokens.validate(token, client, Number.NaN)).toBeNull()
  })

  it('rejects well-formed forgeries: right version and lengths, wrong MAC', () => {
    const tokens = new RetryTokens()
    const forged = fc
      .tuple(
        fc.uint8Array({ minLength: 8, maxLength: 8 }),
        fc.uint8Array({ maxLength: 20 }),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
      )
      .map(([expiry, cid, mac]) => Uint8Array.from([1, ...expiry, cid.length, ...cid, ...mac]))
    fc.assert(
      fc.property(forged, (token) => {
        expect(tokens.validate(token, client, t0)).toBeNull()
      }),
      { numRuns: 2_000 },
    )
  })

  it('returns a copy of the connection id, not a view into the token', () => {
    const tokens = new RetryTokens()
    const token = tokens.mint(client, odcid, t0)
    const cid = tokens.validate(token, client, t0)!
    cid.fill(0)
    expect(tokens.validate(token, client, t0)).toEqual(odcid)
  })

  it('refuses connection ids over 20 bytes, short secrets and bad lifetimes with ERR_INVALID_ARGUMENT', () => {
    const tokens = new RetryTokens()
    const invalid = (fn: () => unknown) => {
      try {
        fn()
      } catch (err) {
        return isQmsError(err, 'ERR_INVALID_ARGUMENT')
      }
      return false
    }
    expect(invalid(() => tokens.mint(client, new Uint8Array(21), t0))).toBe(true)
    expect(invalid(() => tokens.mint({ host: client.host, port: 70_000 }, odcid, t0))).toBe(true)
    expect(invalid(() => new RetryTokens({ secret: new Uint8Array(8) }))).toBe(true)
    expect(invalid(() => new RetryTokens({ lifetimeMs: 0 }))).toBe(true)
  })
})
