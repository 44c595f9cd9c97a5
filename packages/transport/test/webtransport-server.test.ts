import { echoStreams, readAll, serverCert } from '@qms/test-utils'
import {
  connectWebTransport,
  createEndpoint,
  type QuicConnection,
  type QuicEndpoint,
  type QuicStream,
  type WebTransportEndpoint,
  withWebTransport,
} from '@quic-multistream/transport'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { H3Error } from '../src/webtransport/errors.js'
import { encodeFrame, FrameType, readFrame } from '../src/webtransport/h3-frames.js'
import { encodeSettingsFrame } from '../src/webtransport/h3-settings.js'
import { decodeFieldSection, encodeFieldSection, type HeaderList } from '../src/webtransport/qpack.js'
import { StreamReader } from '../src/webtransport/stream-reader.js'
import { encodeVarints } from '../src/webtransport/varint.js'

// The HTTP/3 server against hand-made (and broken) HTTP/3 from a raw QUIC connection, over real UDP on 127.0.0.1.
let server: WebTransportEndpoint
let client: QuicEndpoint
let accepted: QuicConnection[] = []
let waiter: ((c: QuicConnection) => void) | undefined

const GREASE = 0x1f * 3 + 0x21
const SETTINGS = encodeSettingsFrame(
  new Map([
    [0x33, 1],
    [0x2b603742, 1],
  ]),
)

const concat = (...parts: Uint8Array[]) => Uint8Array.from(Buffer.concat(parts))
const headersFrame = (h: HeaderList) => encodeFrame(FrameType.HEADERS, encodeFieldSection(h))
const connectRequest = (path: string): HeaderList => [
  [':method', 'CONNECT'],
  [':protocol', 'webtransport'],
  [':scheme', 'https'],
  [':authority', 'localhost'],
  [':path', path],
]

function nextAccepted(): Promise<QuicConnection> {
  const c = accepted.shift()
  if (c) return Promise.resolve(c)
  return new Promise((r) => {
    waiter = r
  })
}

/** A raw HTTP/3 connection: QUIC with ALPN h3, nothing sent yet. */
function rawH3(): Promise<QuicConnection> {
  return client.connect({ host: '127.0.0.1', port: server.address.port, alpn: ['h3'] })
}

/** Opens our control stream and sends `frames` on it (a valid SETTINGS first unless told otherwise). */
async function control(conn: QuicConnection, ...frames: Uint8Array[]): Promise<QuicStream> {
  const s = await conn.openUni()
  await s.write(concat(encodeVarints(0x00), ...frames))
  return s
}

/** Reads the response HEADERS of a request stream. */
async function response(s: QuicStream): Promise<HeaderList> {
  const reader = new StreamReader(s[Symbol.asyncIterator]())
  for (;;) {
    const frame = await readFrame(reader, new Set([FrameType.HEADERS]))
    if (frame === null) throw new Error('no response')
    if (frame.type === FrameType.HEADERS) return decodeFieldSection(frame.payload)
  }
}

async function expectConnectionError(conn: QuicConnection, code: number): Promise<void> {
  expect(await conn.closed).toMatchObject({ code, remote: true, app: true })
}

beforeAll(async () => {
  const cert = await serverCert()
  const endpoint = await createEndpoint({ alpn: ['qms/1', 'h3'], tls: { cert: cert.cert, key: cert.key } })
  server = withWebTransport(endpoint, { paths: ['/wt'] })
  client = await createEndpoint({ tls: { pinSha256: [cert.sha256] } })
  void (async () => {
    for await (const c of server.incomingConnections) {
      const w = waiter
      waiter = undefined
      if (w) w(c)
      else accepted.push(c)
    }
  })()
})

afterAll(async () => {
  await client?.close({ timeoutMs: 500 })
  await server?.close({ timeoutMs: 500 })
})

const port = () => server.address.port

