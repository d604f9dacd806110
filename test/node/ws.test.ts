// SteadySocket in Node 20 with `ws` injected (no global WebSocket), against a real `ws` server on
// 127.0.0.1:0 (the fault server), from an audit: ws's bufferedAmount and what recoverUnsent can do
// with it, backpressure, heartbeat, flush()/opened(), binaryType, and a Node process that exits
// after dispose() even against a silent server. Every wait is bounded.
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, test } from 'vitest'
import { WebSocket } from 'ws'
import { SteadySocket, json, type SteadySocketOptions } from '../../src/index'
import { startFaultServer, waitFor } from '../support/fault-server.mjs'
import { useFaultServer } from './harness'

const root = fileURLToPath(new URL('../..', import.meta.url))
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

const h = useFaultServer()

function connect<In = unknown, Out = unknown>(
  options: SteadySocketOptions<In, Out> = {},
  path = '/echo',
  base = h.server,
) {
  const socket = new SteadySocket<In, Out>(`${base.url}${path}`, {
    WebSocket,
    reconnect: { initialDelay: 50, maxDelay: 200, jitter: 'none', minUptime: 300 },
    ...options,
  })
  h.sockets.push(socket)
  return socket
}

/** Indices of numbered JSON messages a connection received. */
const indices = (c: { received: (string | Buffer)[] }) =>
  c.received.map((m) => (JSON.parse(String(m)) as { n: number }).n)

// ---------------------------------------------------------------------------------------------
describe('ws bufferedAmount semantics (raw ws, no SteadySocket)', () => {
  test('0 right after send() to a reading server (browsers count it until a later task)', async () => {
    const ws = new WebSocket(`${h.server.url}/sink`)
    await new Promise((r) => ws.once('open', r))
    ws.send('hello')
    // ws writes synchronously into the kernel while it can: nothing is counted.
    expect(ws.bufferedAmount).toBe(0)
    ws.terminate()
  })

  test('counts frame headers: each small frame adds payload + 6 bytes (header + mask)', async () => {
    h.server.pauseReading()
    const ws = new WebSocket(`${h.server.url}/sink`)
    await new Promise((r) => ws.once('open', r))
    // Fill the kernel buffers so that further writes stay in ws's own buffer.
    const big = 'x'.repeat(64 * 1024)
    for (let i = 0; i < 400 && ws.bufferedAmount === 0; i++) ws.send(big)
    expect(ws.bufferedAmount).toBeGreaterThan(0)
    const before = ws.bufferedAmount
    ws.send('0123456789') // 10 bytes of payload
    expect(ws.bufferedAmount - before).toBe(16)
    ws.terminate()
  })

  test('after the server terminates, the dead socket reports bufferedAmount 0 at its close', async () => {
    h.server.pauseReading()
    const ws = new WebSocket(`${h.server.url}/sink`)
    await new Promise((r) => ws.once('open', r))
    ws.on('error', () => {})
    const big = 'x'.repeat(64 * 1024)
    for (let i = 0; i < 400 && ws.bufferedAmount < 2 * 1024 * 1024; i++) ws.send(big)
    expect(ws.bufferedAmount).toBeGreaterThan(1024 * 1024)
    const atClose = new Promise<number>((r) => ws.once('close', () => r(ws.bufferedAmount)))
    h.server.terminate()
    // ws destroys the TCP socket, which discards its write buffer: unlike Chromium, nothing is
    // left to tell which bytes were never transmitted.
    expect(await atClose).toBe(0)
  })
})

