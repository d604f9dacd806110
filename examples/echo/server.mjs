// The echo demo: `npm run demo` builds the bundle and runs this file.
// It is the test suite's fault server with the demo page mounted on it, so the buttons on the page
// break a real connection in exactly the ways the browser tests do. Next to the plain echo on
// /echo it serves a resumable one on /resume (steadysocket/server, built to dist/server.js): the
// page's resume switch moves between them, and the same buttons break both.
import { EventEmitter } from 'node:events'
import { existsSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { runExample } from '../cli.mjs'
import { startFaultServer } from '../../test/support/fault-server.mjs'

const here = dirname(fileURLToPath(import.meta.url))

/** The script-tag bundle the page loads. */
export const BUNDLE = resolve(here, '../../dist/steadysocket.umd.min.js')

/** The script-tag build of steadysocket/tabs, for `?tabs=1` (one connection for all tabs). */
export const TABS_BUNDLE = resolve(here, '../../dist/steadysocket-tabs.umd.min.js')

/** The built `steadysocket/server`, for the resumable echo on /resume. */
export const SERVER_MODULE = resolve(here, '../../dist/server.js')

const MISSING_BUNDLE =
  'dist/steadysocket.umd.min.js is missing: run `npm run build` first (`npm run demo` does both).'

/**
 * Starts the demo: the page on `/`, the bundle, an echo socket on `/echo`, a resumable echo on
 * `/resume`, faults on `/control/*` (they act on both).
 * @param {{ port?: number, host?: string, bundle?: string, window?: number }} [options]
 *   `window`: ms the resumable server keeps a session after its connection is lost
 * @returns {Promise<import('../../test/support/fault-server.d.mts').FaultServer>}
 */
export async function startDemoServer({
  port = 10000,
  host = '127.0.0.1',
  bundle = BUNDLE,
  window = 120_000,
} = {}) {
  const page = { file: join(here, 'index.html') }
  // The fault server accepts every connection (so its faults reach them all) and hands those of
  // /resume to resumable() through this stand-in for a WebSocketServer: its 'connection' event
  // is all resumable() listens to.
  const resumeHub = new EventEmitter()
  const resume = await startResumable(resumeHub, window)
  const server = await startFaultServer({
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
    onConnection: (ws, path) => {
      if (path !== '/resume') return
      if (resume) resumeHub.emit('connection', ws)
      else ws.close(1011, 'dist/server.js is missing: run npm run build')
    },
  })
  const close = server.close
  server.close = () => {
    resume?.close()
    return close()
  }
  return server
}

/**
 * resumable() over `hub`, echoing every session message with session.send(); null when
 * dist/server.js is not built yet (the page's /echo works without it).
 */
async function startResumable(hub, window) {
  if (!existsSync(SERVER_MODULE)) return null
  const { resumable } = await import(pathToFileURL(SERVER_MODULE).href)
  const resume = resumable(hub, { window })
  resume.on('session', (session) => {
    // send() returns false past maxBytes: the echo is kept and delivered all the same; a
    // producer of its own would wait for 'drain'.
    session.on('message', (data) => session.send(data))
  })
  return resume
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
