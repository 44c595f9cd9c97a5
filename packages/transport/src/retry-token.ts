/**
 * Stateless address validation for QUIC Retry (RFC 9000 §8.1.2): the server answers a first Initial with a token
 * only it can mint, bound to the client's address and to the connection id the client first chose; a client that
 * echoes it back has proven it receives packets at that address.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import { QmsError } from '@quic-multistream/protocol'

const TOKEN_VERSION = 1
/** RFC 9000 §17.2: connection ids are at most 20 bytes in QUIC version 1. */
const MAX_CID_LENGTH = 20
const MAC_LENGTH = 32
/** version (1) + expiry in ms since the epoch (8) + odcid length (1). */
const HEADER_LENGTH = 10
const MIN_SECRET_LENGTH = 16

/** Options of {@link RetryTokens}. */
export interface RetryTokenOptions {
  /** HMAC key, at least 16 bytes. Default: 32 random bytes, so tokens die with the process. */
  secret?: Uint8Array
  /** How long a token stays valid. Default 10,000 ms: a Retry round trip, with room for a slow client. */
  lifetimeMs?: number
}

/** The address a token is bound to. */
export interface RetryTokenAddress {
  host: string
  port: number
}

/**
 * Mints and checks Retry tokens: `version | expiry | odcid length | odcid | HMAC-SHA256(those bytes + address)`.
 * The token carries the original destination connection id so the server can accept the retried connection
 * without remembering anything.
 */
export class RetryTokens {
  readonly #secret: Buffer
  readonly #lifetimeMs: number

  constructor(options: RetryTokenOptions = {}) {
    const secret = options.secret ?? randomBytes(32)
    if (!(secret instanceof Uint8Array) || secret.length < MIN_SECRET_LENGTH) {
      throw new QmsError('ERR_INVALID_ARGUMENT', `a retry token secret must be at least ${MIN_SECRET_LENGTH} bytes`)
    }
    const lifetimeMs = options.lifetimeMs ?? 10_000
    if (!Number.isFinite(lifetimeMs) || lifetimeMs <= 0) {
      throw new QmsError('ERR_INVALID_ARGUMENT', 'lifetimeMs must be a positive number', { details: { lifetimeMs } })
    }
    this.#secret = Buffer.from(secret)
    this.#lifetimeMs = lifetimeMs
  }

  /**
   * A token for a client at `address` whose first Initial was sent to `odcid`. Throws `ERR_INVALID_ARGUMENT` when
   * `odcid` is longer than 20 bytes or the port is not a UDP port.
   */
  mint(address: RetryTokenAddress, odcid: Uint8Array, now: number = Date.now()): Uint8Array {
    if (odcid.length > MAX_CID_LENGTH) {
      throw new QmsError('ERR_INVALID_ARGUMENT', `a connection id is at most ${MAX_CID_LENGTH} bytes`, {
        details: { length: odcid.length },
      })
    }
    if (!isPort(address.port) || typeof address.host !== 'string') {
      throw new QmsError('ERR_INVALID_ARGUMENT', 'not a UDP address', { details: { ...address } })
    }
    if (!Number.isFinite(now) || now < 0) {
      throw new QmsError('ERR_INVALID_ARGUMENT', 'now must be a time in ms since the epoch', { details: { now } })
    }
    const body = Buffer.alloc(HEADER_LENGTH + odcid.length)
    body[0] = TOKEN_VERSION
    body.writeBigUInt64BE(BigInt(Math.floor(now + this.#lifetimeMs)), 1)
    body[9] = odcid.length
    body.set(odcid, HEADER_LENGTH)
    const token = new Uint8Array(body.length + MAC_LENGTH)
    token.set(body)
    token.set(this.#mac(body, address), body.length)
    return token
  }

  /**
   * The original destination connection id carried by `token`, or null when the token is malformed, was not
   * minted with this secret, was minted for another address, or has expired. Never throws.
   */
  validate(token: Uint8Array, address: RetryTokenAddress, now: number = Date.now()): Uint8Array | null {
    if (!(token instanceof Uint8Array) || token.length < HEADER_LENGTH + MAC_LENGTH) return null
    if (typeof address?.host !== 'string' || !isPort(address.port) || !Number.isFinite(now)) return null
    if (token[0] !== TOKEN_VERSION) return null
    const cidLength = token[9]!
    if (cidLength > MAX_CID_LENGTH || token.length !== HEADER_LENGTH + cidLength + MAC_LENGTH) return null
    const body = token.subarray(0, HEADER_LENGTH + cidLength)
    const mac = token.subarray(HEADER_LENGTH + cidLength)
    if (!timingSafeEqual(mac, this.#mac(body, address))) return null
    const expiry = Buffer.from(body.buffer, body.byteOffset, body.length).readBigUInt64BE(1)
    if (BigInt(Math.floor(now)) > expiry) return null
    return token.slice(HEADER_LENGTH, HEADER_LENGTH + cidLength)
  }

  #mac(body: Uint8Array, address: RetryTokenAddress): Buffer {
    // The host goes last: its length is then implied, so no two (host, port) pairs feed the MAC the same bytes.
    const port = Buffer.alloc(2)
    port.writeUInt16BE(address.port)
    return createHmac('sha256', this.#secret).update(body).update(port).update(address.host, 'utf8').digest()
  }
}

function isPort(port: unknown): port is number {
  return typeof port === 'number' && Number.isInteger(port) && port >= 0 && port <= 0xffff
}