// ---------------------------------------------------------------------------------------------
describe('recoverUnsent with ws', () => {
  test("what was in ws's own buffer when the server terminates is not recovered (README, In Node)", async () => {
    h.server.pauseReading()
    const socket = connect<unknown, { n: number; pad: string }>({ codec: json() })
    await socket.opened({ timeout: 5000 })
    const pad = 'x'.repeat(32 * 1024)
    const results: string[] = []
    // Default backpressure (1 MiB): 'sent' until ws's own buffer is above the high-water mark.
    for (let n = 0; n < 2000 && !results.includes('queued'); n++)
      results.push(socket.send({ n, pad }))
    const lastSent = results.lastIndexOf('sent')
    expect(results.at(-1)).toBe('queued')
    const native = socket.bufferedAmount - socket.queuedBytes
    // The last 'sent' message is certainly among the bytes ws never transmitted.
    expect(native).toBeGreaterThan(1024 * 1024)
    h.server.terminate()
    h.server.resumeReading()
    await waitFor(() => h.server.connections.length === 2 && socket.isOpen, { timeout: 5000 })
    await socket.flush({ timeout: 10_000 })
    const second = h.server.connections[1]!
    await waitFor(() => second.receivedCount >= 1, { timeout: 5000 })
    await sleep(100)
    const got = indices(second)
    // ws empties its buffer when its TCP socket dies and reports bufferedAmount 0 at the close:
    // recoverUnsent has nothing to map back. The second connection starts at the first 'queued'
    // message; the 'sent' tail is gone, as the README's Node section says. Nothing twice.
    expect(h.server.connections[0]!.receivedCount).toBe(0)
    expect(got[0]).toBe(lastSent + 1)
    expect(new Set(got).size).toBe(got.length)
  }, 20_000)

  test('reconnect() while the server is not reading: each message arrives exactly once, in order', async () => {
    h.server.pauseReading()
    const socket = connect<unknown, { n: number; pad: string }>({ codec: json() })
    await socket.opened({ timeout: 5000 })
    const pad = 'x'.repeat(32 * 1024)
    let total = 0
    for (let n = 0; n < 2000 && socket.queueLength < 20; n++, total++) socket.send({ n, pad })
    socket.reconnect()
    await sleep(200)
    h.server.resumeReading()
    await waitFor(() => socket.isOpen && socket.queueLength === 0, { timeout: 10_000 })
    await socket.flush({ timeout: 10_000 })
    await waitFor(() => h.server.connections.reduce((s, c) => s + c.receivedCount, 0) >= total, {
      timeout: 10_000,
    })
    await sleep(100)
    const all = h.server.connections.flatMap(indices)
    expect(all).toEqual([...Array(total).keys()])
  }, 30_000)
})

// ---------------------------------------------------------------------------------------------
describe('backpressure with ws', () => {
  test('queues above the high-water mark, drains only once the server reads, delivers everything once', async () => {
    h.server.pauseReading()
    const socket = connect<unknown, { n: number; pad: string }>({
      codec: json(),
      backpressure: { highWaterMark: 256 * 1024, lowWaterMark: 64 * 1024 },
      queue: { maxBytes: 64 * 1024 * 1024 },
    })
    await socket.opened({ timeout: 5000 })
    let drains = 0
    socket.on('drain', () => drains++)
    const pad = 'x'.repeat(16 * 1024)
    let total = 0
    for (let n = 0; n < 4000 && socket.queueLength < 50; n++, total++) socket.send({ n, pad })
    expect(socket.queueLength).toBe(50)
    await sleep(300)
    // ws's buffer does not shrink while the server does not read: no drain, the queue waits.
    expect(drains).toBe(0)
    expect(socket.queueLength).toBe(50)
    h.server.resumeReading()
    await waitFor(() => drains === 1, { timeout: 10_000 })
    await socket.flush({ timeout: 10_000 })
    await waitFor(() => h.server.connections[0]!.receivedCount === total, { timeout: 10_000 })
    expect(indices(h.server.connections[0]!)).toEqual([...Array(total).keys()])
    expect(drains).toBe(1)
  }, 30_000)
})

