import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

const dist = (file: string) => fileURLToPath(new URL(`./dist/${file}`, import.meta.url))

// The behaviour suites that use only the public entries run a second and third time against the
// built package (ESM, then CJS): what ships is tested, not only src/.
const publicSuites = [
  'lifecycle',
  'reconnect',
  'reentrancy',
  'events',
  'errors',
  'send',
  'heartbeat',
  'network',
  'smoke',
  'testing',
].map((name) => `test/unit/${name}.test.ts`)

const againstDist = (format: 'esm' | 'cjs') => ({
  resolve: {
    alias: [
      {
        find: /^(\.\.\/)+src\/index$/,
        replacement: dist(format === 'esm' ? 'index.js' : 'index.cjs'),
      },
      {
        find: /^(\.\.\/)+src\/testing(\/index)?$/,
        replacement: dist(format === 'esm' ? 'testing.js' : 'testing.cjs'),
      },
    ],
  },
  test: { name: `unit-dist-${format}`, include: publicSuites, environment: 'jsdom' as const },
})

// Three layers (see STYLE.md): unit tests in jsdom with fake sockets, Node integration tests
// against a real `ws` server, and real-browser tests in Debian's Chromium via playwright-core.
export default defineConfig({
  test: {
    // The JSON report feeds scripts/test-summary.mjs (CI's closing line, zero-test guard).
    reporters: ['default', 'json'],
    outputFile: { json: '.vitest/results.json' },
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          environment: 'jsdom',
        },
      },
      againstDist('esm'),
      againstDist('cjs'),
      {
        // Model-based tests (fast-check): random sequences of commands, server and network events
        // and re-entrant calls against the contract's invariants. MODEL_RUNS / MODEL_SEED /
        // MODEL_PATH replay or lengthen them (see test/model/README in the file headers).
        test: {
          name: 'model',
          include: ['test/model/**/*.test.ts'],
          environment: 'jsdom',
        },
      },
      {
        test: {
          name: 'node',
          include: ['test/node/**/*.test.ts'],
          environment: 'node',
        },
      },
      {
        test: {
          name: 'browser',
          include: ['test/browser/**/*.test.ts'],
          environment: 'node',
          // One Chromium at a time: this machine has 2 cores and the tests measure real buffers.
          fileParallelism: false,
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
})
