// Size of the smallest import that constructs a socket, per library: a tiny entry bundled by
// esbuild (browser platform, minified, nothing external: every library here bundles nothing it
// does not need), then gzip -9 and brotli (quality 11) from node:zlib.
import { fileURLToPath } from 'node:url'
import { sizeOf } from '../../scripts/size.mjs'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const STEADY = JSON.stringify(fileURLToPath(new URL('../../dist/index.js', import.meta.url)))

export const SIZE_ENTRIES = {
  steadysocket: `import { SteadySocket } from ${STEADY}
export const make = (url) => new SteadySocket(url)`,
  // Every export, and every option and event in use.
  'steadysocket, every feature': `import * as steady from ${STEADY}
export const all = steady
export const make = (url) => {
  const s = new steady.SteadySocket(url, {
    codec: steady.json(),
    heartbeat: { interval: 15000, timeout: 5000, message: 'ping', isPong: (raw) => raw === 'pong' },
    handshake: (socket) => new Promise((resolve) => { socket.send({ type: 'auth' }); resolve() }),
    reconnect: { initialDelay: 500, maxDelay: 8000, maxRetries: 50, shouldReconnect: () => true },
    queue: { maxMessages: 10000, maxBytes: 1 << 20, overflow: 'drop-oldest', ttl: 30000 },
    backpressure: { highWaterMark: 1 << 20, lowWaterMark: 1 << 18 },
    connectTimeout: 5000,
  })
  s.on('message', (m) => console.log(m))
  s.on('drop', (d) => console.log(d))
  s.onmessage = (e) => console.log(e.data)
  s.subscribe(() => s.getSnapshot())
  s.opened().then(() => s.flush())
  return s
}`,
  'reconnecting-websocket': `import ReconnectingWebSocket from 'reconnecting-websocket'
export const make = (url) => new ReconnectingWebSocket(url)`,
  partysocket: `import ReconnectingWebSocket from 'partysocket/ws'
export const make = (url) => new ReconnectingWebSocket(url)`,
  sockette: `import sockette from 'sockette'
export const make = (url) => sockette(url)`,
  'websocket-ts': `import { Websocket } from 'websocket-ts'
export const make = (url) => new Websocket(url)`,
  // Without a backoff websocket-ts never reconnects and without a buffer it drops sends made
  // while down: this is the import that does what the others do.
  'websocket-ts, reconnect + buffer': `import { ArrayQueue, ExponentialBackoff, Websocket } from 'websocket-ts'
export const make = (url) =>
  new Websocket(url, undefined, { buffer: new ArrayQueue(), retry: { backoff: new ExponentialBackoff(1000, 4) } })`,
}

export async function measureSizes() {
  const rows = []
  for (const [name, contents] of Object.entries(SIZE_ENTRIES))
    rows.push({ name, ...(await sizeOf(contents, ROOT, { platform: 'browser' })) })
  return rows
}
