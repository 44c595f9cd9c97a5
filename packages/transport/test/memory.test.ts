import {
  createMemoryEndpoint,
  isQmsError,
  MemoryNetwork,
  type QuicConnection,
  type QuicEndpoint,
  type QuicStream,
} from '@quic-multistream/transport'
import { afterEach, describe, expect, it } from 'vitest'

const enc = new TextEncoder()
const dec = new TextDecoder()

async function readAll(stream: AsyncIterable<Uint8Array>): Promise<string> {
  let out = ''
  for await (const chunk of stream) out += dec.decode(chunk)
  return out
}

async function first<T>(it: AsyncIterable<T>): Promise<T> {
  for await (const x of it) return x
  throw new Error('iterable ended')
}

/** Settles microtasks and one macrotask turn so that any promise that can settle has settled. */
const settle = () => new Promise((r) => setImmediate(r))

describe('memory transport', () => {
  let endpoints: QuicEndpoint[] = []
  let network: MemoryNetwork

  async function pair(
    serverOptions: Parameters<typeof createMemoryEndpoint>[0] = {},
  ): Promise<{ client: QuicConnection; server: QuicConnection; serverEndpoint: QuicEndpoint }> {
    network = new MemoryNetwork()
    const serverEndpoint = await createMemoryEndpoint({ network, ...serverOptions })
    const clientEndpoint = await createMemoryEndpoint({ network })
    endpoints.push(serverEndpoint, clientEndpoint)
    const accepted = first(serverEndpoint.incomingConnections)
    const client = await clientEndpoint.connect(serverEndpoint.address)
    return { client, server: await accepted, serverEndpoint }
  }

  afterEach(async () => {
    await Promise.all(endpoints.map((e) => e.close()))
    endpoints = []
  })

  it('carries bytes both ways on a bidi stream and ends each direction at its FIN', async () => {
    const { client, server } = await pair()
    const s = await client.openBidi()
    await s.write(enc.encode('hello '))
    await s.end(enc.encode('world'))
    const remote = await first(server.incomingStreams)
    expect(remote.initiator).toBe('remote')
    expect(remote.id).toBe(s.id)
    expect(await readAll(remote)).toBe('hello world')
    await remote.end(enc.encode('back'))
    expect(await readAll(s)).toBe('back')
    await Promise.all([s.closed, remote.closed])
    expect(s.stats().bytesWritten).toBe(11)
  })

  it('numbers streams as RFC 9000 does', async () => {
    const { client, server } = await pair()
    expect([(await client.openBidi()).id, (await client.openBidi()).id, (await client.openUni()).id]).toEqual([0, 4, 2])
    expect([(await server.openBidi()).id, (await server.openUni()).id]).toEqual([1, 3])
  })

  it('fails the reader with ERR_STREAM_RESET carrying the code when the writer resets', async () => {
    const { client, server } = await pair()
    const s = await client.openBidi()
    await s.write(enc.encode('partial'))
    s.reset(42)
    const remote = await first(server.incomingStreams)
    const err = await readAll(remote).catch((e: unknown) => e)
    expect(isQmsError(err, 'ERR_STREAM_RESET')).toBe(true)
    expect((err as { details: { code: number } }).details.code).toBe(42)
    await expect(s.write(enc.encode('more'))).rejects.toMatchObject({ code: 'ERR_STREAM_RESET' })
  })

  it('rejects the writer with ERR_STREAM_STOPPED after the reader calls stopSending', async () => {
    const { client, server } = await pair()
    const s = await client.openBidi()
    await s.write(enc.encode('x'))
    const remote = await first(server.incomingStreams)
    remote.stopSending(7)
    await expect(s.write(enc.encode('y'))).rejects.toMatchObject({ code: 'ERR_STREAM_STOPPED', details: { code: 7 } })
  })

  it('holds write until the reader drains the stream window', async () => {
    const { client, server } = await pair({ streamWindow: 8 })
    const s = await client.openBidi()
    let done = false
    const write = s.write(new Uint8Array(20)).then(() => {
      done = true
    })
    await settle()
    expect(done).toBe(false)
    expect(s.stats().bytesBuffered).toBe(12)
    const remote = await first(server.incomingStreams)
    const it = remote[Symbol.asyncIterator]()
    await it.next()
    await write
    expect(done).toBe(true)
  })

  it('makes openBidi wait for stream credit at the peer limit', async () => {
    const { client, server } = await pair({ maxStreamsBidi: 1 })
    const a = await client.openBidi()
    let second: QuicStream | undefined
    const pending = client.openBidi().then((s) => {
      second = s
    })
    await settle()
    expect(second).toBeUndefined()
    await a.end()
    const remote = await first(server.incomingStreams)
    await readAll(remote)
    await remote.end()
    await readAll(a)
    await pending
    expect(second?.id).toBe(4)
  })

  it('delivers datagrams and refuses ones above maxDatagramSize', async () => {
    const { client, server } = await pair()
    client.sendDatagram(enc.encode('ping'))
    expect(dec.decode(await first(server.incomingDatagrams))).toBe('ping')
    expect(() => client.sendDatagram(new Uint8Array(client.maxDatagramSize + 1))).toThrow(
      expect.objectContaining({ code: 'ERR_DATAGRAM_TOO_LARGE' }),
    )
  })

  it('reports the close code and reason on both sides and ends incoming iterables', async () => {
    const { client, server } = await pair()
    const s = await client.openBidi()
    const reading = readAll(s).catch((e: unknown) => e)
    await client.close(9, 'bye')
    expect(await client.closed).toMatchObject({ code: 9, reason: 'bye', remote: false, app: true })
    expect(await server.closed).toMatchObject({ code: 9, reason: 'bye', remote: true, app: true })
    expect(server.isOpen).toBe(false)
    expect(isQmsError(await reading, 'ERR_CONNECTION_CLOSED')).toBe(true)
    const streams: QuicStream[] = []
    for await (const st of client.incomingStreams) streams.push(st)
    expect(streams).toHaveLength(0)
  })

  it('rejects a dial to an unbound address with ERR_CONNECTION_REFUSED', async () => {
    const ep = await createMemoryEndpoint({ network: new MemoryNetwork() })
    endpoints.push(ep)
    await expect(ep.connect({ host: '127.0.0.1', port: 1 })).rejects.toMatchObject({ code: 'ERR_CONNECTION_REFUSED' })
  })

  it('sever() closes both sides as a lost path, not an application close', async () => {
    const { client, server } = await pair()
    network.sever(client)
    const info = await server.closed
    expect(info.app).toBe(false)
    expect(isQmsError(info.error, 'ERR_IDLE_TIMEOUT')).toBe(true)
    expect((await client.closed).app).toBe(false)
  })

  it('partition() cuts an address off until heal()', async () => {
    const { client, serverEndpoint } = await pair()
    const other = await createMemoryEndpoint({ network })
    endpoints.push(other)
    network.partition(serverEndpoint.address)
    expect((await client.closed).error).toBeDefined()
    await expect(other.connect({ ...serverEndpoint.address, timeoutMs: 5 })).rejects.toMatchObject({
      code: 'ERR_CONNECT_TIMEOUT',
    })
    network.heal(serverEndpoint.address)
    const conn = await other.connect(serverEndpoint.address)
    expect(conn.isOpen).toBe(true)
  })
})
