// Per-send() cost of SteadySocket against the native WebSocket, side by side in one Chromium run.
//
// Chromium is started directly (no Playwright, no DevTools protocol): a page Playwright controls
// reports every WebSocket frame to DevTools, which would measure DevTools rather than the library.
// The page posts its figures back over HTTP. Only 127.0.0.1 is used.
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createServer } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { WebSocketServer } from 'ws'

const CHROMIUM = '/usr/bin/chromium'
const BUNDLE = new URL('../dist/steadysocket.umd.min.js', import.meta.url)
const quick = process.argv.includes('--quick')
const ROUNDS = quick ? 5 : 15
// 64-byte sends per timed loop: 512 KB, below the default 1 MiB high-water mark, and long enough
// (≈ 3 ms) for the 0.1 ms resolution of performance.now() to matter little.
const BATCH = 8000
const BATCHES = quick ? 6 : 12

if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium`)
if (!existsSync(BUNDLE))
  throw new Error('dist/steadysocket.umd.min.js is missing: run npm run build')

const page = `<!doctype html><meta charset="utf-8"><script src="/steadysocket.umd.min.js"></script><script>
const MSG = 'x'.repeat(64)
const url = 'ws://' + location.host + '/sink'
const idle = (ws) => new Promise((r) => { const t = () => (ws.bufferedAmount === 0 ? r() : setTimeout(t, 1)); t() })
async function timeBatch(ws, send) {
  await idle(ws)
  const t0 = performance.now()
  for (let i = 0; i < ${BATCH}; i++) send(MSG)
  return ((performance.now() - t0) * 1e6) / ${BATCH} // ns per send
}
// The wrapper's own cost, without the browser's: SteadySocket over a stub socket whose send() does
// nothing, against calling that stub directly. Pure JS, so far steadier than the native figures.
async function wrapperOverhead() {
  class Stub {
    constructor() { this.readyState = 0; this.protocol = ''; this.extensions = ''; this.binaryType = 'blob'; setTimeout(() => { this.readyState = 1; this.onopen && this.onopen({}) }) }
    get bufferedAmount() { return 0 }
    send(m) { this.last = m }
    close() {}
  }
  const direct = new Stub()
  const steady = new SteadySocket('ws://127.0.0.1:9/stub', { WebSocket: Stub })
  await steady.opened()
  const N = 1e6, out = { direct: [], steady: [] }
  for (let r = 0; r < 12; r++) {
    let t0 = performance.now()
    for (let i = 0; i < N; i++) direct.send(MSG)
    out.direct.push(((performance.now() - t0) * 1e6) / N)
    t0 = performance.now()
    for (let i = 0; i < N; i++) steady.send(MSG)
    out.steady.push(((performance.now() - t0) * 1e6) / N)
  }
  steady.dispose()
  return out
}
async function run() {
  const native = new WebSocket(url)
  await new Promise((r) => (native.onopen = r))
  const steady = new SteadySocket(url)
  await steady.opened()
  const sendNative = (m) => native.send(m)
  const sendSteady = (m) => steady.send(m)
  // Warm-up: let both code paths get optimised before anything is timed.
  for (let i = 0; i < 3; i++) { await timeBatch(native, sendNative); await timeBatch(steady, sendSteady) }
  const rounds = []
  for (let r = 0; r < ${ROUNDS * BATCHES}; r++) {
    // Interleaved batch by batch, alternating which goes first, so drift hits both alike.
    const row = {}
    if (r % 2) { row.steady = await timeBatch(steady, sendSteady); row.native = await timeBatch(native, sendNative) }
    else { row.native = await timeBatch(native, sendNative); row.steady = await timeBatch(steady, sendSteady) }
    rounds.push(row)
  }
  native.close(); steady.close()
  await fetch('/results', { method: 'POST', body: JSON.stringify({ rounds, overhead: await wrapperOverhead(), ua: navigator.userAgent }) })
}
run().catch((e) => fetch('/results', { method: 'POST', body: JSON.stringify({ error: String(e && e.stack || e) }) }))
</script>`

const results = new Promise((resolve, reject) => {
  const http = createServer((req, res) => {
    if (req.url === '/') return res.writeHead(200, { 'content-type': 'text/html' }).end(page)
    if (req.url === '/steadysocket.umd.min.js') {
      return res.writeHead(200, { 'content-type': 'text/javascript' }).end(readFileSync(BUNDLE))
    }
    if (req.url === '/results' && req.method === 'POST') {
      let body = ''
      req.on('data', (c) => (body += c))
      req.on('end', () => {
        res.end('ok')
        const parsed = JSON.parse(body)
        if (parsed.error) reject(new Error(parsed.error))
        else resolve(parsed)
      })
      return
    }
    res.writeHead(404).end()
  })
  const wss = new WebSocketServer({ server: http, path: '/sink' })
  wss.on('connection', (ws) => ws.on('message', () => {}))
  http.listen(0, '127.0.0.1', () => {
    const { port } = http.address()
    const profile = mkdtempSync(join(tmpdir(), 'steadysocket-bench-'))
    const chrome = spawn(
      CHROMIUM,
      [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--disable-extensions',
        '--mute-audio',
        `--user-data-dir=${profile}`,
        `http://127.0.0.1:${port}/`,
      ],
      { stdio: 'ignore' },
    )
    const timeout = setTimeout(() => reject(new Error('benchmark timed out after 240 s')), 240_000)
    results
      .finally(() => {
        clearTimeout(timeout)
        chrome.kill('SIGKILL')
        wss.close()
        http.close()
        http.closeAllConnections?.()
        setTimeout(() => rmSync(profile, { recursive: true, force: true }), 500)
      })
      .catch(() => {})
  })
})

