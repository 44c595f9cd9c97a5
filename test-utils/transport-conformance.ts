/**
 * The transport conformance suite (the js-libp2p habit): one set of behavioural tests that every implementation of
 * `QuicConnection`/`QuicStream` must pass: the native QUIC endpoint, the WebTransport path, test doubles.
 * An implementation provides a factory that returns a connected pair; each test gets a fresh pair.
 */
import { createHash, randomBytes } from 'node:crypto'
import type { QuicConnection } from '@quic-multistream/transport'
import { afterEach, describe, expect, it } from 'vitest'
import { echoStreams, readAll } from './streams.js'

/** A connected pair: `client` dialed, `server` accepted. */
export interface ConnectionPair {
  client: QuicConnection
  server: QuicConnection
  /** Tears the pair down (and anything the factory started for it). */
  close(): Promise<void>
}

export interface ConformanceOptions {
  /** Bytes for the large byte-exact transfer; default 16 MiB. */
  largeTransferBytes?: number
  /** Streams over one connection's lifetime; default 10,000. */
  lifetimeStreams?: number
  /** Streams open at once; default 1,000 (must not exceed the implementation's stream limit). */
  concurrentStreams?: number
}

async function next<T>(it: AsyncIterable<T>): Promise<T> {
  for await (const v of it) return v
  throw new Error('iterable ended')
}

function sha(b: Uint8Array): string {
  return createHash('sha256').update(b).digest('hex')
}

