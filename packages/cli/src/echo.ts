import type { QuicConnection, QuicEndpoint, QuicStream } from '@quic-multistream/transport'

/** What an echo endpoint has served so far (live object). */
export interface EchoTally {
  connections: number
  streams: number
  bytes: number
  datagrams: number
}

/**
 * Echoes every bidirectional stream (with backpressure) and every datagram of every connection `endpoint` accepts,
 * until it closes. One-way streams have nowhere to echo to and get STOP_SENDING.
 */
export function serveEcho(endpoint: QuicEndpoint, onConnection?: (conn: QuicConnection) => void): EchoTally {
  const tally: EchoTally = { connections: 0, streams: 0, bytes: 0, datagrams: 0 }
  void (async () => {
    for await (const conn of endpoint.incomingConnections) {
      tally.connections++
      onConnection?.(conn)
      void (async () => {
        // Each stream echoes on its own task, so a slow one never holds up the next.
        for await (const stream of conn.incomingStreams) {
          if (stream.direction === 'bidi') void echoStream(stream, tally)
          else stream.stopSending()
        }
      })()
      void (async () => {
        for await (const datagram of conn.incomingDatagrams) {
          try {
            conn.sendDatagram(datagram)
            tally.datagrams++
          } catch {
            return // the connection closed
          }
        }
      })()
    }
  })()
  return tally
}

async function echoStream(stream: QuicStream, tally: EchoTally): Promise<void> {
  tally.streams++
  try {
    for await (const chunk of stream) {
      await stream.write(chunk)
      tally.bytes += chunk.length
    }
    await stream.end()
  } catch {
    // A reset stream or a lost connection ends this echo only.
  }
}

/** Total length of what a stream carried until its FIN. */
export async function drain(stream: AsyncIterable<Uint8Array>): Promise<number> {
  let n = 0
  for await (const chunk of stream) n += chunk.length
  return n
}

/**
 * One request/response over a new stream of `conn`: sends `payload` with FIN and waits for the whole echo. Returns
 * the round-trip time in milliseconds.
 * @throws Error when the echo is not as long as the payload (the server is not an echo server).
 */
export async function echoRoundTrip(conn: QuicConnection, payload: Uint8Array): Promise<number> {
  const started = performance.now()
  const stream = await conn.openBidi()
  await stream.end(payload)
  const received = await drain(stream)
  if (received !== payload.length) {
    throw new Error(`the server echoed ${received} of ${payload.length} bytes: is it a qms serve echo endpoint?`)
  }
  return performance.now() - started
}
