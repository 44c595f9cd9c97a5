/**
 * Runs in the page (bundled by the tests): drives `WebTransportConnection`s on behalf of a Node-side proxy. Node calls
 * `qmsHarness.<op>(...)` through `page.evaluate`; what the browser receives (streams, bytes, datagrams, closes) goes
 * back through the `qmsEvent` binding. Bytes travel as base64. Operations never throw across the boundary: they
 * return `{ error }` with the QmsError's code, message and details, so the proxy can rethrow the same error.
 */
import type { ConnectionStats, QuicStream } from '@quic-multistream/transport'
import { WebTransportConnection } from '../../src/wt-connection.js'

/** A failure as it crosses to Node. */
export interface WireError {
  code: string
  message: string
  details?: Record<string, unknown>
}

/** What the page reports to Node. */
export type HarnessEvent =
  | { type: 'stream'; conn: number; stream: number; id: number; direction: 'bidi' | 'uni'; initiator: 'remote' }
  | { type: 'data'; stream: number; data: string }
  | { type: 'fin'; stream: number }
  | { type: 'read-error'; stream: number; error: WireError }
  | { type: 'stream-closed'; stream: number }
  | { type: 'datagram'; conn: number; data: string }
  | {
      type: 'closed'
      conn: number
      info: { code: number; reason: string; remote: boolean; app: boolean; error?: WireError }
    }
  | { type: 'stats'; conn: number; stats: ConnectionStats }

/** The result of an operation: its value, or the error it failed with, plus the connection's latest stats. */
export type HarnessResult<T> = ({ ok: T } | { error: WireError }) & { conn?: number; stats?: ConnectionStats }

declare const qmsEvent: (event: HarnessEvent) => Promise<void>

const conns = new Map<number, WebTransportConnection>()
const streams = new Map<number, { conn: number; stream: QuicStream }>()
let nextHandle = 1

function toBase64(bytes: Uint8Array): string {
  let s = ''
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000))
  return btoa(s)
}

function fromBase64(b64: string): Uint8Array {
  const s = atob(b64)
  const out = new Uint8Array(s.length)
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i)
  return out
}

function wireError(e: unknown): WireError {
  const err = e as { code?: unknown; message?: unknown; details?: unknown }
  const out: WireError = {
    code: typeof err?.code === 'string' ? err.code : 'ERR_UNKNOWN',
    message: typeof err?.message === 'string' ? err.message : String(e),
  }
  if (err?.details && typeof err.details === 'object') out.details = err.details as Record<string, unknown>
  return out
}

async function run<T>(conn: number | undefined, fn: () => T | Promise<T>): Promise<HarnessResult<T>> {
  const withStats = <R extends object>(r: R) => {
    const s = conn === undefined ? undefined : conns.get(conn)?.stats()
    return s ? { ...r, conn, stats: s } : r
  }
  try {
    return withStats({ ok: await fn() })
  } catch (e) {
    return withStats({ error: wireError(e) })
  }
}

function track(conn: number, stream: QuicStream): number {
  const handle = nextHandle++
  streams.set(handle, { conn, stream })
  void stream.closed.then(() => qmsEvent({ type: 'stream-closed', stream: handle }))
  return handle
}

/** Sends everything the stream receives to Node, as it arrives. */
async function pump(handle: number, stream: QuicStream): Promise<void> {
  try {
    for await (const chunk of stream) await qmsEvent({ type: 'data', stream: handle, data: toBase64(chunk) })
    await qmsEvent({ type: 'fin', stream: handle })
  } catch (e) {
    await qmsEvent({ type: 'read-error', stream: handle, error: wireError(e) })
  }
}

function streamOf(handle: number): QuicStream {
  const s = streams.get(handle)
  if (!s) throw Object.assign(new Error(`no stream ${handle}`), { code: 'ERR_STREAM_STATE' })
  return s.stream
}

function connOf(handle: number): WebTransportConnection {
  const c = conns.get(handle)
  if (!c) throw Object.assign(new Error(`no connection ${handle}`), { code: 'ERR_CONNECTION_CLOSED' })
  return c
}

const harness = {
  connect: (url: string, hashes: string[]) =>
    run(undefined, async () => {
      const conn = await WebTransportConnection.open(url, { serverCertificateHashes: hashes })
      const handle = nextHandle++
      conns.set(handle, conn)
      void (async () => {
        for await (const s of conn.incomingStreams) {
          const h = track(handle, s)
          await qmsEvent({
            type: 'stream',
            conn: handle,
            stream: h,
            id: s.id,
            direction: s.direction,
            initiator: 'remote',
          })
          void pump(h, s)
        }
      })()
      void (async () => {
        for await (const d of conn.incomingDatagrams)
          await qmsEvent({ type: 'datagram', conn: handle, data: toBase64(d) })
      })()
      void conn.closed.then(async (info) => {
        await qmsEvent({ type: 'stats', conn: handle, stats: conn.stats() })
        const { error, ...rest } = info
        await qmsEvent({ type: 'closed', conn: handle, info: error ? { ...rest, error: wireError(error) } : rest })
      })
      return { conn: handle, id: conn.id, alpn: conn.alpn, remoteAddress: conn.remoteAddress }
    }),
  open: (conn: number, direction: 'bidi' | 'uni', priority: number | undefined) =>
    run(conn, async () => {
      const c = connOf(conn)
      const opts = priority === undefined ? {} : { priority }
      const s = direction === 'bidi' ? await c.openBidi(opts) : await c.openUni(opts)
      const handle = track(conn, s)
      if (direction === 'bidi') void pump(handle, s)
      return { stream: handle, id: s.id, priority: s.priority }
    }),
  write: (stream: number, data: string) =>
    run(streams.get(stream)?.conn, async () => {
      // The write starts before the first await, so writes issued in order reach the stream in order.
      const s = streamOf(stream)
      await s.write(fromBase64(data))
      return s.stats()
    }),
  end: (stream: number, data: string | undefined) =>
    run(streams.get(stream)?.conn, async () => {
      const s = streamOf(stream)
      await s.end(data === undefined ? undefined : fromBase64(data))
      return s.stats()
    }),
  reset: (stream: number, code: number) => run(streams.get(stream)?.conn, () => streamOf(stream).reset(code)),
  stopSending: (stream: number, code: number) =>
    run(streams.get(stream)?.conn, () => streamOf(stream).stopSending(code)),
  setPriority: (stream: number, priority: number) =>
    run(streams.get(stream)?.conn, () => streamOf(stream).setPriority(priority)),
  streamStats: (stream: number) => run(streams.get(stream)?.conn, () => streamOf(stream).stats()),
  maxDatagramSize: (conn: number) => run(conn, () => connOf(conn).maxDatagramSize),
  sendDatagram: (conn: number, data: string) => run(conn, () => connOf(conn).sendDatagram(fromBase64(data))),
  stats: (conn: number) => run(conn, () => connOf(conn).stats()),
  close: (conn: number, code: number, reason: string) =>
    run(conn, async () => {
      await connOf(conn).close(code, reason)
    }),
}

/** The harness as Node calls it. */
export type Harness = typeof harness

;(globalThis as { qmsHarness?: Harness }).qmsHarness = harness