/** Registers the suite under `describe(name)`. */
export function transportConformance(
  name: string,
  factory: () => Promise<ConnectionPair>,
  options: ConformanceOptions = {},
): void {
  const large = options.largeTransferBytes ?? 16 * 1024 * 1024
  const lifetime = options.lifetimeStreams ?? 10_000
  const concurrent = options.concurrentStreams ?? 1_000

  describe(`transport conformance: ${name}`, () => {
    let pair: ConnectionPair | undefined
    const open = async () => {
      pair = await factory()
      return pair
    }
    afterEach(async () => {
      await pair?.close()
      pair = undefined
    })

    it('echoes a bidirectional stream opened by the client', async () => {
      const { client, server } = await open()
      echoStreams(server)
      const s = await client.openBidi()
      expect(s.direction).toBe('bidi')
      expect(s.initiator).toBe('local')
      await s.end(Buffer.from('ping from client'))
      expect((await readAll(s)).toString()).toBe('ping from client')
    })

    it('echoes a bidirectional stream opened by the server', async () => {
      const { client, server } = await open()
      echoStreams(client)
      const s = await server.openBidi()
      await s.write(Buffer.from('ping '))
      await s.end(Buffer.from('from server'))
      expect((await readAll(s)).toString()).toBe('ping from server')
    })

    it('carries unidirectional streams in both directions', async () => {
      const { client, server } = await open()
      echoStreams(server)
      const out = await client.openUni()
      expect(out.direction).toBe('uni')
      await out.end(Buffer.from('one way'))
      const back = await next(client.incomingStreams)
      expect(back.direction).toBe('uni')
      expect(back.initiator).toBe('remote')
      expect((await readAll(back)).toString()).toBe('one way')
    })

    it('delivers datagrams in both directions', async () => {
      const { client, server } = await open()
      expect(client.maxDatagramSize).toBeGreaterThan(1000)
      const payload = randomBytes(1000)
      const atServer = next(server.incomingDatagrams)
      // Datagrams are unreliable: resend until one arrives (loopback rarely needs a second).
      const resend = setInterval(() => client.sendDatagram(payload), 50)
      client.sendDatagram(payload)
      try {
        expect(Buffer.from(await atServer).equals(payload)).toBe(true)
      } finally {
        clearInterval(resend)
      }
      const atClient = next(client.incomingDatagrams)
      const resend2 = setInterval(() => server.sendDatagram(payload), 50)
      server.sendDatagram(payload)
      try {
        expect(Buffer.from(await atClient).equals(payload)).toBe(true)
      } finally {
        clearInterval(resend2)
      }
      expect(client.stats().datagramsSent).toBeGreaterThan(0)
      expect(server.stats().datagramsReceived).toBeGreaterThan(0)
    })

    it('rejects an oversize datagram with ERR_DATAGRAM_TOO_LARGE', async () => {
      const { client } = await open()
      const max = client.maxDatagramSize
      expect(() => client.sendDatagram(new Uint8Array(max + 1))).toThrow(
        expect.objectContaining({ code: 'ERR_DATAGRAM_TOO_LARGE' }),
      )
      expect(() => client.sendDatagram(new Uint8Array(max))).not.toThrow()
    })

    it(`transfers ${large >> 20} MiB byte-exact on one stream in both directions`, async () => {
      const { client, server } = await open()
      echoStreams(server)
      const data = randomBytes(large)
      const s = await client.openBidi()
      const echoed = readAll(s)
      for (let off = 0; off < data.length; off += 256 * 1024) await s.write(data.subarray(off, off + 256 * 1024))
      await s.end()
      const back = await echoed
      expect(back.length).toBe(data.length)
      expect(sha(back)).toBe(sha(data))
    })

    it(`keeps ${concurrent} streams open at once`, async () => {
      const { client, server } = await open()
      echoStreams(server)
      const streams = await Promise.all(Array.from({ length: concurrent }, () => client.openBidi()))
      expect(new Set(streams.map((s) => s.id)).size).toBe(concurrent)
      // Every stream is open (written but not finished) before any is ended.
      await Promise.all(streams.map((s, i) => s.write(Buffer.from(`stream-${i}:`))))
      const replies = streams.map((s) => readAll(s))
      await Promise.all(streams.map((s, i) => s.end(Buffer.from(String(i)))))
      const got = await Promise.all(replies)
      for (const [i, b] of got.entries()) expect(b.toString()).toBe(`stream-${i}:${i}`)
    })

    it(`runs ${lifetime} streams over one connection's lifetime`, async () => {
      const { client, server } = await open()
      echoStreams(server)
      let done = 0
      const worker = async () => {
        while (done < lifetime) {
          done++
          const s = await client.openBidi()
          await s.end(Buffer.from('x'))
          const b = await readAll(s)
          if (b.toString() !== 'x') throw new Error('bad echo')
        }
      }
      await Promise.all(Array.from({ length: 50 }, worker))
      expect(client.stats().streamsOpened).toBeGreaterThanOrEqual(lifetime)
      expect(client.stats().streamsClosed).toBeGreaterThanOrEqual(lifetime - 50)
    })

    it('reports a peer reset to the reader as ERR_STREAM_RESET with the code', async () => {
      const { client, server } = await open()
      const s = await client.openBidi()
      await s.write(Buffer.from('partial'))
      const remote = await next(server.incomingStreams)
      const reading = readAll(remote)
      s.reset(77)
      await expect(reading).rejects.toMatchObject({ code: 'ERR_STREAM_RESET', details: { code: 77 } })
    })

    it("reports the peer's STOP_SENDING to the writer as ERR_STREAM_STOPPED", async () => {
      const { client, server } = await open()
      const s = await client.openBidi()
      await s.write(Buffer.from('hello'))
      const remote = await next(server.incomingStreams)
      remote.stopSending(5)
      const chunk = Buffer.alloc(64 * 1024)
      await expect(
        (async () => {
          for (let i = 0; i < 10_000; i++) await s.write(chunk)
        })(),
      ).rejects.toMatchObject({ code: 'ERR_STREAM_STOPPED' })
    })

    it('applies backpressure: writes stay pending while the peer does not read', async () => {
      const { client, server } = await open()
      const s = await client.openBidi()
      await s.write(Buffer.from('start'))
      await next(server.incomingStreams) // accepted, never read
      const chunk = Buffer.alloc(1024 * 1024)
      let resolved = 0
      const writes = Array.from({ length: 64 }, () => s.write(chunk).then(() => resolved++))
      await new Promise((r) => setTimeout(r, 300))
      expect(resolved).toBeLessThan(64)
      expect(s.stats().bytesBuffered).toBeGreaterThan(0)
      s.reset(0)
      await Promise.allSettled(writes)
    })

    it('delivers the application close code and reason to the peer', async () => {
      const { client, server } = await open()
      const closed = server.closed
      await client.close(42, 'work finished')
      const info = await closed
      expect(info).toMatchObject({ code: 42, reason: 'work finished', remote: true, app: true })
      expect(server.isOpen).toBe(false)
      await expect(client.openBidi()).rejects.toMatchObject({ code: 'ERR_CONNECTION_CLOSED' })
    })

    it('fails pending reads and writes with ERR_CONNECTION_CLOSED when the connection closes', async () => {
      const { client, server } = await open()
      const s = await client.openBidi()
      await s.write(Buffer.from('x'))
      const remote = await next(server.incomingStreams)
      const reading = readAll(remote)
      // The read may fail while `close` is still settling (WebTransport closes the session first): observe it now so
      // the rejection is never unhandled; the assertion below still checks it.
      reading.catch(() => undefined)
      await client.close(1, 'gone')
      await expect(reading).rejects.toMatchObject({ code: expect.stringMatching(/^ERR_/) })
      await expect(s.write(Buffer.from('more'))).rejects.toMatchObject({ code: expect.stringMatching(/^ERR_/) })
    })
  })
}