const { rounds, overhead, ua } = await results
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}
const ratios = rounds.map((r) => r.steady / r.native)
// Mean of the middle 80 %: GC pauses and flow-control stalls of the browser hit single batches.
const trimmed = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  const cut = Math.floor(s.length / 10)
  const mid = s.slice(cut, s.length - cut)
  return mid.reduce((a, b) => a + b, 0) / mid.length
}
const fmt = (x) => x.toFixed(1)
console.log(
  `send() cost, 64-byte text frames, ${rounds.length} interleaved pairs of ${BATCH}-send batches (${ua.match(/Chrome\/[\d.]+/)?.[0]})`,
)
console.log('| | median ns/send | trimmed mean | min | max |')
console.log('| --- | --- | --- | --- | --- |')
for (const name of ['native', 'steady']) {
  const xs = rounds.map((r) => r[name])
  console.log(
    `| ${name === 'native' ? 'native WebSocket' : 'SteadySocket'} | ${fmt(median(xs))} | ${fmt(trimmed(xs))} | ${fmt(Math.min(...xs))} | ${fmt(Math.max(...xs))} |`,
  )
}
const r3 = (x) => x.toFixed(3)
const ratioOfTrimmed = trimmed(rounds.map((r) => r.steady)) / trimmed(rounds.map((r) => r.native))
console.log(
  `| ratio SteadySocket / native | ${r3(median(ratios))} (median of pairs) | ${r3(ratioOfTrimmed)} | ${r3(Math.min(...ratios))} | ${r3(Math.max(...ratios))} |`,
)

const extra = median(overhead.steady.slice(2)) - median(overhead.direct.slice(2))
console.log('')
console.log(
  `wrapper overhead over a no-op socket: ${fmt(extra)} ns/send (SteadySocket ${fmt(median(overhead.steady.slice(2)))} ns, stub ${fmt(median(overhead.direct.slice(2)))} ns, median of 10 × 1e6)`,
)
console.log(
  `= ${((extra / median(rounds.map((r) => r.native))) * 100).toFixed(1)} % of the median native send() above`,
)