// ---------------------------------------------------------------------------------------------
describe('heartbeat with ws', () => {
  test('a silent server: HeartbeatTimeoutError, close 1006 "heartbeat timeout", then a reconnect', async () => {
    const socket = connect({ heartbeat: { interval: 100, timeout: 200 } })
    await socket.opened({ timeout: 5000 })
    const errors: string[] = []
    const closes: unknown[] = []
    socket.on('error', (e) => errors.push(e.name))
    socket.on('close', (c) => closes.push(c))
    h.server.silent()
    await waitFor(() => errors.includes('HeartbeatTimeoutError'), { timeout: 5000 })
    expect(closes[0]).toEqual({
      code: 1006,
      reason: 'heartbeat timeout',
      wasClean: false,
      willReconnect: true,
    })
    h.server.unsilent()
    await waitFor(() => socket.isOpen && h.server.connections.length >= 2, { timeout: 5000 })
    expect(h.unhandled).toEqual([])
  })

  test("the README's ws server snippet with isPong: pongs are not messages, the connection stays up", async () => {
    const readmeServer = await startFaultServer({
      echo: false,
      onConnection: (ws) => {
        ws.on('message', (data, isBinary) => {
          if (!isBinary && data.toString() === 'ping') return ws.send('pong')
          ws.send(`echo:${data.toString()}`)
        })
      },
    })
    try {
      const socket = connect(
        {
          heartbeat: {
            interval: 50,
            timeout: 100,
            message: 'ping',
            isPong: (raw) => raw === 'pong',
          },
        },
        '/app',
        readmeServer,
      )
      const messages: unknown[] = []
      const errors: string[] = []
      socket.on('message', (m) => messages.push(m))
      socket.on('error', (e) => errors.push(e.name))
      await socket.opened({ timeout: 5000 })
      await sleep(600) // several intervals and timeouts
      socket.send('hi')
      await waitFor(() => messages.length === 1, { timeout: 2000 })
      expect(messages).toEqual(['echo:hi'])
      expect(errors).toEqual([])
      expect(readmeServer.totalConnections).toBe(1)
      expect(
        readmeServer.connections[0]!.received.filter((m) => m === 'ping').length,
      ).toBeGreaterThan(5)
    } finally {
      for (const s of h.sockets.splice(0)) s.dispose()
      await readmeServer.close()
    }
  })
})

// ---------------------------------------------------------------------------------------------
describe('watchNetwork in Node', () => {
  test('watchNetwork: true attaches nothing (no global addEventListener) and reconnects normally', async () => {
    expect(typeof (globalThis as { addEventListener?: unknown }).addEventListener).toBe('undefined')
    const socket = connect({ watchNetwork: true })
    const errors: unknown[] = []
    socket.on('error', (e) => errors.push(e))
    await socket.opened({ timeout: 5000 })
    h.server.terminate()
    await waitFor(() => socket.isOpen && h.server.totalConnections === 2, { timeout: 5000 })
    socket.close()
    expect(errors).toEqual([])
    expect(h.unhandled).toEqual([])
  })
})

