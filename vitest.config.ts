import { defineConfig } from 'vitest/config'

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
