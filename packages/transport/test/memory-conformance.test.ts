import { transportConformance } from '@qms/test-utils/conformance'
import { createMemoryEndpoint, MemoryNetwork, type QuicConnection } from '@quic-multistream/transport'

// The in-memory double used by upper-layer unit tests must honour the same contract as the real endpoint.
transportConformance('in-memory transport', async () => {
  const network = new MemoryNetwork()
  const server = await createMemoryEndpoint({ network })
  const client = await createMemoryEndpoint({ network })
  const accepted = server.incomingConnections[Symbol.asyncIterator]().next()
  const conn = await client.connect(server.address)
  const serverConn = (await accepted).value as QuicConnection
  return {
    client: conn,
    server: serverConn,
    close: async () => {
      await client.close()
      await server.close()
    },
  }
})
