/** HTTP/3 frames (RFC 9114 §7) and the stream types this layer meets. */
import { H3Error, H3ProtocolError } from './errors.js'
import type { StreamReader } from './stream-reader.js'
import { readVarint, varintLength, writeVarint } from './varint.js'

export const FrameType = {
  DATA: 0x00,
  HEADERS: 0x01,
  CANCEL_PUSH: 0x03,
  SETTINGS: 0x04,
  PUSH_PROMISE: 0x05,
  GOAWAY: 0x07,
  MAX_PUSH_ID: 0x0d,
} as const

/** Frame types reserved because HTTP/2 used them; receiving one is H3_FRAME_UNEXPECTED (RFC 9114 §7.2.8). */
export const HTTP2_ONLY_FRAME_TYPES: ReadonlySet<number> = new Set([0x02, 0x06, 0x08, 0x09])

export const StreamType = {
  CONTROL: 0x00,
  PUSH: 0x01,
  QPACK_ENCODER: 0x02,
  QPACK_DECODER: 0x03,
  /** WebTransport unidirectional stream, followed by the session id. */
  WT_UNI: 0x54,
} as const

/** First varint of a WebTransport bidirectional stream, followed by the session id. */
export const WT_BIDI_SIGNAL = 0x41

/** Capsule types (RFC 9297, draft-ietf-webtrans-http3). */
export const CapsuleType = {
  DATAGRAM: 0x00,
  CLOSE_WEBTRANSPORT_SESSION: 0x2843,
  DRAIN_WEBTRANSPORT_SESSION: 0x78ae,
} as const

/** Largest frame payload we buffer (HEADERS, SETTINGS, ...); bigger ones are H3_EXCESSIVE_LOAD. */
export const MAX_BUFFERED_FRAME = 64 * 1024

/** A frame header followed by its payload. */
export function encodeFrame(type: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(varintLength(type) + varintLength(payload.length) + payload.length)
  let off = writeVarint(out, 0, type)
  off = writeVarint(out, off, payload.length)
  out.set(payload, off)
  return out
}

/** A frame as read: its type and (for frames we buffer) its payload. */
export interface Frame {
  type: number
  length: number
  payload: Uint8Array
}

/**
 * Reads the next frame. Frames whose types are in `buffered` are returned with their payload (at most
 * {@link MAX_BUFFERED_FRAME} bytes); other types are skipped and returned with an empty payload, so a peer cannot
 * make us hold an unknown frame in memory. Returns null at a clean end of stream.
 */
export async function readFrame(reader: StreamReader, buffered: ReadonlySet<number>): Promise<Frame | null> {
  const type = await reader.varint('a frame type')
  if (type === null) return null
  return readFrameAfterType(reader, type, buffered)
}

/** {@link readFrame} for a frame whose type was already read. */
export async function readFrameAfterType(
  reader: StreamReader,
  type: number,
  buffered: ReadonlySet<number>,
): Promise<Frame> {
  const length = await reader.requireVarint('a frame length')
  if (!buffered.has(type)) {
    await reader.skip(length, 'a frame payload')
    return { type, length, payload: new Uint8Array(0) }
  }
  if (length > MAX_BUFFERED_FRAME) {
    throw new H3ProtocolError(H3Error.EXCESSIVE_LOAD, `frame 0x${type.toString(16)} of ${length} bytes is too large`)
  }
  return { type, length, payload: await reader.bytes(length, 'a frame payload') }
}

/** Parses the payload of a GOAWAY frame (one varint). */
export function parseGoaway(payload: Uint8Array): number {
  const r = readVarint(payload, 0)
  if (!r || r.next !== payload.length) throw new H3ProtocolError(H3Error.FRAME_ERROR, 'malformed GOAWAY frame')
  return r.value
}
