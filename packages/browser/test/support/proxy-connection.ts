/**
 * The Node side of the page harness: `QuicConnection`/`QuicStream` objects whose every operation runs on a
 * `WebTransportConnection` in the page (see page-harness.ts), so the transport conformance suite, which runs in Node,
 * exercises the browser implementation over real WebTransport.
 */
import { QmsError } from '@quic-multistream/protocol'
import type {
  CloseInfo,
  ConnectionStats,
  QuicConnection,
  QuicStream,
  SocketAddress,
  StreamOptions,
  StreamStats,
} from '@quic-multistream/transport'
import type { Page } from 'playwright-core'
import { Inbox, readableFrom } from '../../src/inbox.js'
import type { Harness, HarnessEvent, HarnessResult, WireError } from './page-harness.js'

type Op = keyof Harness

function toError(e: WireError): QmsError {
  return new QmsError(e.code, e.message, e.details === undefined ? {} : { details: e.details })
}

const b64 = (data: Uint8Array) => Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64')

/** Calls into the harness of one page and routes its events to the proxies. */
export class PageHarness {
  readonly #page: Page
  readonly #conns = new Map<number, ProxyConnection>()
  readonly #streams = new Map<number, ProxyStream>()

  private constructor(page: Page) {
    this.#page = page
  }

  /** Installs the event binding; call before the page loads the harness bundle. */
  static async attach(page: Page): Promise<PageHarness> {
    const h = new PageHarness(page)
    await page.exposeBinding('qmsEvent', (_source, event: HarnessEvent) => h.#dispatch(event))
    return h
  }

  /** Runs `op` in the page; resolves with its value or rejects with the QmsError it failed with. */
  async call<K extends Op>(
    op: K,
    ...args: Parameters<Harness[K]>
  ): Promise<Awaited<ReturnType<Harness[K]>> extends HarnessResult<infer T> ? T : never> {
    const result = (await this.#page.evaluate(
      ([name, a]) => {
        const h = (globalThis as unknown as { qmsHarness: Record<string, (...x: unknown[]) => unknown> }).qmsHarness
        return h[name]!(...a)
      },
      [op, args] as [string, unknown[]],
    )) as HarnessResult<unknown>
    if (result.stats && result.conn !== undefined) this.#conns.get(result.conn)?.setStats(result.stats)
    if ('error' in result) throw toError(result.error)
    return result.ok as never
  }

  /** Opens a WebTransport session in the page. */
  async connect(url: string, hashes: string[]): Promise<ProxyConnection> {
    const r = await this.call('connect', url, hashes)
    const max = await this.call('maxDatagramSize', r.conn)
    const conn = new ProxyConnection(this, r.conn, r.id, r.alpn, r.remoteAddress, max)
    this.#conns.set(r.conn, conn)
    return conn
  }

  /** The proxy of a page stream, made on first mention (its bytes can arrive before `open` returns). */
  stream(
    handle: number,
    conn: ProxyConnection,
    init: Pick<QuicStream, 'id' | 'direction' | 'initiator' | 'priority'>,
  ): ProxyStream {
    let s = this.#streams.get(handle)
    if (!s) {
      s = new ProxyStream(this, conn, handle, init)
      this.#streams.set(handle, s)
    }
    return s
  }

  #dispatch(ev: HarnessEvent): void {
    switch (ev.type) {
      case 'stream': {
        const conn = this.#conns.get(ev.conn)
        if (!conn) return
        conn.incoming.put(
          this.stream(ev.stream, conn, { id: ev.id, direction: ev.direction, initiator: 'remote', priority: 128 }),
        )
        return
      }
      case 'data':
        this.#streams.get(ev.stream)?.received(Buffer.from(ev.data, 'base64'))
        return
      case 'fin':
        this.#streams.get(ev.stream)?.chunks.close()
        return
      case 'read-error':
        this.#streams.get(ev.stream)?.chunks.close(toError(ev.error))
        return
      case 'stream-closed':
        this.#streams.get(ev.stream)?.finished()
        return
      case 'datagram':
        this.#conns.get(ev.conn)?.datagrams.put(Buffer.from(ev.data, 'base64'))
        return
      case 'stats':
        this.#conns.get(ev.conn)?.setStats(ev.stats)
        return
      case 'closed': {
        const { error, ...info } = ev.info
        this.#conns.get(ev.conn)?.ended(error ? { ...info, error: toError(error) } : info)
        return
      }
    }
  }
}

/** A page's `WebTransportConnection`, seen from Node. */
export class ProxyConnection implements QuicConnection {
  readonly role = 'client' as const
  readonly peerCertificate = undefined
  readonly resumed = false
  readonly earlyData = false
  readonly incoming = new Inbox<QuicStream>()
  readonly datagrams = new Inbox<Uint8Array>()
  readonly closed: Promise<CloseInfo>
  #stats: ConnectionStats | undefined
  #open = true
  #settle: (info: CloseInfo) => void = () => {}

