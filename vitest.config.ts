// The one root test configuration: each package is a vitest project, and packages import each other through
// their source (the `source` export condition) so tests never depend on a stale build.
import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

const packages = ['protocol', 'transport', 'mesh', 'agent', 'cli', 'browser'] as const
const root = (p: string) => fileURLToPath(new URL(p, import.meta.url))

const alias = Object.fromEntries(
  packages.map((name) => [`@quic-multistream/${name}`, root(`packages/${name}/src/index.ts`)]),
)

export default defineConfig({
  test: {
    reporters: ['default', './scripts/vitest-summary.ts'],
    // CI retries a failed test once. Tests over real UDP on a shared 2-core machine can lose a race to load; a retry
    // that passes is still reported by vitest, and a real failure fails twice.
    retry: process.env.CI ? 1 : 0,
    // One test file at a time: on a 2-core machine, files running side by side starve each other's real UDP traffic
    // and child processes; sequential runs take about as long and stay clear of those races.
    maxWorkers: 1,
    minWorkers: 1,
    projects: [
      ...packages.map((name) => ({
        resolve: { alias },
        test: {
          name,
          root: root(`packages/${name}`),
          include: ['test/**/*.test.ts'],
          testTimeout: 30_000,
          hookTimeout: 30_000,
          pool: 'forks' as const,
        },
      })),
      {
        // The peer benchmark suite's quick mode, as a smoke test (figures are never asserted, only their sanity).
        test: {
          name: 'benchmarks',
          root: root('benchmarks'),
          include: ['test/**/*.test.ts'],
          testTimeout: 120_000,
          pool: 'forks' as const,
        },
      },
      {
        resolve: { alias },
        test: {
          name: 'examples',
          root: root('examples'),
          include: ['**/test/*.test.ts'],
          testTimeout: 60_000,
          pool: 'forks' as const,
        },
      },
    ],
  },
})