describe('WebTransport server: requests', () => {
  it('answers 404 for a path it does not serve', async () => {
    const before = server.webTransportStats().requestsRejected
    await expect(
      connectWebTransport(client, { host: '127.0.0.1', port: port(), path: '/elsewhere' }),
    ).rejects.toMatchObject({
      code: 'ERR_WEBTRANSPORT_REJECTED',
      details: { status: 404 },
    })
    expect(server.webTransportStats().requestsRejected).toBe(before + 1)
  })

  it('serves a native qms/1 connection and a WebTransport session on the same endpoint at once', async () => {
    accepted = []
    const native = await client.connect({ host: '127.0.0.1', port: port() })
    const session = await connectWebTransport(client, { host: '127.0.0.1', port: port(), path: '/wt?peer=a' })
    const first = await nextAccepted()
    const second = await nextAccepted()
    const byAlpn = new Map([first, second].map((c) => [c.alpn, c]))
    expect([...byAlpn.keys()].sort()).toEqual(['qms/1', 'webtransport'])
    expect((byAlpn.get('webtransport') as { path?: string }).path).toBe('/wt?peer=a')
    for (const c of byAlpn.values()) echoStreams(c)
    for (const conn of [native, session]) {
      const s = await conn.openBidi()
      await s.end(Buffer.from(`hello ${conn.alpn}`))
      expect((await readAll(s)).toString()).toBe(`hello ${conn.alpn}`)
    }
    expect(server.connections.has(byAlpn.get('webtransport') as QuicConnection)).toBe(true)
    await session.close(0, 'done')
    await native.close(0, 'done')
  })

  it("negotiates the client's first ALPN that the server lists, whatever the server's own order", async () => {
    accepted = []
    const native = await client.connect({ host: '127.0.0.1', port: port(), alpn: ['qms/1', 'h3'] })
    expect(native.alpn).toBe('qms/1')
    expect((await nextAccepted()).alpn).toBe('qms/1')
    const h3 = await client.connect({ host: '127.0.0.1', port: port(), alpn: ['h3', 'qms/1'] })
    expect(h3.alpn).toBe('h3')
    await native.close(0)
    await h3.close(0)
  })

  it('resets a malformed request (extended CONNECT without :authority) with H3_MESSAGE_ERROR', async () => {
    const before = server.webTransportStats().malformedRequests
    const conn = await rawH3()
    await control(conn, SETTINGS)
    const s = await conn.openBidi()
    await s.end(headersFrame(connectRequest('/wt').filter(([n]) => n !== ':authority')))
    await expect(readAll(s)).rejects.toMatchObject({
      code: 'ERR_STREAM_RESET',
      details: { code: H3Error.MESSAGE_ERROR },
    })
    expect(server.webTransportStats().malformedRequests).toBe(before + 1)
    expect(conn.isOpen).toBe(true)
    await conn.close(0)
  })

  it('answers a GET with 405 and a request that ends inside a frame with H3_REQUEST_INCOMPLETE', async () => {
    const conn = await rawH3()
    await control(conn, SETTINGS)
    const get = await conn.openBidi()
    await get.end(
      headersFrame([
        [':method', 'GET'],
        [':scheme', 'https'],
        [':authority', 'x'],
        [':path', '/wt'],
      ]),
    )
    expect(await response(get)).toContainEqual([':status', '405'])
    const cut = await conn.openBidi()
    await cut.end(headersFrame(connectRequest('/wt')).subarray(0, 5))
    await expect(readAll(cut)).rejects.toMatchObject({ details: { code: H3Error.REQUEST_INCOMPLETE } })
    await conn.close(0)
  })

  it('ignores GREASE streams, unknown frames and QPACK streams, then serves the session', async () => {
    const before = server.webTransportStats().streamsRejected
    const conn = await rawH3()
    await control(conn, SETTINGS, encodeFrame(GREASE, Uint8Array.from([1, 2, 3])))
    for (const type of [0x02, 0x03]) await (await conn.openUni()).write(encodeVarints(type))
    await (await conn.openUni()).end(concat(encodeVarints(GREASE), Uint8Array.from([9, 9, 9])))
    const s = await conn.openBidi()
    await s.write(concat(encodeFrame(GREASE, new Uint8Array(10)), headersFrame(connectRequest('/wt'))))
    expect(await response(s)).toContainEqual([':status', '200'])
    const session = await nextAccepted()
    expect(session.alpn).toBe('webtransport')
    expect(server.webTransportStats().streamsRejected).toBe(before + 1)
    await conn.close(0)
    await session.closed
  })
})

describe('WebTransport server: streams and datagrams', () => {
  it('holds a stream that arrives before its CONNECT and hands it to the session', async () => {
    const conn = await rawH3()
    await control(conn, SETTINGS)
    const connectStream = await conn.openBidi() // id 0: the session id
    const early = await conn.openBidi()
    await early.end(concat(encodeVarints(0x41, connectStream.id), Buffer.from('early bird')))
    await new Promise((r) => setTimeout(r, 50))
    await connectStream.write(headersFrame(connectRequest('/wt')))
    const session = await nextAccepted()
    for await (const s of session.incomingStreams) {
      expect((await readAll(s)).toString()).toBe('early bird')
      break
    }
    await conn.close(0)
  })

  it('ends a session whose CONNECT stream carries a malformed close capsule, resetting it with H3_MESSAGE_ERROR', async () => {
    const conn = await rawH3()
    await control(conn, SETTINGS)
    const connect = await conn.openBidi()
    await connect.write(headersFrame(connectRequest('/wt')))
    expect(await response(connect)).toContainEqual([':status', '200'])
    const session = await nextAccepted()
    await connect.write(encodeFrame(FrameType.DATA, encodeVarints(0x2843, 2, 0, 0)))
    expect(await session.closed).toMatchObject({
      remote: true,
      error: expect.objectContaining({ code: 'ERR_H3_PROTOCOL' }),
    })
    await expect(readAll(connect)).rejects.toMatchObject({ details: { code: H3Error.MESSAGE_ERROR } })
    await conn.close(0)
  })

  it('refuses a stream naming a session that cannot exist, and counts a datagram for no session', async () => {
    const before = server.webTransportStats()
    const conn = await rawH3()
    await control(conn, SETTINGS)
    const s = await conn.openBidi()
    await s.write(concat(encodeVarints(0x41, 1), Buffer.from('nobody')))
    await expect(readAll(s)).rejects.toMatchObject({
      code: 'ERR_STREAM_RESET',
      details: { code: H3Error.WT_BUFFERED_STREAM_REJECTED },
    })
    expect(server.webTransportStats().streamsRejected).toBe(before.streamsRejected + 1)
    // Unreliable: resend until the server has counted one.
    while (server.webTransportStats().datagramsUnroutable === before.datagramsUnroutable) {
      conn.sendDatagram(concat(encodeVarints(25), Buffer.from('lost')))
      await new Promise((r) => setTimeout(r, 20))
    }
    await conn.close(0)
  })
})

