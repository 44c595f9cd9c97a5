import { echoStreams, startQuicTestbed } from '@qms/test-utils'
import { describe, expect, it } from 'vitest'

describe('Web Streams adapters', () => {
  it('pipes through a stream with readable() and writable()', async () => {
    const bed = await startQuicTestbed()
    try {
      const { client, server } = await bed.pair()
      echoStreams(server)
      const s = await client.openBidi()
      const source = new ReadableStream<Uint8Array>({
        start(controller) {
          for (let i = 0; i < 100; i++) controller.enqueue(new TextEncoder().encode(`chunk ${i};`))
          controller.close()
        },
      })
      const piped = source.pipeTo(s.writable())
      const chunks: string[] = []
      const decoder = new TextDecoder()
      const reader = s.readable().getReader()
      for (;;) {
        const r = await reader.read()
        if (r.done) break
        chunks.push(decoder.decode(r.value, { stream: true }))
      }
      await piped
      expect(chunks.join('')).toBe(Array.from({ length: 100 }, (_, i) => `chunk ${i};`).join(''))
    } finally {
      await bed.close()
    }
  })

  it('cancelling the readable sends STOP_SENDING to the peer', async () => {
    const bed = await startQuicTestbed()
    try {
      const { client, server } = await bed.pair()
      const s = await client.openBidi()
      await s.write(Buffer.from('hi'))
      const remote = (await server.incomingStreams[Symbol.asyncIterator]().next()).value
      await remote.readable().cancel(9)
      await expect(
        (async () => {
          for (let i = 0; i < 10_000; i++) await s.write(Buffer.alloc(64 * 1024))
        })(),
      ).rejects.toMatchObject({ code: 'ERR_STREAM_STOPPED', details: { code: 9 } })
    } finally {
      await bed.close()
    }
  })

  it('aborting the writable resets the stream with the numeric reason as its code', async () => {
    const bed = await startQuicTestbed()
    try {
      const { client, server } = await bed.pair()
      const s = await client.openBidi()
      await s.write(Buffer.from('partial'))
      const remote = (await server.incomingStreams[Symbol.asyncIterator]().next()).value
      const reading = (async () => {
        for await (const _ of remote) {
          // Drain until the reset.
        }
      })()
      await s.writable().abort(23)
      await expect(reading).rejects.toMatchObject({ code: 'ERR_STREAM_RESET', details: { code: 23 } })
    } finally {
      await bed.close()
    }
  })
})
