// dispose() leaves no timer, socket or listener behind: a Node process that used the built
// package (dist/index.js) with `ws` exits on its own once it has disposed the socket and closed
// its server. Anything left scheduled (a heartbeat interval, a retry or connect timer, the
// backpressure poll) or a native socket still open would keep the event loop alive.
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, test } from 'vitest'
import { TOOL_TIMEOUT } from './timeouts'

const root = fileURLToPath(new URL('../..', import.meta.url))
const dist = `${root}dist/index.js`
/**
 * How long the child may take before it is killed and the test fails: room for a slow start on a
 * loaded machine, yet under the 30 s retry and connect timers a leak would leave running.
 */
const KILL_AFTER_MS = 20_000

/**
 * The child: an echo server on 127.0.0.1:0 (pongs 'ping') and a socket with heartbeat, queue,
 * backpressure and reconnect all on. `phase` is the state it is disposed in.
 */
const child = (phase: 'open' | 'reconnecting' | 'connecting' | 'backpressure') => `
import { createServer } from 'node:net'
import { WebSocket, WebSocketServer } from 'ws'
import { SteadySocket } from ${JSON.stringify(dist)}

const step = (what) => console.log('step ' + what)
const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 })
await new Promise((r) => wss.once('listening', r))
wss.on('connection', (ws) =>
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary })),
)
// A TCP server that never answers an upgrade: a socket stays CONNECTING against it.
const mute = createServer(() => {})
await new Promise((r) => mute.listen(0, '127.0.0.1', r))
const port = ${JSON.stringify(phase)} === 'connecting' ? mute.address().port : wss.address().port

const socket = new SteadySocket('ws://127.0.0.1:' + port, {
  WebSocket,
  heartbeat: { interval: 50, timeout: 1000 },
  queue: { maxBytes: 64 * 1024 * 1024 },
  backpressure: { highWaterMark: 1024, lowWaterMark: 512 },
  connectTimeout: 30000,
  reconnect: { initialDelay: 30000, maxDelay: 30000, jitter: 'none', minUptime: 30000 },
})
if (${JSON.stringify(phase)} === 'connecting') {
  await new Promise((r) => setTimeout(r, 200))
  if (socket.status !== 'connecting') throw new Error('expected connecting, got ' + socket.status)
  socket.send('queued while connecting')
} else {
  await socket.opened({ timeout: 5000 })
  const echoed = new Promise((r) => socket.once('message', r))
  socket.send('hello')
  if (String(await echoed) !== 'hello') throw new Error('no echo')
  step('echoed')
  // Let the heartbeat ping at least once.
  await new Promise((r) => setTimeout(r, 150))
  if (${JSON.stringify(phase)} === 'backpressure') {
    // Above the high-water mark: the queue fills and the buffer poll runs; a flush() waits.
    for (let i = 0; i < 200; i++) socket.send('x'.repeat(64 * 1024))
    socket.flush({ timeout: 20000 }).catch(() => {})
    if (socket.queueLength === 0) throw new Error('expected a queue')
  }
  if (${JSON.stringify(phase)} === 'reconnecting') {
    for (const client of wss.clients) client.terminate()
    await new Promise((r) => socket.once('reconnecting', r))
    socket.send('queued while reconnecting')
  }
}
step(socket.status + ' queue=' + socket.queueLength)
let drops = 0
socket.on('drop', ({ reason }) => { if (reason === 'disposed') drops++ })
socket.dispose()
step('disposed status=' + socket.status + ' drops=' + drops)
mute.close()
for (const client of wss.clients) client.terminate()
wss.close()
step('servers closed')
`

interface Exit {
  code: number | null
  signal: string | null
  /** From the child's "disposed" line to its exit: the start-up a loaded machine slows is left out. */
  ms: number
  out: string
}

function run(code: string): Promise<Exit> {
  return new Promise((resolve, reject) => {
    let disposedAt = Number.NaN
    const proc = spawn(process.execPath, ['--input-type=module', '-e', code], { cwd: root })
    let out = ''
    proc.stdout.on('data', (d: Buffer) => {
      out += d.toString()
      if (Number.isNaN(disposedAt) && out.includes('step disposed')) disposedAt = Date.now()
    })
    proc.stderr.on('data', (d: Buffer) => (out += d.toString()))
    const killer = setTimeout(() => proc.kill('SIGKILL'), KILL_AFTER_MS)
    proc.on('error', (error) => {
      clearTimeout(killer)
      reject(error)
    })
    proc.on('exit', (exitCode, signal) => {
      clearTimeout(killer)
      resolve({ code: exitCode, signal, ms: Date.now() - disposedAt, out })
    })
  })
}

describe('a Node process using the built package', () => {
  test('the build exists (run npm run build first)', () => {
    expect(existsSync(dist), 'dist/index.js is missing: run `npm run build`').toBe(true)
  })

  test.each(['open', 'reconnecting', 'connecting', 'backpressure'] as const)(
    'exits on its own after dispose() while %s',
    async (phase) => {
      const result = await run(child(phase))
      console.log(`dispose-exit (${phase}): exited ${result.code} ${result.ms} ms after dispose()`)
      expect(result.out).toContain('step disposed status=closed')
      expect(result.out).toContain('step servers closed')
      // Killed by the timeout means something kept the event loop alive.
      expect(result.signal, `still running after ${KILL_AFTER_MS} ms:\n${result.out}`).toBeNull()
      expect(result.code, result.out).toBe(0)
      // A few seconds at most: the retry and connect timers are 30 s, the heartbeat ticks
      // every 50 ms; any of them left behind would show here.
      expect(result.ms).toBeLessThan(5000)
    },
    TOOL_TIMEOUT,
  )
})
