import type { CloseInfo, QuicConnection, QuicEndpoint, QuicStream } from '@quic-multistream/transport'

/** What an echo service has done so far; the object is live (updated in place). */
export interface EchoCounters {
  connections: number
  streams: number
  /** Stream bytes echoed. */
  bytes: number
  datagrams: number
}

/** Callbacks for logging connections as they come and go. */
export interface EchoEvents {
  onConnection?(conn: QuicConnection): void
  onClose?(conn: QuicConnection, info: CloseInfo): void
}

/**
 * Echoes every bidirectional stream (chunk by chunk, with backpressure) and every datagram on every connection the
 * endpoint accepts, until the endpoint closes. Streams the peer opened one-way have nowhere to echo to: they are
 * refused with STOP_SENDING.
 */
export function serveEcho(endpoint: QuicEndpoint, events: EchoEvents = {}): EchoCounters {
  const counters: EchoCounters = { connections: 0, streams: 0, bytes: 0, datagrams: 0 }
  void (async () => {
    for await (const conn of endpoint.incomingConnections) {
      counters.connections++
      events.onConnection?.(conn)
      void conn.closed.then((info) => events.onClose?.(conn, info))
      void echoStreams(conn, counters)
      void echoDatagrams(conn, counters)
    }
  })()
  return counters
}

async function echoStreams(conn: QuicConnection, counters: EchoCounters): Promise<void> {
  // Each stream gets a task of its own: awaiting one here would hold up every stream behind it.
  for await (const stream of conn.incomingStreams) {
    if (stream.direction === 'bidi') void echoStream(stream, counters)
    else stream.stopSending()
  }
}

async function echoStream(stream: QuicStream, counters: EchoCounters): Promise<void> {
  counters.streams++
  try {
    for await (const chunk of stream) {
      await stream.write(chunk)
      counters.bytes += chunk.length
    }
    await stream.end()
  } catch {
    // A reset stream or a closed connection ends this echo; the others carry on.
  }
}

async function echoDatagrams(conn: QuicConnection, counters: EchoCounters): Promise<void> {
  for await (const datagram of conn.incomingDatagrams) {
    try {
      conn.sendDatagram(datagram)
      counters.datagrams++
    } catch {
      return // the connection closed under us
    }
  }
}
