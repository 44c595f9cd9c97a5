/**
 * Free ports for tests that need a fixed number before a server starts (e.g. a config file or a child process
 * argument). The port is released before returning, so another process could take it in between: prefer binding
 * port 0 directly whenever the code under test allows it.
 */
import { createSocket } from 'node:dgram'
import { createServer } from 'node:net'

/** A UDP port that was free on `host` a moment ago. */
export function freeUdpPort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = createSocket(host.includes(':') ? 'udp6' : 'udp4')
    socket.once('error', reject)
    socket.bind(0, host, () => {
      const { port } = socket.address()
      socket.close(() => resolve(port))
    })
  })
}

/** A TCP port that was free on `host` a moment ago. */
export function freeTcpPort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, host, () => {
      const address = server.address()
      if (address === null || typeof address === 'string') {
        server.close()
        reject(new Error('TCP server has no port'))
        return
      }
      server.close(() => resolve(address.port))
    })
  })
}
