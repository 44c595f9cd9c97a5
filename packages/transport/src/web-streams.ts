import type { QuicStream } from './types.js'

/**
 * The Web Streams view of a stream's sending side, shared by every implementation in this package: writing writes,
 * closing ends the stream (FIN), and aborting resets it with the abort reason when that is a number, else 0.
 */
export function writableOf(stream: Pick<QuicStream, 'write' | 'end' | 'reset'>): WritableStream<Uint8Array> {
  return new WritableStream<Uint8Array>({
    write: (chunk) => stream.write(chunk),
    close: () => stream.end(),
    abort: (reason) => stream.reset(typeof reason === 'number' ? reason : 0),
  })
}
