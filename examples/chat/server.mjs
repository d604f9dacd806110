// The chat example: `npm run example:chat` builds the bundle and runs this file.
// The test suite's fault server with a chat room on `/chat`: every valid `say` from one client is
// broadcast as `said` to every client, and everyone hears how many are online.
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { runExample } from '../cli.mjs'
import { startFaultServer } from '../../test/support/fault-server.mjs'

const here = dirname(fileURLToPath(import.meta.url))

/** The script-tag bundle the page loads. */
export const BUNDLE = resolve(here, '../../dist/steadysocket.umd.min.js')

const MISSING_BUNDLE =
  'dist/steadysocket.umd.min.js is missing: run `npm run build` first (`npm run example:chat` does both).'

/** Longest name and message the room accepts; longer ones are cut. */
const MAX_NAME = 32
const MAX_TEXT = 2000

/**
 * Starts the chat: the page on `/`, the bundle, the room on `/chat`.
 * @param {{ port?: number, host?: string, bundle?: string }} [options]
 * @returns {Promise<import('../../test/support/fault-server.d.mts').FaultServer>}
 */
export function startChatServer({ port = 10001, host = '127.0.0.1', bundle = BUNDLE } = {}) {
  /** @type {Set<import('ws').WebSocket>} */
  const room = new Set()

  /** @param {unknown} message */
  const broadcast = (message) => {
    const frame = JSON.stringify(message)
    for (const ws of room) if (ws.readyState === ws.OPEN) ws.send(frame)
  }
  const presence = () => broadcast({ type: 'presence', online: room.size })

  const page = { file: join(here, 'index.html') }
  return startFaultServer({
    host,
    port,
    echo: false,
    logLimit: 100,
    routes: {
      '/': page,
      '/index.html': page,
      '/chat.css': { file: join(here, 'chat.css') },
      '/chat.js': { file: join(here, 'chat.js') },
      '/steadysocket.umd.min.js': { file: bundle, missing: MISSING_BUNDLE },
      '/steadysocket.umd.min.js.map': { file: `${bundle}.map` },
    },
    onConnection(ws, path) {
      if (path !== '/chat') return
      room.add(ws)
      ws.on('message', (data, isBinary) => {
        if (isBinary) return
        const say = parseSay(data.toString())
        if (say) broadcast({ type: 'said', name: say.name, text: say.text, at: Date.now() })
      })
      ws.on('close', () => {
        room.delete(ws)
        presence()
      })
      presence()
    },
  })
}

/**
 * `{ type: 'say', name, text }` with a non-empty name and text, or undefined (ignored).
 * @param {string} raw
 * @returns {{ name: string, text: string } | undefined}
 */
function parseSay(raw) {
  let message
  try {
    message = JSON.parse(raw)
  } catch {
    return undefined
  }
  if (typeof message !== 'object' || message === null || message.type !== 'say') return undefined
  if (typeof message.name !== 'string' || typeof message.text !== 'string') return undefined
  const name = message.name.trim().slice(0, MAX_NAME)
  const text = message.text.trim().slice(0, MAX_TEXT)
  return name && text ? { name, text } : undefined
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  await runExample({
    label: 'chat',
    defaultPort: 10001,
    start: startChatServer,
    bundle: BUNDLE,
    missing: MISSING_BUNDLE,
    hint: ' in two tabs',
  })
}
