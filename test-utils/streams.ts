/** Stream helpers for tests: read to the end, and an echo service. No test-runner imports, so child processes can use them. */
import type { QuicConnection, QuicStream } from '@quic-multistream/transport'

/** Reads a stream to its end. */
export async function readAll(stream: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = []
  for await (const chunk of stream) parts.push(chunk)
  return Buffer.concat(parts)
}

/** Serves every incoming stream of `conn`: bidi streams are echoed back; uni streams are echoed on a new uni stream. */
export function echoStreams(conn: QuicConnection): void {
  void (async () => {
    for await (const s of conn.incomingStreams) void echoOne(conn, s)
  })().catch(() => {})
}

async function echoOne(conn: QuicConnection, s: QuicStream): Promise<void> {
  try {
    if (s.direction === 'bidi') {
      for await (const chunk of s) await s.write(chunk)
      await s.end()
    } else {
      const data = await readAll(s)
      const out = await conn.openUni()
      await out.end(data)
    }
  } catch {
    // Resets and closes are part of some tests; the echo side just stops.
  }
}
