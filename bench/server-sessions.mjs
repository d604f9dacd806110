// Memory of idle resumable sessions on the Node server (steadysocket/server, from dist/: run
// `npm run build` first). Each session is started by a hello and its connection is then lost, so
// it waits for a resume with its expiry timer running and nothing buffered: the state a server
// holds for every client that went away within `window`.
//
//   node --expose-gc bench/server-sessions.mjs            10,000 sessions through the engine
//                                                        (ResumableServer.accept, in-memory
//                                                        connections: no sockets)
//   node --expose-gc bench/server-sessions.mjs --real     the same over real ws connections on
//                                                        127.0.0.1 (slower: about 10 s)
//   --sessions=N                                         another count
//
// Prints heap and RSS growth, in total and per session, after a forced GC.
import { WebSocket, WebSocketServer } from 'ws'
import { MemoryStore, ResumableServer, resumable } from '../dist/server.js'

const argv = process.argv.slice(2)
const real = argv.includes('--real')
const count = Number(argv.find((a) => a.startsWith('--sessions='))?.slice(11) ?? 10_000)
if (typeof globalThis.gc !== 'function') {
  console.error('run with node --expose-gc')
  process.exit(1)
}
const HELLO = JSON.stringify({ t: 'hello', proto: 'steadysocket.resume.v1', ack: 0, max: 1 << 20 })

function measure() {
  for (let i = 0; i < 3; i++) globalThis.gc()
  const m = process.memoryUsage()
  return { heap: m.heapUsed, rss: m.rss }
}

async function viaEngine(server) {
  for (let i = 0; i < count; i++) {
    const link = server.accept({ send() {}, close() {} })
    link.receive(HELLO)
    link.closed()
  }
}

async function viaWs(wss, port) {
  const batch = 100
  for (let i = 0; i < count; i += batch) {
    await Promise.all(
      Array.from({ length: Math.min(batch, count - i) }, async () => {
        const ws = new WebSocket(`ws://127.0.0.1:${port}`)
        await new Promise((resolve, reject) => {
          ws.once('open', () => ws.send(HELLO))
          ws.once('message', () => ws.terminate())
          ws.once('close', resolve)
          ws.once('error', reject)
        })
      }),
    )
  }
  // Until the server side of every connection is closed too (and so its session detached).
  const deadline = Date.now() + 30_000
  while (wss.clients.size && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
}

const store = new MemoryStore()
let wss
let server
if (real) {
  wss = new WebSocketServer({ host: '127.0.0.1', port: 0, clientTracking: true })
  await new Promise((r) => wss.once('listening', r))
}
const before = measure()
const started = Date.now()
if (real) {
  server = resumable(wss, { store })
  await viaWs(wss, wss.address().port)
} else {
  server = new ResumableServer({ store })
  await viaEngine(server)
}
const ms = Date.now() - started
const after = measure()
const idle = [...server.sessions].filter((s) => !s.connected).length
const kib = (n) => `${(n / 1024).toFixed(2)} KiB`
const mib = (n) => `${(n / 1024 / 1024).toFixed(1)} MiB`
console.log(
  `${count} idle sessions (${real ? 'real ws connections' : 'engine, no sockets'}), ${idle} waiting for a resume, made in ${ms} ms`,
)
console.log(
  `heap: +${mib(after.heap - before.heap)} total, ${kib((after.heap - before.heap) / count)} per session`,
)
console.log(
  `rss:  +${mib(after.rss - before.rss)} total, ${kib((after.rss - before.rss) / count)} per session`,
)
if (store.size !== count || idle !== count) {
  console.error(`expected ${count} sessions in the store, got ${store.size} (${idle} idle)`)
  process.exitCode = 1
}
server.close()
wss?.close()
