// Prints "vitest: N passed, N failed, N skipped" from the JSON report of the last `vitest run`,
// saying when the browser tests were skipped and why, and exits non-zero when tests failed, when
// none ran, or when browser tests were skipped while REQUIRE_BROWSER=1 or without SKIP_BROWSER=1
// (test/browser/chromium.ts skips them only on that request).
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
const skipRequested = process.env.SKIP_BROWSER === '1'
const browserNote =
  browserSkipped === 0
    ? ''
    : `; ${browserSkipped} browser tests skipped` + (skipRequested ? ' (SKIP_BROWSER=1)' : '')
console.log(`vitest: ${passed} passed, ${failed} failed, ${skipped} skipped${browserNote}`)
if (failed > 0 || !report.success) process.exit(1)
if (passed === 0) {
  console.error('test-summary: no test ran')
  process.exit(1)
}
if (browserSkipped > 0 && (process.env.REQUIRE_BROWSER === '1' || !skipRequested)) {
  const flag = skipRequested ? 'while REQUIRE_BROWSER=1' : 'but SKIP_BROWSER=1 was not set'
  console.error(`test-summary: ${browserSkipped} browser tests skipped ${flag}`)
  process.exit(1)
}
