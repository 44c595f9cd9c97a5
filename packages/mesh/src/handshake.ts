import { createHash, timingSafeEqual } from 'node:crypto'
import {
  createEnvelope,
  type Envelope,
  encodeFrame,
  FrameDecoder,
  Priority,
  QmsError,
} from '@quic-multistream/protocol'
import type { QuicConnection, QuicStream } from '@quic-multistream/transport'
import { formatAddress } from './address.js'
import { asAuthFailure, CloseCode, MeshErrorCode } from './errors.js'

/** Envelope type of the hello exchange. */
export const HELLO_TYPE = 'qms.hello'

/** Body of a `hello` envelope. */
interface HelloBody {
  /** Mesh protocol version. */
  version: 1
  /** Shared secret, when the mesh uses one. */
  token?: string
  /**
   * Random per pool (per start of an agent): a hello from a known agent id with another instance comes from a
   * restarted process, whose old connection is dead even if QUIC has not noticed yet.
   */
  instance?: string
}

/** Longest instance nonce accepted from a peer (longer ones are ignored, as if absent). */
const MAX_INSTANCE_LENGTH = 64

/** What both sides of a handshake need. */
export interface HandshakeOptions {
  selfId: string
  /** Our instance nonce (see `HelloBody.instance`). */
  instance: string
  token?: string | undefined
  timeoutMs: number
  maxFrameSize: number
}

/** Outcome of a successful handshake. */
export interface HandshakeResult {
  peerId: string
  /** The peer's instance nonce; undefined when it sent none (an older peer). */
  peerInstance: string | undefined
}

/** Outcome of a successful accepting handshake: the incoming-streams iterator continues after the hello stream. */
export interface AcceptResult extends HandshakeResult {
  streams: AsyncIterator<QuicStream>
}

function digest(token: string): Buffer {
  return createHash('sha256').update(token).digest()
}

/** Constant-time check of a presented token against ours (no token configured accepts anyone). */
export function tokenMatches(expected: string | undefined, presented: unknown): boolean {
  if (expected === undefined) return true
  if (typeof presented !== 'string') return false
  return timingSafeEqual(digest(expected), digest(presented))
}

function hello(options: HandshakeOptions, to: string): Envelope {
  const body: HelloBody = { version: 1, instance: options.instance }
  if (options.token !== undefined) body.token = options.token
  return createEnvelope({
    kind: 'hello',
    type: HELLO_TYPE,
    from: options.selfId,
    to,
    priority: Priority.CRITICAL,
    body,
  })
}

/** Reads the first envelope of `stream`, failing after `timeoutMs` or when the connection closes first. */
async function readFirst(stream: QuicStream, conn: QuicConnection, options: HandshakeOptions): Promise<Envelope> {
  const decoder = new FrameDecoder({ maxFrameSize: options.maxFrameSize })
  const iterator = stream[Symbol.asyncIterator]()
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new QmsError(MeshErrorCode.HANDSHAKE, `no hello within ${options.timeoutMs} ms`)),
      options.timeoutMs,
    )
  })
  const read = (async () => {
    for (;;) {
      const r = await iterator.next()
      if (r.done) throw new QmsError(MeshErrorCode.HANDSHAKE, 'stream ended before hello')
      const [env] = decoder.push(r.value)
      if (env) return env
    }
  })()
  try {
    return await Promise.race([read, timeout])
  } catch (e) {
    const info = conn.isOpen ? undefined : await conn.closed
    if (info?.code === CloseCode.AUTH && info.app) {
      throw new QmsError(MeshErrorCode.AUTH, `peer refused us: ${info.reason}`, { cause: e })
    }
    // TLS 1.3 lets a client finish its handshake before the server has checked the client's certificate, so a
    // rejected certificate shows up here, as the connection closing with a TLS alert.
    if (info?.error) throw asAuthFailure(info.error, formatAddress(conn.remoteAddress))
    throw e instanceof QmsError ? e : new QmsError(MeshErrorCode.HANDSHAKE, 'hello exchange failed', { cause: e })
  } finally {
    clearTimeout(timer)
    read.catch(() => {})
  }
}

