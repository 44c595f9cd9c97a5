import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freeUdpPort, killAll, otherCert, spawnTs, type TsProcess } from '@qms/test-utils'
import { createEndpoint } from '@quic-multistream/transport'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const SERVER = 'examples/echo/server.ts'
const CLIENT = 'examples/echo/client.ts'
/** Generous: children compile their sources with tsx on a machine shared with other test runs. */
const START_MS = 20_000

async function startServer(args: string[] = []): Promise<{ server: TsProcess; address: string; pin: string }> {
  const server = spawnTs(SERVER, ['--port', '0', ...args])
  const [, address] = await server.waitForLine(/^echo server listening on (\S+)/, START_MS)
  const [, pin] = await server.waitForLine(/^certificate sha256 ([0-9a-f]{64}) /)
  return { server, address: address!, pin: pin! }
}

async function runClient(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const client = spawnTs(CLIENT, args)
  const { code } = await client.exited
  return { code, stdout: client.stdout.join('\n'), stderr: client.stderr.join('\n') }
}

afterAll(async () => {
  await killAll('SIGKILL')
})

describe('echo server and client in separate processes', () => {
  let shared: { address: string; pin: string }
  beforeAll(async () => {
    shared = await startServer()
  }, START_MS + 5_000)

  it('a client pinning the server certificate gets every stream message back byte-exact and exits 0', async () => {
    const { address, pin } = shared
    const run = await runClient(['--addr', address, '--pin', pin, '--count', '3', '--size', '100'])
    expect(run.code, run.stderr).toBe(0)
    expect(run.stdout).toContain(`server certificate sha256 ${pin}`)
    expect(run.stdout).toMatch(/^echoed\s+3 of 3 byte-exact over streams$/m)
    expect(run.stdout).toMatch(/^rtt ms\s+min \d+\.\d\d\s+p50 /m)
    // One row per message: its number, its size and a round-trip time.
    expect(run.stdout.match(/^\s*\d+\s+100\s+\d+\.\d\d$/gm)).toHaveLength(3)
  })

  it('the server echoes datagrams too', async () => {
    const { address, pin } = shared
    const run = await runClient(['--addr', address, '--pin', pin, '--count', '3', '--datagrams'])
    expect(run.code, run.stderr).toBe(0)
    expect(run.stdout).toMatch(/^echoed\s+3 of 3 byte-exact over datagrams$/m)
  })

  it('a client pinning another certificate exits 4 and says the pin did not match', async () => {
    const { address } = shared
    const run = await runClient(['--addr', address, '--pin', (await otherCert()).sha256])
    expect(run.code).toBe(4)
    expect(run.stderr).toMatch(/matches no pinned hash/)
  })

  it('a client dialing a port nobody listens on exits 3 after its handshake timeout', async () => {
    const port = await freeUdpPort()
    const run = await runClient(['--addr', `127.0.0.1:${port}`, '--insecure', '--timeout', '500'])
    expect(run.code).toBe(3)
    expect(run.stderr).toMatch(/no QUIC handshake/)
  })

  it('a malformed address exits 2 with a message saying what was expected', async () => {
    const run = await runClient(['--addr', '127.0.0.1', '--insecure'])
    expect(run.code).toBe(2)
    expect(run.stderr).toMatch(/bad address "127\.0\.0\.1": expected host:port/)
    expect(run.stderr).toMatch(/^usage: /m)
  })

  it('the server stops on SIGTERM, closing open connections with code 0, and exits 0', async () => {
    const { server, address, pin } = await startServer()
    const [host, port] = address.split(':')
    const client = await createEndpoint({ tls: { pinSha256: [pin] } })
    try {
      const conn = await client.connect({ host: host!, port: Number(port) })
      await server.waitForLine(/^\+ \S+ from /)
      server.child.kill('SIGTERM')
      expect(await conn.closed).toMatchObject({ code: 0, reason: 'server shutting down', remote: true })
      expect(await server.exited).toEqual({ code: 0, signal: null })
      expect(server.stdout.at(-1)).toMatch(/^stopped: 1 connections, 0 streams/)
    } finally {
      await client.close()
    }
  })

  it("serves the certificate given as PEM files and prints that certificate's SHA-256 for pinning", async () => {
    const cert = await otherCert()
    const dir = await mkdtemp(join(tmpdir(), 'qms-echo-'))
    try {
      await writeFile(join(dir, 'cert.pem'), cert.cert)
      await writeFile(join(dir, 'key.pem'), cert.key)
      const { server, pin } = await startServer(['--cert', join(dir, 'cert.pem'), '--key', join(dir, 'key.pem')])
      expect(pin).toBe(cert.sha256)
      expect((await server.kill()).code).toBe(0)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('the server refuses --cert without --key with exit code 2', async () => {
    const server = spawnTs(SERVER, ['--port', '0', '--cert', 'cert.pem'])
    expect((await server.exited).code).toBe(2)
    expect(server.stderr.join('\n')).toMatch(/--cert and --key go together/)
  })
})
