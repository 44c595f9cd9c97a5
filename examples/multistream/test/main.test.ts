import { killAll, spawnTs } from '@qms/test-utils'
import { afterEach, expect, it } from 'vitest'

const MAIN = 'examples/multistream/main.ts'

afterEach(async () => {
  await killAll('SIGKILL')
})

/** The value printed after `label` in the example's label/value summary. */
function field(stdout: readonly string[], label: string): string {
  const line = stdout.find((l) => l.startsWith(`${label} `))
  expect(line, `no "${label}" line in:\n${stdout.join('\n')}`).toBeDefined()
  return line!.slice(label.length).trim()
}

it('echoes 1,000 concurrent streams on one connection, every reply byte-exact, and exits 0', async () => {
  const run = spawnTs(MAIN)
  expect(await run.exited, run.stderr.join('\n')).toEqual({ code: 0, signal: null })
  expect(field(run.stdout, 'verified')).toBe('1,000 of 1,000 replies byte-exact')
  expect(field(run.stdout, 'streams/s')).toMatch(/^\d{1,3}(,\d{3})*$/)
  // Every byte written came back, and the connection saw exactly one stream per payload, all of them finished.
  const [, written, read] = field(run.stdout, 'stream stats').match(/bytesWritten ([\d,]+)\s+bytesRead ([\d,]+)/)!
  expect(written).toBe(read)
  expect(field(run.stdout, 'connection')).toMatch(/^streamsOpened 1,000\s+streamsClosed 1,000\s/)
  expect(run.stdout.at(-1)).toBe('ok: every stream echoed its own payload')
})

it('runs against the standalone echo server given --addr and --pin', async () => {
  const server = spawnTs('examples/echo/server.ts', ['--port', '0'])
  const [, address] = await server.waitForLine(/^echo server listening on (\S+)/, 20_000)
  const [, pin] = await server.waitForLine(/^certificate sha256 ([0-9a-f]{64}) /)
  const run = spawnTs(MAIN, ['--addr', address!, '--pin', pin!, '--streams', '200', '--size', '256'])
  expect(await run.exited, run.stderr.join('\n')).toEqual({ code: 0, signal: null })
  expect(field(run.stdout, 'verified')).toBe('200 of 200 replies byte-exact')
  expect(run.stdout[0]).toBe(`connected to ${address}, alpn qms/1`)
})