  constructor(
    readonly harness: PageHarness,
    readonly handle: number,
    readonly id: string,
    readonly alpn: string,
    readonly remoteAddress: SocketAddress,
    readonly maxDatagramSize: number,
  ) {
    this.closed = new Promise((r) => (this.#settle = r))
  }

  get isOpen(): boolean {
    return this.#open
  }

  get incomingStreams(): AsyncIterable<QuicStream> {
    return this.incoming
  }

  get incomingDatagrams(): AsyncIterable<Uint8Array> {
    return this.datagrams
  }

  openBidi(options: StreamOptions = {}): Promise<QuicStream> {
    return this.#openStream('bidi', options)
  }

  openUni(options: StreamOptions = {}): Promise<QuicStream> {
    return this.#openStream('uni', options)
  }

  async #openStream(direction: 'bidi' | 'uni', options: StreamOptions): Promise<QuicStream> {
    const r = await this.harness.call('open', this.handle, direction, options.priority)
    return this.harness.stream(r.stream, this, { id: r.id, direction, initiator: 'local', priority: r.priority })
  }

  sendDatagram(data: Uint8Array): void {
    if (data.byteLength > this.maxDatagramSize) {
      throw new QmsError(
        'ERR_DATAGRAM_TOO_LARGE',
        `datagram of ${data.byteLength} bytes exceeds ${this.maxDatagramSize}`,
      )
    }
    this.harness.call('sendDatagram', this.handle, b64(data)).catch(() => {})
  }

  async close(code = 0, reason = ''): Promise<void> {
    if (this.#open) await this.harness.call('close', this.handle, code, reason).catch(() => {})
    await this.closed
  }

  stats(): ConnectionStats {
    if (!this.#stats) throw new Error('no stats from the page yet')
    return this.#stats
  }

  setStats(stats: ConnectionStats): void {
    this.#stats = stats
  }

  ended(info: CloseInfo): void {
    this.#open = false
    this.incoming.close()
    this.datagrams.close()
    this.#settle(info)
  }
}

/** A page's `WebTransportStream`, seen from Node. */
export class ProxyStream implements QuicStream {
  readonly id: number
  readonly direction: 'bidi' | 'uni'
  readonly initiator: 'local' | 'remote'
  readonly chunks = new Inbox<Uint8Array>()
  readonly closed: Promise<void>
  #priority: number
  readonly #stats: StreamStats = { bytesWritten: 0, bytesRead: 0, bytesBuffered: 0 }
  #finish: () => void = () => {}

  constructor(
    readonly harness: PageHarness,
    readonly conn: ProxyConnection,
    readonly handle: number,
    init: Pick<QuicStream, 'id' | 'direction' | 'initiator' | 'priority'>,
  ) {
    this.id = init.id
    this.direction = init.direction
    this.initiator = init.initiator
    this.#priority = init.priority
    this.closed = new Promise((r) => (this.#finish = r))
  }

  get priority(): number {
    return this.#priority
  }

  received(chunk: Uint8Array): void {
    this.#stats.bytesRead += chunk.byteLength
    this.chunks.put(chunk)
  }

  finished(): void {
    this.#finish()
  }

  async write(data: Uint8Array): Promise<void> {
    await this.#send('write', data)
  }

  async end(data?: Uint8Array): Promise<void> {
    await this.#send('end', data)
  }

  async #send(op: 'write' | 'end', data: Uint8Array | undefined): Promise<void> {
    const n = data?.byteLength ?? 0
    this.#stats.bytesBuffered += n
    try {
      const payload = data === undefined ? undefined : b64(data)
      if (op === 'write') await this.harness.call('write', this.handle, payload ?? '')
      else await this.harness.call('end', this.handle, payload)
      this.#stats.bytesWritten += n
    } finally {
      this.#stats.bytesBuffered -= n
    }
  }

  reset(code = 0): void {
    this.harness.call('reset', this.handle, code).catch(() => {})
  }

  stopSending(code = 0): void {
    this.chunks.close()
    this.harness.call('stopSending', this.handle, code).catch(() => {})
  }

  setPriority(priority: number): void {
    this.#priority = priority
    this.harness.call('setPriority', this.handle, priority).catch(() => {})
  }

  stats(): StreamStats {
    return { ...this.#stats }
  }

  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    return this.chunks[Symbol.asyncIterator]()
  }

  readable(): ReadableStream<Uint8Array> {
    return readableFrom(this.chunks[Symbol.asyncIterator]())
  }

  writable(): WritableStream<Uint8Array> {
    return new WritableStream<Uint8Array>({ write: (c) => this.write(c), close: () => this.end() })
  }
}