describe('WebTransport server: connection errors', () => {
  const cases: Array<[string, number, (conn: QuicConnection) => Promise<unknown>]> = [
    [
      'a control stream that does not start with SETTINGS',
      H3Error.MISSING_SETTINGS,
      (c) => control(c, encodeFrame(FrameType.GOAWAY, encodeVarints(0))),
    ],
    ['a second SETTINGS frame', H3Error.FRAME_UNEXPECTED, (c) => control(c, SETTINGS, SETTINGS)],
    [
      'DATA on the control stream',
      H3Error.FRAME_UNEXPECTED,
      (c) => control(c, SETTINGS, encodeFrame(FrameType.DATA, new Uint8Array(1))),
    ],
    [
      'an HTTP/2-only frame type',
      H3Error.FRAME_UNEXPECTED,
      (c) => control(c, SETTINGS, encodeFrame(0x06, new Uint8Array(8))),
    ],
    [
      'a setting sent twice',
      H3Error.SETTINGS_ERROR,
      (c) => control(c, encodeFrame(FrameType.SETTINGS, encodeVarints(0x33, 1, 0x33, 1))),
    ],
    ['an ended control stream', H3Error.CLOSED_CRITICAL_STREAM, async (c) => (await control(c, SETTINGS)).end()],
    [
      'a reset QPACK encoder stream',
      H3Error.CLOSED_CRITICAL_STREAM,
      async (c) => {
        await control(c, SETTINGS)
        const qpack = await c.openUni()
        await qpack.write(encodeVarints(0x02))
        // Let the stream type arrive first: only then is the stream known to be critical.
        await new Promise((r) => setTimeout(r, 50))
        qpack.reset(0)
      },
    ],
    [
      'a second control stream',
      H3Error.STREAM_CREATION_ERROR,
      async (c) => {
        await control(c, SETTINGS)
        await control(c, SETTINGS)
      },
    ],
    [
      'a dynamic-table reference in HEADERS',
      H3Error.QPACK_DECOMPRESSION_FAILED,
      async (c) => {
        await control(c, SETTINGS)
        await (await c.openBidi()).write(encodeFrame(FrameType.HEADERS, Uint8Array.from([0x03, 0x81, 0x10])))
      },
    ],
    [
      'an oversize HEADERS frame',
      H3Error.EXCESSIVE_LOAD,
      async (c) => {
        await control(c, SETTINGS)
        await (await c.openBidi()).write(concat(encodeVarints(FrameType.HEADERS, 1_000_000), new Uint8Array(100)))
      },
    ],
    [
      'DATA before HEADERS on a request',
      H3Error.FRAME_UNEXPECTED,
      async (c) => {
        await control(c, SETTINGS)
        await (await c.openBidi()).write(encodeFrame(FrameType.DATA, new Uint8Array(4)))
      },
    ],
  ]
  for (const [what, code, send] of cases) {
    it(`closes the connection with 0x${code.toString(16)} for ${what}`, async () => {
      const before = server.webTransportStats().protocolErrors
      const conn = await rawH3()
      await send(conn)
      await expectConnectionError(conn, code)
      expect(server.webTransportStats().protocolErrors).toBe(before + 1)
    })
  }

  it('survives random bytes after SETTINGS: the connection closes with an HTTP/3 code or stays open', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 64 }), async (junk) => {
        const conn = await rawH3()
        await control(conn, SETTINGS, junk)
        const s = await conn.openBidi()
        await s.end(junk)
        const info = await Promise.race([conn.closed, new Promise<null>((r) => setTimeout(() => r(null), 100))])
        if (info !== null) expect(info.code >= 0x100 && info.code <= 0x202).toBe(true)
        await conn.close(0)
      }),
      { numRuns: 15 },
    )
    const session = await connectWebTransport(client, { host: '127.0.0.1', port: port(), path: '/wt' })
    expect(session.isOpen).toBe(true)
    await session.close(0)
  })
})
