import { randomBytes } from 'node:crypto'
import { readAll, startQuicTestbed } from '@qms/test-utils'
import { Priority } from '@quic-multistream/protocol'
import type { QuicConnection } from '@quic-multistream/transport'
import { afterEach, describe, expect, it } from 'vitest'

/** Reads every incoming stream to its end and records the order in which they finished, by first byte tag. */
function finishOrder(conn: QuicConnection, expected: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const order: string[] = []
    void (async () => {
      for await (const s of conn.incomingStreams) {
        readAll(s).then((b) => {
          order.push(String.fromCharCode(b[0] as number))
          if (order.length === expected) resolve(order)
        }, reject)
      }
    })()
  })
}

describe('stream priorities on the wire', () => {
  let close: (() => Promise<void>) | undefined
  afterEach(async () => close?.())

  async function race(bulkPriority: number, urgentPriority: number): Promise<string[]> {
    // A 1,350-byte packet size keeps the bulk transfer long (thousands of packets) so the scheduler decides; windows
    // large enough to hold all 8 MiB mean flow control never pauses the bulk stream, so only priority picks the order.
    const opts = { maxUdpPayload: 1350, streamWindow: 16 << 20, connectionWindow: 32 << 20 }
    const bed = await startQuicTestbed({ client: opts, server: opts })
    close = bed.close
    const { client, server } = await bed.pair()
    const order = finishOrder(server, 2)
    const bulk = await client.openUni({ priority: bulkPriority })
    const data = randomBytes(8 * 1024 * 1024)
    data[0] = 'B'.charCodeAt(0)
    const bulkDone = bulk.end(data) // queued, not awaited: 8 MiB waits for congestion and flow control
    const urgent = await client.openUni({ priority: urgentPriority })
    const small = randomBytes(64 * 1024)
    small[0] = 'U'.charCodeAt(0)
    await urgent.end(small)
    await bulkDone
    return order
  }

  it('a CRITICAL stream opened after 8 MiB of BACKGROUND data is queued completes first', async () => {
    expect(await race(Priority.BACKGROUND, Priority.CRITICAL)).toEqual(['U', 'B'])
  })

  it('with equal priorities the stream queued first completes first (the control case)', async () => {
    expect(await race(Priority.NORMAL, Priority.NORMAL)).toEqual(['B', 'U'])
  })

  it('setPriority on an open stream changes what is sent first', async () => {
    const bed = await startQuicTestbed({ client: { maxUdpPayload: 1350 }, server: { maxUdpPayload: 1350 } })
    close = bed.close
    const { client, server } = await bed.pair()
    const order = finishOrder(server, 2)
    const first = await client.openUni({ priority: Priority.HIGH })
    const second = await client.openUni({ priority: Priority.HIGH })
    const a = randomBytes(4 * 1024 * 1024)
    a[0] = 'A'.charCodeAt(0)
    const b = randomBytes(256 * 1024)
    b[0] = 'B'.charCodeAt(0)
    const aDone = first.end(a)
    first.setPriority(Priority.BACKGROUND)
    await second.end(b)
    await aDone
    expect(await order).toEqual(['B', 'A'])
  })
})
