// The echo demo: `npm run demo` builds the bundle and runs this file.
// It is the test suite's fault server with the demo page mounted on it, so the buttons on the page
// break a real connection in exactly the ways the browser tests do.
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { runExample } from '../cli.mjs'
import { startFaultServer } from '../../test/support/fault-server.mjs'

const here = dirname(fileURLToPath(import.meta.url))

/** The script-tag bundle the page loads. */
export const BUNDLE = resolve(here, '../../dist/steadysocket.umd.min.js')

/** The script-tag build of steadysocket/tabs, for `?tabs=1` (one connection for all tabs). */
export const TABS_BUNDLE = resolve(here, '../../dist/steadysocket-tabs.umd.min.js')

const MISSING_BUNDLE =
  'dist/steadysocket.umd.min.js is missing: run `npm run build` first (`npm run demo` does both).'

/**
 * Starts the demo: the page on `/`, the bundle, an echo socket on `/echo`, faults on `/control/*`.
 * @param {{ port?: number, host?: string, bundle?: string }} [options]
 * @returns {Promise<import('../../test/support/fault-server.d.mts').FaultServer>}
 */
export function startDemoServer({ port = 10000, host = '127.0.0.1', bundle = BUNDLE } = {}) {
  const page = { file: join(here, 'index.html') }
  return startFaultServer({
    host,
    port,
    echo: true,
    // The demo runs for as long as someone plays with it: keep counters, not every message.
    logLimit: 100,
    routes: {
      '/': page,
      '/index.html': page,
      '/demo.css': { file: join(here, 'demo.css') },
      '/demo.js': { file: join(here, 'demo.js') },
      '/ledger.js': { file: join(here, 'ledger.js') },
      '/steadysocket.umd.min.js': { file: bundle, missing: MISSING_BUNDLE },
      '/steadysocket.umd.min.js.map': { file: `${bundle}.map` },
      '/steadysocket-tabs.umd.min.js': { file: TABS_BUNDLE, missing: MISSING_BUNDLE },
      '/steadysocket-tabs.umd.min.js.map': { file: `${TABS_BUNDLE}.map` },
    },
  })
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  await runExample({
    label: 'echo demo',
    defaultPort: 10000,
    start: startDemoServer,
    bundle: BUNDLE,
    missing: MISSING_BUNDLE,
  })
}
