import { killAll, spawnTs } from '@qms/test-utils'
import { afterEach, expect, it } from 'vitest'

afterEach(async () => {
  await killAll('SIGKILL')
})

it('runs the demo to a final result that matches the one-shot DTW, and exits 0', { timeout: 60_000 }, async () => {
  const demo = spawnTs('examples/temporal-compare/main.ts')
  const exit = await demo.exited
  expect(exit, demo.stderr.join('\n')).toEqual({ code: 0, signal: null })
  // One progress line per chunk: 10 chunks of 1,000 values of each series.
  expect(demo.stdout.filter((l) => l.includes('DTW so far'))).toHaveLength(10)
  expect(demo.stdout.at(-1)).toMatch(
    /^final: dtw distance=\d+(\.\d+)? pathLength=\d+ elapsed=\d+\.\d ms, matches one-shot$/,
  )
})