// ---------------------------------------------------------------------------------------------
describe('flush() and opened() with ws', () => {
  test('flush() resolves once ws handed the bytes to the kernel, not when the server has them', async () => {
    h.server.pauseReading()
    const socket = connect()
    await socket.opened({ timeout: 5000 })
    socket.send('x'.repeat(100 * 1024))
    await socket.flush({ timeout: 2000 })
    // "the native bufferedAmount is 0": true, yet the server has read nothing.
    expect(h.server.connections[0]!.receivedCount).toBe(0)
  })

  test("flush() waits while bytes sit in ws's own buffer and resolves once the server reads", async () => {
    h.server.pauseReading()
    const socket = connect({ backpressure: false, queue: { maxBytes: 64 * 1024 * 1024 } })
    await socket.opened({ timeout: 5000 })
    const big = 'x'.repeat(64 * 1024)
    for (let i = 0; i < 400 && socket.bufferedAmount === 0; i++) socket.send(big)
    for (let i = 0; i < 16; i++) socket.send(big)
    let done = false
    const flushed = socket.flush({ timeout: 10_000 }).then(() => (done = true))
    await sleep(300)
    expect(done).toBe(false)
    h.server.resumeReading()
    await flushed
  }, 20_000)

  test('opened() rejects once retries are exhausted against a refusing server', async () => {
    h.server.refuse()
    const socket = connect({ reconnect: { initialDelay: 20, maxRetries: 2, jitter: 'none' } })
    await expect(socket.opened()).rejects.toMatchObject({ name: 'ClosedError' })
    expect(socket.status).toBe('closed')
  })

  test('opened() rejects when disposed mid-upgrade (server holds the handshake)', async () => {
    h.server.delayHandshake(5000)
    const socket = connect()
    const opened = socket.opened()
    await sleep(100)
    socket.dispose()
    await expect(opened).rejects.toMatchObject({ name: 'ClosedError' })
    expect(h.unhandled).toEqual([])
  })

  test("close() against a silent server: 'closing' (opened() pending) until ws's 30 s closeTimeout; dispose() ends it", async () => {
    const socket = connect()
    await socket.opened({ timeout: 5000 })
    h.server.silent()
    socket.close()
    // opened() rejects at once only when 'closed'; the status is 'closing' until ws's closing
    // handshake completes or its closeTimeout (30 s by default) destroys the socket.
    const opened = socket.opened().then(
      () => 'resolved',
      (e: Error) => e.name,
    )
    const result = await Promise.race([opened, sleep(1000).then(() => 'pending')])
    expect(result).toBe('pending')
    expect(socket.status).toBe('closing')
    socket.dispose()
    expect(await opened).toBe('ClosedError')
  })
})

// ---------------------------------------------------------------------------------------------
describe('binaryType with ws', () => {
  test("default 'blob': ws is set to 'blob' and binary frames arrive as Blob", async () => {
    const socket = connect()
    const got: unknown[] = []
    socket.on('message', (m) => got.push(m))
    await socket.opened({ timeout: 5000 })
    socket.send(Buffer.from([1, 2, 3])) // a Node Buffer is a view: a binary frame
    await waitFor(() => got.length === 1, { timeout: 2000 })
    expect(got[0]).toBeInstanceOf(Blob)
    expect([...new Uint8Array(await (got[0] as Blob).arrayBuffer())]).toEqual([1, 2, 3])
  })

  test("'arraybuffer' (also when set later, and after a reconnect): frames arrive as ArrayBuffer", async () => {
    const socket = connect()
    const got: unknown[] = []
    socket.on('message', (m) => got.push(m))
    await socket.opened({ timeout: 5000 })
    socket.binaryType = 'arraybuffer'
    socket.send(new Uint8Array([4, 5]))
    await waitFor(() => got.length === 1, { timeout: 2000 })
    expect(got[0]).toBeInstanceOf(ArrayBuffer)
    h.server.terminate()
    await waitFor(() => socket.isOpen && h.server.totalConnections === 2, { timeout: 5000 })
    socket.send(new Uint8Array([6]))
    await waitFor(() => got.length === 2, { timeout: 2000 })
    expect(got[1]).toBeInstanceOf(ArrayBuffer)
  })

  test("ws's own 'nodebuffer' (option, and after a reconnect): frames arrive as Buffers", async () => {
    const socket = connect({ binaryType: 'nodebuffer' })
    const got: unknown[] = []
    socket.on('message', (m) => got.push(m))
    await socket.opened({ timeout: 5000 })
    expect(socket.binaryType).toBe('nodebuffer')
    socket.send(new Uint8Array([1, 2]))
    await waitFor(() => got.length === 1, { timeout: 2000 })
    expect(Buffer.isBuffer(got[0])).toBe(true)
    expect([...(got[0] as Buffer)]).toEqual([1, 2])
    h.server.terminate()
    await waitFor(() => socket.isOpen && h.server.totalConnections === 2, { timeout: 5000 })
    socket.send(new Uint8Array([3]))
    await waitFor(() => got.length === 2, { timeout: 2000 })
    expect(Buffer.isBuffer(got[1])).toBe(true)
  })

  test("'fragments' set later: a frame arrives as an array of Buffers", async () => {
    const socket = connect()
    const got: unknown[] = []
    socket.on('message', (m) => got.push(m))
    await socket.opened({ timeout: 5000 })
    socket.binaryType = 'fragments'
    expect(socket.binaryType).toBe('fragments')
    socket.send(new Uint8Array([5]))
    await waitFor(() => got.length === 1, { timeout: 2000 })
    expect(Array.isArray(got[0])).toBe(true)
    expect([...Buffer.concat(got[0] as Buffer[])]).toEqual([5])
  })

  test('a type ws does not know is ignored, as ws ignores it: the socket keeps its own', async () => {
    const socket = connect({ binaryType: 'arraybuffer' })
    await socket.opened({ timeout: 5000 })
    socket.binaryType = 'bogus'
    expect(socket.binaryType).toBe('arraybuffer')
    const fresh = connect({ binaryType: 'bogus' })
    await fresh.opened({ timeout: 5000 })
    // ws's own default, which it kept.
    expect(fresh.binaryType).toBe('nodebuffer')
  })

  test('text frames arrive as strings', async () => {
    const socket = connect()
    const got: unknown[] = []
    socket.on('message', (m) => got.push(m))
    await socket.opened({ timeout: 5000 })
    socket.send('héllo')
    await waitFor(() => got.length === 1, { timeout: 2000 })
    expect(got).toEqual(['héllo'])
  })
})

