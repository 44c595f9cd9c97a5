import { type Envelope, FRAME_HEADER_SIZE, FrameDecoder, ProtocolErrorCode, QmsError } from '@quic-multistream/protocol'

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.byteLength === 0) return b
  const out = new Uint8Array(a.byteLength + b.byteLength)
  out.set(a, 0)
  out.set(b, a.byteLength)
  return out
}

/**
 * Reads exactly one frame from a stream and returns the bytes read past it untouched, so that whatever follows (raw
 * bytes, or frames for another decoder) can be handed on intact. Used for the answer to `stream-open`.
 */
export async function readOneFrame(
  iterator: AsyncIterator<Uint8Array>,
  maxFrameSize: number,
): Promise<{ env: Envelope; rest: Uint8Array | undefined }> {
  let buf: Uint8Array = new Uint8Array(0)
  let total = -1
  for (;;) {
    if (total < 0 && buf.byteLength >= FRAME_HEADER_SIZE) {
      // The header's low 31 bits are the payload length (the top bit flags msgpack structures).
      const size = ((buf[0]! & 0x7f) << 24) | (buf[1]! << 16) | (buf[2]! << 8) | buf[3]!
      if (size > maxFrameSize) {
        throw new QmsError(ProtocolErrorCode.FRAME_TOO_LARGE, `frame of ${size} bytes exceeds ${maxFrameSize}`)
      }
      total = FRAME_HEADER_SIZE + size
    }
    if (total >= 0 && buf.byteLength >= total) {
      const [env] = new FrameDecoder({ maxFrameSize }).push(buf.subarray(0, total))
      if (!env) throw new QmsError(ProtocolErrorCode.FRAME_MALFORMED, 'no envelope in the frame')
      return { env, rest: buf.byteLength > total ? buf.subarray(total) : undefined }
    }
    const r = await iterator.next()
    if (r.done) throw new QmsError(ProtocolErrorCode.FRAME_TRUNCATED, 'stream ended before a whole frame arrived')
    buf = concat(buf, r.value)
  }
}
