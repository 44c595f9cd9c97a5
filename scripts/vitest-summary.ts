/**
 * Ends a test run with one plain line, `Tests: N passed, N failed, N skipped`, that CI systems and humans can read
 * without parsing vitest's decorated summary.
 */
import type { Reporter, TestModule } from 'vitest/node'

export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<unknown>): void {
    let passed = 0
    let failed = 0
    let skipped = 0
    for (const module of testModules) {
      for (const test of module.children.allTests()) {
        const state = test.result().state
        if (state === 'passed') passed++
        else if (state === 'failed') failed++
        else skipped++
      }
      if (module.state() === 'failed' && [...module.children.allTests()].length === 0) failed++
    }
    failed += unhandledErrors.length
    // Printed at exit so it is the last line, after vitest's own summary.
    process.once('exit', () => process.stdout.write(`Tests: ${passed} passed, ${failed} failed, ${skipped} skipped\n`))
  }
}
