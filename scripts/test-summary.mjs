// Prints "vitest: N passed, N failed, N skipped" from the JSON report of the last `vitest run`
// and exits non-zero when tests failed, when none ran, or when browser tests were skipped while
// REQUIRE_BROWSER=1.
import { readFileSync } from 'node:fs'

const file = new URL('../.vitest/results.json', import.meta.url)
let report
try {
  report = JSON.parse(readFileSync(file, 'utf8'))
} catch {
  console.error('test-summary: no .vitest/results.json: did `vitest run` run?')
  process.exit(1)
}
const passed = report.numPassedTests
const failed = report.numFailedTests
const skipped = report.numPendingTests + report.numTodoTests
const browserSkipped = report.testResults
  .filter((f) => f.name.includes('/test/browser/'))
  .flatMap((f) => f.assertionResults)
  .filter((t) => t.status !== 'passed' && t.status !== 'failed').length
console.log(`vitest: ${passed} passed, ${failed} failed, ${skipped} skipped`)
if (failed > 0 || !report.success) process.exit(1)
if (passed === 0) {
  console.error('test-summary: no test ran')
  process.exit(1)
}
if (process.env.REQUIRE_BROWSER === '1' && browserSkipped > 0) {
  console.error(`test-summary: ${browserSkipped} browser tests skipped while REQUIRE_BROWSER=1`)
  process.exit(1)
}
