/** HTTP/3 SETTINGS (RFC 9114 §7.2.4) with the WebTransport and datagram extensions. */
import { H3Error, H3ProtocolError } from './errors.js'
import { encodeFrame, FrameType } from './h3-frames.js'
import { readVarint, varintLength, writeVarint } from './varint.js'

export const SettingId = {
  QPACK_MAX_TABLE_CAPACITY: 0x01,
  MAX_FIELD_SECTION_SIZE: 0x06,
  QPACK_BLOCKED_STREAMS: 0x07,
  /** RFC 9220 extended CONNECT. */
  ENABLE_CONNECT_PROTOCOL: 0x08,
  /** RFC 9297 HTTP datagrams. */
  H3_DATAGRAM: 0x33,
  /** draft-ietf-webtrans-http3-02 (what Chromium calls SETTINGS_WEBTRANS_DRAFT00). */
  ENABLE_WEBTRANSPORT: 0x2b603742,
  /** draft-ietf-webtrans-http3-07 to -12. */
  WT_MAX_SESSIONS_DRAFT07: 0xc671706a,
  /** draft-ietf-webtrans-http3-13 and later. */
  WT_MAX_SESSIONS: 0x14e9cd29,
} as const

/** Identifiers HTTP/2 used that HTTP/3 forbids (RFC 9114 §7.2.4.1). */
const HTTP2_ONLY_SETTINGS: ReadonlySet<number> = new Set([0x02, 0x03, 0x04, 0x05])

/** Settings as received, by identifier. */
export type Settings = ReadonlyMap<number, number>

/**
 * What this layer announces: no dynamic QPACK table, extended CONNECT, datagrams, and WebTransport as draft-02 (what
 * Chromium 156 speaks: it sends SETTINGS_ENABLE_WEBTRANSPORT only) and draft-07. Not draft-13's WT_MAX_SESSIONS:
 * that version makes session flow control mandatory, which this layer does not implement.
 */
export function localSettings(maxSessions: number): Map<number, number> {
  return new Map([
    [SettingId.QPACK_MAX_TABLE_CAPACITY, 0],
    [SettingId.QPACK_BLOCKED_STREAMS, 0],
    [SettingId.ENABLE_CONNECT_PROTOCOL, 1],
    [SettingId.H3_DATAGRAM, 1],
    [SettingId.ENABLE_WEBTRANSPORT, 1],
    [SettingId.WT_MAX_SESSIONS_DRAFT07, maxSessions],
  ])
}

/** A complete SETTINGS frame. */
export function encodeSettingsFrame(settings: ReadonlyMap<number, number>): Uint8Array {
  let n = 0
  for (const [id, v] of settings) n += varintLength(id) + varintLength(v)
  const payload = new Uint8Array(n)
  let off = 0
  for (const [id, v] of settings) {
    off = writeVarint(payload, off, id)
    off = writeVarint(payload, off, v)
  }
  return encodeFrame(FrameType.SETTINGS, payload)
}

/** Parses a SETTINGS payload; duplicate or HTTP/2-only identifiers are H3_SETTINGS_ERROR. */
export function parseSettings(payload: Uint8Array): Map<number, number> {
  const out = new Map<number, number>()
  let off = 0
  while (off < payload.length) {
    const id = readVarint(payload, off)
    const value = id && readVarint(payload, id.next)
    if (!id || !value) throw new H3ProtocolError(H3Error.FRAME_ERROR, 'truncated SETTINGS frame')
    if (HTTP2_ONLY_SETTINGS.has(id.value)) {
      throw new H3ProtocolError(H3Error.SETTINGS_ERROR, `HTTP/2 setting 0x${id.value.toString(16)} in HTTP/3`)
    }
    if (out.has(id.value)) {
      throw new H3ProtocolError(H3Error.SETTINGS_ERROR, `setting 0x${id.value.toString(16)} sent twice`)
    }
    out.set(id.value, value.value)
    off = value.next
  }
  return out
}

/** The peer accepts WebTransport sessions: extended CONNECT plus one of the WebTransport settings. */
export function peerSupportsWebTransport(s: Settings): boolean {
  const wt =
    s.get(SettingId.ENABLE_WEBTRANSPORT) === 1 ||
    (s.get(SettingId.WT_MAX_SESSIONS_DRAFT07) ?? 0) > 0 ||
    (s.get(SettingId.WT_MAX_SESSIONS) ?? 0) > 0
  return wt && s.get(SettingId.ENABLE_CONNECT_PROTOCOL) === 1
}
