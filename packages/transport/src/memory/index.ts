/** The in-memory transport: a `QuicEndpoint` double for unit tests of the mesh and agent layers. */
export { createMemoryEndpoint, type MemoryEndpointOptions } from './memory-endpoint.js'
export { MemoryNetwork } from './memory-network.js'
