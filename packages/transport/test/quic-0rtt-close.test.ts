import { type QuicTestbed, startQuicTestbed } from '@qms/test-utils'
import { QmsError } from '@quic-multistream/protocol'
import type { CloseInfo, QuicConnection, QuicStream } from '@quic-multistream/transport'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

// A close issued while a resumed (0-RTT) connection is still in its handshake must reach the peer: a lost close shows
// up here as the peer's `closed` reporting its own idle timeout instead of the close code.
const IDLE_MS = 3_000
const ROUNDS = 10
/** Every round may take up to an idle timeout when the bug is present; each round's outcome is still reported. */
const TEST_TIMEOUT = ROUNDS * (IDLE_MS + 1_000)

let bed: QuicTestbed

beforeAll(async () => {
  bed = await startQuicTestbed({ server: { idleTimeoutMs: IDLE_MS }, client: { idleTimeoutMs: IDLE_MS } })
  // The first visit leaves the client a session ticket; every later connection resumes with 0-RTT.
  const first = await bed.client.connect(bed.server.address)
  await bed.accept()
  const s = await first.openBidi()
  await s.end(Buffer.from('x'))
  await new Promise((r) => setTimeout(r, 50))
  await first.close()
})

afterAll(async () => {
  await bed?.close()
})

async function firstStream(conn: QuicConnection): Promise<QuicStream> {
  for await (const s of conn.incomingStreams) return s
  throw new Error('no stream arrived')
}

type Outcome = Omit<CloseInfo, 'error'> & { error?: string }

/** A close as compared by the tests: the error's code instead of the error object. */
function outcome(info: CloseInfo): Outcome {
  const error = info.error instanceof QmsError ? info.error.code : info.error?.message
  return { code: info.code, reason: info.reason, remote: info.remote, app: info.app, error }
}

/** What the peer of a side closing with `code`/`reason` must report. */
function heardClose(code: number, reason: string): Outcome {
  return { code, reason, remote: true, app: true, error: 'ERR_CONNECTION_CLOSED' }
}

/** Runs `round` ROUNDS times and checks every round's outcome (all of them, so a report shows how many failed). */
async function everyRound(expected: Outcome, round: () => Promise<CloseInfo>): Promise<void> {
  const seen: Outcome[] = []
  for (let i = 0; i < ROUNDS; i++) seen.push(outcome(await round()))
  expect(seen).toEqual(Array.from({ length: ROUNDS }, () => expected))
}

/** A resumed connection that has written one byte in 0-RTT. */
async function resumeWithEarlyData(): Promise<{ client: QuicConnection; stream: QuicStream }> {
  const client = await bed.client.connect(bed.server.address)
  const stream = await client.openBidi()
  await stream.write(Buffer.from('x'))
  expect(client.earlyData).toBe(true)
  return { client, stream }
}

/** Blocks the event loop, as a busy machine does, so that every short timer is overdue when it next turns. */
function stallEventLoop(ms: number): void {
  const until = performance.now() + ms
  while (performance.now() < until) {
    // Busy.
  }
}

describe('closing a 0-RTT connection during its handshake', () => {
  it(
    'the server hears a client that closes right after the server took its early stream',
    async () => {
      await everyRound(heardClose(1, 'gone'), async () => {
        const { client } = await resumeWithEarlyData()
        const server = await bed.accept()
        await firstStream(server)
        await client.close(1, 'gone')
        return server.closed
      })
    },
    TEST_TIMEOUT,
  )

  it(
    'the server hears a client that closes while its handshake is unconfirmed, even when the event loop stalls',
    async () => {
      await everyRound(heardClose(5, 'stalled'), async () => {
        // Dialled the way the conformance suite does: the stream is written once the server's handshake reply is in, so
        // the client closes after sending its Finished but before the server's HANDSHAKE_DONE arrives.
        const { client, server } = await bed.pair()
        const s = await client.openBidi()
        await s.write(Buffer.from('x'))
        await firstStream(server)
        void client.close(5, 'stalled')
        // A loaded machine: the client's handshake retransmission timer (a few ms) expires before the close is sent.
        stallEventLoop(20)
        return server.closed
      })
    },
    TEST_TIMEOUT,
  )

  it(
    'the server hears a client that closes right after writing early data',
    async () => {
      await everyRound(heardClose(2, 'early'), async () => {
        const { client } = await resumeWithEarlyData()
        await client.close(2, 'early')
        return (await bed.accept()).closed
      })
    },
    TEST_TIMEOUT,
  )

  it(
    'the client hears a server that closes on reading the first early stream',
    async () => {
      await everyRound(heardClose(3, 'refused early'), async () => {
        const { client } = await resumeWithEarlyData()
        const server = await bed.accept()
        await firstStream(server)
        expect(server.earlyData).toBe(true)
        await server.close(3, 'refused early')
        return client.closed
      })
    },
    TEST_TIMEOUT,
  )

  it(
    'the client hears a server that closes as soon as it accepts the connection',
    async () => {
      await everyRound(heardClose(4, 'go away'), async () => {
        const { client } = await resumeWithEarlyData()
        await (await bed.accept()).close(4, 'go away')
        return client.closed
      })
    },
    TEST_TIMEOUT,
  )
})
