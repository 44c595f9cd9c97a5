import { type QuicTestbed, startQuicTestbed } from '@qms/test-utils'
import { transportConformance } from '@qms/test-utils/conformance'
import { afterAll, beforeAll } from 'vitest'

// The native endpoint, over real UDP sockets on 127.0.0.1, runs the shared conformance suite.
let bed: QuicTestbed

beforeAll(async () => {
  bed = await startQuicTestbed()
})

afterAll(async () => {
  await bed?.close()
})

transportConformance('native QUIC over UDP', async () => {
  const { client, server } = await bed.pair()
  return { client, server, close: () => client.close(0, 'test done') }
})
