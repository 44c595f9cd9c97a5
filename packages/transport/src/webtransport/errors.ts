import { QmsError } from '@quic-multistream/protocol'

/** Stable error codes raised by the WebTransport layer. */
export const WebTransportErrorCode = {
  /** The server answered the CONNECT with a non-2xx status (details.status). */
  REJECTED: 'ERR_WEBTRANSPORT_REJECTED',
  /** The peer broke HTTP/3, QPACK or WebTransport framing (details.h3Code). */
  PROTOCOL: 'ERR_H3_PROTOCOL',
  /** The peer did not send its SETTINGS, or they lack what WebTransport needs. */
  SETTINGS: 'ERR_H3_SETTINGS',
  /** No response to the CONNECT in time. */
  TIMEOUT: 'ERR_WEBTRANSPORT_TIMEOUT',
} as const

/** HTTP/3 (RFC 9114 §8.1), QPACK (RFC 9204 §6) and WebTransport error codes as carried in QUIC frames. */
export const H3Error = {
  NO_ERROR: 0x100,
  GENERAL_PROTOCOL_ERROR: 0x101,
  INTERNAL_ERROR: 0x102,
  STREAM_CREATION_ERROR: 0x103,
  CLOSED_CRITICAL_STREAM: 0x104,
  FRAME_UNEXPECTED: 0x105,
  FRAME_ERROR: 0x106,
  EXCESSIVE_LOAD: 0x107,
  ID_ERROR: 0x108,
  SETTINGS_ERROR: 0x109,
  MISSING_SETTINGS: 0x10a,
  REQUEST_REJECTED: 0x10b,
  REQUEST_CANCELLED: 0x10c,
  REQUEST_INCOMPLETE: 0x10d,
  MESSAGE_ERROR: 0x10e,
  CONNECT_ERROR: 0x10f,
  QPACK_DECOMPRESSION_FAILED: 0x200,
  QPACK_ENCODER_STREAM_ERROR: 0x201,
  QPACK_DECODER_STREAM_ERROR: 0x202,
  DATAGRAM_ERROR: 0x33,
  WT_BUFFERED_STREAM_REJECTED: 0x3994bd84,
  WT_SESSION_GONE: 0x170d7b68,
} as const

/** A protocol violation detected while parsing: carries the HTTP/3 code to close or reset with. */
export class H3ProtocolError extends QmsError {
  constructor(
    readonly h3Code: number,
    message: string,
    cause?: unknown,
  ) {
    super(WebTransportErrorCode.PROTOCOL, message, { details: { h3Code }, cause })
    this.name = 'H3ProtocolError'
  }
}

const WT_APP_BASE = 0x52e4a40fa8db
const WT_APP_SPAN = 0x1f

/**
 * WebTransport application error codes (32-bit) live inside the HTTP/3 code space, skipping the GREASE code points
 * (one in every 0x1f), as draft-ietf-webtrans-http3 §4.4 defines.
 */
export function wtCodeToHttp(code: number): number {
  const c = code >>> 0
  return WT_APP_BASE + c + Math.floor(c / (WT_APP_SPAN - 1))
}

/** Inverse of {@link wtCodeToHttp}; codes outside the WebTransport range (or GREASE) read as 0. */
export function httpCodeToWt(code: number): number {
  const max = wtCodeToHttp(0xffffffff)
  if (code < WT_APP_BASE || code > max) return 0
  const shifted = code - WT_APP_BASE
  if (shifted % WT_APP_SPAN === WT_APP_SPAN - 1) return 0
  return shifted - Math.floor(shifted / WT_APP_SPAN)
}