// ---------------------------------------------------------------------------------------------
// Child processes: the client runs alone in its own process (the server stays here, so only what
// the client leaves behind can keep the child alive).

function runChild(
  code: string,
  type: 'module' | 'commonjs',
  killAfter: number,
): Promise<{ code: number | null; signal: string | null; ms: number; out: string }> {
  return new Promise((resolve, reject) => {
    const started = Date.now()
    const proc = spawn(process.execPath, [`--input-type=${type}`, '-e', code], { cwd: root })
    let out = ''
    proc.stdout.on('data', (d: Buffer) => (out += d.toString()))
    proc.stderr.on('data', (d: Buffer) => (out += d.toString()))
    const killer = setTimeout(() => proc.kill('SIGKILL'), killAfter)
    proc.on('error', (e) => (clearTimeout(killer), reject(e)))
    proc.on('exit', (exitCode, signal) => {
      clearTimeout(killer)
      resolve({ code: exitCode, signal, ms: Date.now() - started, out })
    })
  })
}

const KILL_AFTER_MS = 10_000

/** ESM child: connects to `url`, runs `body` (which may use socket, step, sleep), disposes. */
const esmChild = (url: string, options: string, body: string) => `
import { WebSocket } from 'ws'
import { SteadySocket } from 'steadysocket'
const step = (what) => console.log('step ' + what)
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))
const socket = new SteadySocket(${JSON.stringify(url)}, { WebSocket, ${options} })
socket.on('error', (e) => step('error ' + e.name))
${body}
const t = Date.now()
socket.dispose()
step('disposed status=' + socket.status)
process.on('exit', () => console.log('exit ' + (Date.now() - t) + ' ms after dispose'))
`

