import { killAll, spawnTs } from '@qms/test-utils'
import { afterEach, expect, it } from 'vitest'

const MAIN = 'examples/prioritized-streams/main.ts'

afterEach(async () => {
  await killAll('SIGKILL')
})

it('delivers the CRITICAL message while the BACKGROUND upload is still arriving, and exits 0', async () => {
  const run = spawnTs(MAIN, ['--size', '8'])
  expect(await run.exited, run.stderr.join('\n')).toEqual({ code: 0, signal: null })
  // Timeline rows: milliseconds since the upload started, the event, how much of the upload had arrived.
  const at = (event: string) => {
    const row = run.stdout.find((l) => l.includes(event))
    const m = row?.match(/^\s*(\d+\.\d)\s{2}.+?\s+(\d+(?:\.\d)? (?:B|KiB|MiB))$/)
    expect(m, `no timeline row for "${event}" in:\n${run.stdout.join('\n')}`).toBeTruthy()
    return { ms: Number(m![1]), arrived: m![2] }
  }
  const started = at('background upload started')
  const sent = at('critical message sent')
  const delivered = at('critical message delivered')
  const done = at('background upload done')
  expect(started).toEqual({ ms: 0, arrived: '0 B' })
  expect(sent.ms).toBeGreaterThan(started.ms)
  expect(delivered.ms).toBeGreaterThanOrEqual(sent.ms)
  expect(done.ms).toBeGreaterThan(delivered.ms)
  expect(done.arrived).toBe('8.0 MiB')
  expect(delivered.arrived).not.toBe('8.0 MiB')
  expect(run.stdout.at(-1)).toMatch(/^ok: critical overtook the upload/)
})

it('refuses an upload size outside 8-32 MiB with exit code 2', async () => {
  const run = spawnTs(MAIN, ['--size', '64'])
  expect((await run.exited).code).toBe(2)
  expect(run.stderr.join('\n')).toMatch(/bad --size "64": expected a whole number from 8 to 32/)
})
