import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { killAll, repoRoot, spawnTs } from '@qms/test-utils'
import { afterEach, describe, expect, it } from 'vitest'

const bin = fileURLToPath(new URL('../bin/qms.mjs', import.meta.url))

/** Runs the bin the way a user does, `node packages/cli/bin/qms.mjs ...`: no tsx flags, no build. */
async function runBin(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [bin, ...args], { cwd: repoRoot })
    return { code: 0, stdout, stderr }
  } catch (e) {
    const failed = e as { code: number; stdout: string; stderr: string }
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr }
  }
}

describe('the qms bin', () => {
  afterEach(async () => {
    await killAll()
  })

  it('serves, answers a ping from another process with a 0-RTT resume, and exits 0 on SIGTERM', async () => {
    const server = spawnTs(bin, ['serve', '--listen', '127.0.0.1:0'])
    const [, address, pin] = await server.waitForLine(/^ping with: qms ping (\S+) --pin (\S+)$/, 20_000)
    const ping = await runBin('ping', address!, '--pin', pin!, '--count', '2')
    expect(ping.stderr).toBe('')
    expect(ping.code).toBe(0)
    expect(ping.stdout).toMatch(/resumed yes/)
    expect(await server.kill('SIGTERM')).toEqual({ code: 0, signal: null })
    expect(server.stdout).toContain('SIGTERM: stopping')
  })

  it('exits 1 with one line and no stack trace for a bad address', async () => {
    const run = await runBin('ping', 'not-an-address', '--insecure')
    expect(run.code).toBe(1)
    expect(run.stderr.trim()).toBe(
      'qms ping: bad address "not-an-address": expected host:port or [ipv6]:port with a port from 1 to 65535 (see qms ping --help)',
    )
  })
})