function checkHello(env: Envelope, options: HandshakeOptions): HandshakeResult {
  if (env.kind === 'error') {
    const code = env.error?.code ?? MeshErrorCode.HANDSHAKE
    throw new QmsError(code, `peer refused the hello: ${env.error?.message ?? ''}`)
  }
  if (env.kind !== 'hello' || env.type !== HELLO_TYPE || env.from.length === 0) {
    throw new QmsError(MeshErrorCode.HANDSHAKE, `expected hello, got ${env.kind} "${env.type}"`)
  }
  const body = env.body as Partial<HelloBody> | null
  if (!tokenMatches(options.token, body?.token)) {
    throw new QmsError(MeshErrorCode.AUTH, `agent "${env.from}" presented a wrong or missing token`, {
      details: { peer: env.from },
    })
  }
  const instance = body?.instance
  const valid = typeof instance === 'string' && instance.length > 0 && instance.length <= MAX_INSTANCE_LENGTH
  return { peerId: env.from, peerInstance: valid ? instance : undefined }
}

/**
 * Dialing side: sends our hello on a fresh critical-priority stream and checks the answer: a token equal to ours
 * (authenticating the listener too) and, when we dialed a known agent, that agent's id. On failure the connection is
 * closed and the error (`ERR_AUTH`, `ERR_HANDSHAKE`) thrown.
 */
export async function dialHandshake(
  conn: QuicConnection,
  options: HandshakeOptions & { expectedId?: string | undefined },
): Promise<HandshakeResult> {
  try {
    const stream = await conn.openBidi({ priority: Priority.CRITICAL })
    await stream.write(encodeFrame(hello(options, options.expectedId ?? '')))
    const reply = await readFirst(stream, conn, options)
    const result = checkHello(reply, options)
    if (options.expectedId !== undefined && result.peerId !== options.expectedId) {
      throw new QmsError(MeshErrorCode.AUTH, `dialed "${options.expectedId}" but "${result.peerId}" answered`, {
        details: { expected: options.expectedId, actual: result.peerId },
      })
    }
    await stream.end().catch(() => {})
    return result
  } catch (e) {
    const err = asAuthFailure(e, options.expectedId ?? formatAddress(conn.remoteAddress))
    const auth = err instanceof QmsError && err.code === MeshErrorCode.AUTH
    await conn.close(auth ? CloseCode.AUTH : CloseCode.PROTOCOL, auth ? 'authentication failed' : 'handshake failed')
    throw err
  }
}

/**
 * Accepting side: the dialer's first stream must carry a hello with the right token. We answer with our own hello,
 * or with an `error` envelope (`ERR_AUTH`) and a close with {@link CloseCode.AUTH}.
 */
export async function acceptHandshake(conn: QuicConnection, options: HandshakeOptions): Promise<AcceptResult> {
  let stream: QuicStream | undefined
  // The contract allows one iteration of incomingStreams, so the same iterator goes on to the link.
  const streams = conn.incomingStreams[Symbol.asyncIterator]()
  try {
    const next = streams.next()
    let timer: NodeJS.Timeout | undefined
    const first = await Promise.race([
      next,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new QmsError(MeshErrorCode.HANDSHAKE, 'no hello stream')), options.timeoutMs)
      }),
    ]).finally(() => clearTimeout(timer))
    if (first.done) throw new QmsError(MeshErrorCode.HANDSHAKE, 'connection closed before hello')
    stream = first.value
    const result = checkHello(await readFirst(stream, conn, options), options)
    await stream.end(encodeFrame(hello(options, result.peerId)))
    return { ...result, streams }
  } catch (e) {
    const err = e instanceof QmsError ? e : new QmsError(MeshErrorCode.HANDSHAKE, 'hello exchange failed', { cause: e })
    const auth = err.code === MeshErrorCode.AUTH
    if (stream && conn.isOpen) {
      const refusal = createEnvelope({
        kind: 'error',
        type: HELLO_TYPE,
        from: options.selfId,
        to: '',
        priority: Priority.CRITICAL,
        body: undefined,
        error: { code: err.code, message: auth ? 'authentication failed' : err.message },
      })
      await stream.end(encodeFrame(refusal)).catch(() => {})
    }
    await conn.close(auth ? CloseCode.AUTH : CloseCode.PROTOCOL, auth ? 'authentication failed' : 'handshake failed')
    throw err
  }
}