describe('a Node process exits after dispose() (client alone in the child)', () => {
  test(
    'disposed while open against a silent (half-open) server',
    async () => {
      h.server.silent()
      const r = await runChild(
        esmChild(
          `${h.server.url}/echo`,
          '',
          `await socket.opened({ timeout: 5000 }); step('open')`,
        ),
        'module',
        KILL_AFTER_MS,
      )
      expect(r.out).toContain('step disposed status=closed')
      // ws's close() waits up to its closeTimeout (30 s) for the peer's close frame, with a timer
      // that holds the event loop: the process lingers although dispose() "removes every timer".
      expect(r.signal, `still running ${KILL_AFTER_MS} ms later:\n${r.out}`).toBeNull()
      expect(r.ms).toBeLessThan(5000)
    },
    KILL_AFTER_MS + 5000,
  )

  test(
    'disposed while reconnecting after a heartbeat timeout (abandoned socket)',
    async () => {
      h.server.silent()
      const r = await runChild(
        esmChild(
          `${h.server.url}/echo`,
          `heartbeat: { interval: 50, timeout: 150 }, reconnect: { initialDelay: 30000, jitter: 'none' }`,
          `await socket.opened({ timeout: 5000 }); step('open')
await new Promise((r) => socket.once('reconnecting', r)); step('reconnecting')`,
        ),
        'module',
        KILL_AFTER_MS,
      )
      expect(r.out).toContain('step error HeartbeatTimeoutError')
      expect(r.out).toContain('step disposed status=closed')
      expect(r.signal, `still running ${KILL_AFTER_MS} ms later:\n${r.out}`).toBeNull()
      expect(r.ms).toBeLessThan(5000)
    },
    KILL_AFTER_MS + 5000,
  )

  test(
    'disposed mid-upgrade (the server holds the HTTP upgrade)',
    async () => {
      h.server.delayHandshake(30_000)
      const r = await runChild(
        esmChild(
          `${h.server.url}/echo`,
          '',
          `await sleep(200); step(socket.status); socket.send('queued')`,
        ),
        'module',
        KILL_AFTER_MS,
      )
      expect(r.out).toContain('step connecting')
      expect(r.signal, r.out).toBeNull()
      expect(r.code, r.out).toBe(0)
      expect(r.ms).toBeLessThan(5000)
    },
    KILL_AFTER_MS + 5000,
  )

  test(
    'disposed while the handshake option waits for a reply that never comes',
    async () => {
      const r = await runChild(
        esmChild(
          `${h.server.url}/sink`,
          `handshake: (s) => new Promise(() => { s.send('auth') }), connectTimeout: 30000`,
          `await sleep(300); step(socket.status)`,
        ),
        'module',
        KILL_AFTER_MS,
      )
      expect(h.server.connections[0]?.received).toEqual(['auth'])
      expect(r.out).toContain('step connecting')
      expect(r.signal, r.out).toBeNull()
      expect(r.code, r.out).toBe(0)
      expect(r.ms).toBeLessThan(5000)
    },
    KILL_AFTER_MS + 5000,
  )
})

describe('the built package with ws', () => {
  test(
    'ESM import: echo round trip, binary as Blob, then the process exits',
    async () => {
      const r = await runChild(
        esmChild(
          `${h.server.url}/echo`,
          '',
          `await socket.opened({ timeout: 5000 })
const got = []
socket.on('message', (m) => got.push(m))
socket.send('hello'); socket.send(new Uint8Array([7]))
while (got.length < 2) await sleep(10)
step('got ' + got[0] + ' ' + got[1].constructor.name)`,
        ),
        'module',
        KILL_AFTER_MS,
      )
      expect(r.out).toContain('step got hello Blob')
      expect(r.code, r.out).toBe(0)
    },
    KILL_AFTER_MS + 5000,
  )

  test(
    "CJS require('steadysocket'): echo round trip, json codec, then the process exits",
    async () => {
      const code = `
const { WebSocket } = require('ws')
const { SteadySocket, json } = require('steadysocket')
const socket = new SteadySocket(${JSON.stringify(`${h.server.url}/echo`)}, { WebSocket, codec: json() })
socket.send({ hi: 1 }) // queued while connecting
socket.on('message', (m) => {
  console.log('got ' + JSON.stringify(m) + ' ' + socket.status)
  socket.dispose()
})
`
      const r = await runChild(code, 'commonjs', KILL_AFTER_MS)
      expect(r.out).toContain('got {"hi":1} open')
      expect(r.code, r.out).toBe(0)
      expect(r.ms).toBeLessThan(5000)
    },
    KILL_AFTER_MS + 5000,
  )
})
