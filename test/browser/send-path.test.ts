// The send path in a real browser: backpressure on Chromium's own bufferedAmount, recovery of
// the bytes a dead socket never transmitted, heartbeat against a half-open server, offline
// pausing of retries, and the queue across an outage. Only a browser has these semantics.
import { afterAll, afterEach, beforeAll, beforeEach, expect, it } from 'vitest'
import type { Page } from 'playwright-core'
import { startFaultServer, waitFor } from '../support/fault-server.mjs'
import type { ConnectionLog, FaultServer } from '../support/fault-server.mjs'
import { assertBundleBuilt, describeBrowser, launchChromium, openBundlePage } from './chromium'
import type { Browser } from './chromium'

const KiB = 1024
const MiB = 1024 * KiB
/** Size of every numbered message: a 6-digit index, a colon, then padding (ASCII, so bytes = chars). */
const SIZE = 16 * KiB

describeBrowser('send path in Chromium', () => {
  let browser: Browser
  let server: FaultServer
  let page: Page

  beforeAll(async () => {
    assertBundleBuilt()
    browser = await launchChromium()
  })

  afterAll(async () => {
    await browser?.close()
  })

  beforeEach(async () => {
    server = await startFaultServer()
    page = await openBundlePage(browser, server, HARNESS)
  })

  afterEach(async () => {
    await browser.context.setOffline(false)
    await page?.close()
    await server?.close()
  })

  it('queues above the high-water mark, keeps the native buffer bounded, and delivers all in order', async () => {
    const high = 256 * KiB
    const low = 64 * KiB
    const count = 4000
    await make(page, `${server.url}/sink`, {
      backpressure: { highWaterMark: high, lowWaterMark: low },
      queue: { maxBytes: 64 * MiB },
    })
    await opened(page)
    server.pauseReading()

    // One burst in one task, as an application flushing a backlog would: the SDK sees
    // Chromium's bufferedAmount grow synchronously with each write.
    const burst = await page.evaluate(
      ({ count, size }) => {
        const h = (window as unknown as HarnessWindow).harness
        h.sampleEvery(1)
        let firstQueued = -1
        let statusAtFirstQueued = ''
        const results: Record<string, number> = {}
        for (let i = 0; i < count; i++) {
          const result = h.socket.send(h.numbered(i, size))
          results[result] = (results[result] ?? 0) + 1
          if (result === 'queued' && firstQueued < 0) {
            firstQueued = i
            statusAtFirstQueued = h.socket.status
          }
          h.native()
        }
        return { firstQueued, statusAtFirstQueued, results, queueLength: h.socket.queueLength }
      },
      { count, size: SIZE },
    )
    // Writes stop at the first send that finds bufferedAmount above the mark: 17 × 16 KiB.
    expect(burst.firstQueued).toBe(Math.floor(high / SIZE) + 1)
    expect(burst.statusAtFirstQueued).toBe('open')
    expect(burst.results).toEqual({ sent: burst.firstQueued, queued: count - burst.firstQueued })

    // The poll keeps writing while Chromium hands bytes to the kernel, until the loopback
    // buffers are full and the native buffer stays above the low-water mark.
    const stalled = await settled(page, () => {
      const h = (window as unknown as HarnessWindow).harness
      return h.socket.queueLength
    })
    const before = await page.evaluate(() => {
      const h = (window as unknown as HarnessWindow).harness
      return { native: h.native(), drains: h.log.drains, status: h.socket.status }
    })
    expect(server.receivedCount).toBe(0)
    expect(stalled).toBeGreaterThan(0)
    expect(stalled).toBeLessThan(burst.queueLength)
    expect(before.native).toBeGreaterThan(low)
    expect(before).toMatchObject({ drains: 0, status: 'open' })

    server.resumeReading()
    const after = await page.evaluate(async () => {
      const h = (window as unknown as HarnessWindow).harness
      const started = performance.now()
      await h.socket.flush({ timeout: 30_000 })
      h.stopSampling()
      return {
        flushMs: Math.round(performance.now() - started),
        drains: h.log.drains,
        maxNative: h.log.maxNative,
        queueLength: h.socket.queueLength,
        bufferedAmount: h.socket.bufferedAmount,
        closes: h.log.closes.length,
        drops: h.log.drops.length,
      }
    })
    await waitFor(() => server.receivedCount >= count, { timeout: 15_000 })
    const log = onlyConnection(server)
    expect(indices(log.received)).toEqual(range(0, count))
    expect(log.received.every((m) => typeof m === 'string' && m.length === SIZE)).toBe(true)
    expect(after).toMatchObject({
      drains: 1,
      queueLength: 0,
      bufferedAmount: 0,
      closes: 0,
      drops: 0,
    })
    // The SDK writes only while bufferedAmount <= highWaterMark, and Chromium counts payload
    // bytes only (no frame headers), so one message past the mark is the exact worst case: no
    // slack is needed.
    expect(after.maxNative).toBeGreaterThan(high)
    expect(after.maxNative).toBeLessThanOrEqual(high + SIZE)
    expect(browser.errors).toEqual([])
    console.log(
      `backpressure: first 'queued' at index ${burst.firstQueued}; ${stalled} of ${count} ` +
        `still queued with the server not reading (native ${before.native} B); max native ` +
        `buffered ${after.maxNative} B (mark ${high} + one message ${SIZE}); flush took ` +
        `${after.flushMs} ms`,
    )
  })

  it('recovers what a terminated socket never transmitted, in order and without duplicates', async () => {
    const count = 2000
    const prefix = 100
    await make(page, `${server.url}/sink`, {
      // High enough that every message is written straight into Chromium's buffer.
      backpressure: { highWaterMark: 64 * MiB, lowWaterMark: 16 * MiB },
      queue: { maxBytes: 64 * MiB },
      reconnect: { initialDelay: 200, maxDelay: 200, jitter: 'none' },
    })
    await opened(page)
    await sendRange(page, 0, prefix)
    await waitFor(() => server.receivedCount === prefix, { timeout: 5000 })

    server.pauseReading()
    const results = await sendRange(page, prefix, count)
    expect(results).toEqual({ sent: count - prefix })
    const stuck = await settled(page, () => {
      const h = (window as unknown as HarnessWindow).harness
      return h.native()
    })
    // Loopback takes a few MB into kernel buffers; the rest must still be in the browser.
    expect(stuck).toBeGreaterThan(8 * MiB)

    server.terminate()
    await waitFor(() => server.connections[0]?.open === false, { timeout: 5000 })
    // The pause was for the dead connection only; the next one must be read.
    server.resumeReading()
    await waitFor(() => page.evaluate(() => waitingFor().opens.length === 2), { timeout: 10_000 })
    const after = await page.evaluate(async () => {
      const h = (window as unknown as HarnessWindow).harness
      await h.socket.flush({ timeout: 20_000 })
      return {
        closes: h.log.closes,
        opens: h.log.opens.map((o) => o.isReconnect),
        errors: h.log.errors.map((e) => e.name),
        drops: h.log.drops.length,
      }
    })
    expect(after.closes).toMatchObject([{ code: 1006, wasClean: false, willReconnect: true }])
    expect(after.opens).toEqual([false, true])
    expect(after.drops).toBe(0)
    const recoveredAtClose = after.closes[0]!.queueLength
    await waitFor(() => (server.connections[1]?.receivedCount ?? -1) >= recoveredAtClose, {
      timeout: 15_000,
    })
    expect(server.totalConnections).toBe(2)

    const first = indices(server.connections[0]!.received)
    const second = indices(server.connections[1]!.received)
    // Connection 1: an in-order prefix. It holds at least what was read before the pause, and a
    // few more: when its TCP socket dies, ws parses what Node had already pulled into the paused
    // stream's buffer (ws's socketOnClose reads it), which is the server's doing, not the SDK's.
    expect(first.length).toBeGreaterThanOrEqual(prefix)
    expect(first).toEqual(range(0, first.length))
    // Recovery put back exactly the messages overlapping the bytes Chromium still held (the
    // oldest of them partly transmitted, so re-sent whole), and connection 2 got exactly those.
    expect(recoveredAtClose).toBe(Math.ceil(stuck / SIZE))
    expect(second.length).toBe(recoveredAtClose)
    const resumedAt = second[0] ?? count
    // No duplicates and no gap after the resume point: the recovered tail is contiguous to N-1.
    expect(second).toEqual(range(resumedAt, count))
    expect(resumedAt).toBeGreaterThanOrEqual(first.length)
    // What neither connection got is exactly the contiguous range right after connection 1's
    // last message: bytes Chromium had handed to TCP, which sat in the kernel buffers when the
    // server killed the connection (API.md: "data already handed to TCP").
    const seen = new Set([...first, ...second])
    const lost = range(0, count).filter((i) => !seen.has(i))
    expect(lost).toEqual(range(first.length, resumedAt))
    expect(second.length).toBeGreaterThan(0)
    expect(browser.errors).toEqual([])
    console.log(
      `recovery: connection 1 got ${first.length} (${prefix} before the pause); ` +
        `${second.length} of ${count - prefix} recovered and delivered on connection 2; ` +
        `${lost.length} lost in flight (${lost.length * SIZE} B handed to TCP); ${stuck} B were ` +
        `in Chromium's buffer before terminate()`,
    )
  })

  it('detects a silent (half-open) server with the heartbeat and reconnects once it answers', async () => {
    await make(page, `${server.url}/echo`, {
      heartbeat: { interval: 300, timeout: 300 },
      reconnect: { initialDelay: 500, maxDelay: 500, jitter: 'none' },
    })
    await opened(page)
    // Echoed pings keep a healthy connection alive.
    await sleep(900)
    expect(await page.evaluate(() => waitingFor())).toMatchObject({ errors: [], closes: [] })
    expect(server.connections[0]!.received.filter((m) => m === 'ping').length).toBeGreaterThan(1)

    const silentAt = Date.now()
    server.silent()
    await waitFor(() => page.evaluate(() => waitingFor().closes.length > 0), {
      timeout: 3000,
      interval: 20,
    })
    const detectedMs = Date.now() - silentAt
    // The retry waits 500 ms: the server answers again before it.
    server.unsilent()
    const state = await waitFor(
      () => page.evaluate(() => (waitingFor().opens.length === 2 ? waitingFor() : null)),
      { timeout: 5000 },
    )
    expect(state.errors).toEqual(['HeartbeatTimeoutError'])
    expect(state.closes).toMatchObject([
      { code: 1006, reason: 'heartbeat timeout', wasClean: false, willReconnect: true },
    ])
    expect(state.opens).toEqual([false, true])
    expect(server.totalConnections).toBe(2)
    // interval + timeout, plus the tick the silence started in, plus polling.
    expect(detectedMs).toBeLessThan(1500)

    // The new connection is watched by the heartbeat too, and its pings are answered.
    await sleep(900)
    const later = await page.evaluate(() => waitingFor())
    expect(later).toMatchObject({ status: 'open', errors: ['HeartbeatTimeoutError'] })
    expect(later.closes.length).toBe(1)
    expect(server.connections[1]!.received.filter((m) => m === 'ping').length).toBeGreaterThan(1)
    expect(browser.errors).toEqual([])
    console.log(`heartbeat: silent server detected after ${detectedMs} ms`)
  })

  it('opens the next connection at once after giving up on an idle half-open one', async () => {
    // Only the first connection goes half-open, for good: it answers no ping and no close frame.
    const accepted: { pause(): void }[] = []
    const hooked = await startFaultServer({ onConnection: (ws) => accepted.push(ws) })
    try {
      await make(page, `${hooked.url}/echo`, {
        heartbeat: { interval: 300, timeout: 300 },
        reconnect: { initialDelay: 200, maxDelay: 200, jitter: 'none' },
        // What a queue held for the abandoned socket would wait (its close never comes).
        connectTimeout: 60_000,
      })
      await opened(page)
      accepted[0]!.pause()
      const state = await waitFor(
        () => page.evaluate(() => (waitingFor().opens.length === 2 ? waitingFor() : null)),
        { timeout: 10_000 },
      )
      expect(state.closes).toMatchObject([{ code: 1006, reason: 'heartbeat timeout' }])
      expect(state.status).toBe('open')
      // The abandoned socket had nothing but pings left to send: nothing to wait for.
      expect(hooked.connections[0]!.open).toBe(true)
      expect(browser.errors).toEqual([])
      console.log(`heartbeat: reopened ${state.reopenedAfterCloseMs} ms after giving up`)
    } finally {
      await hooked.close()
    }
  })

  it('keeps retrying at maxDelay while the browser is offline, and at once when it is back', async () => {
    // Offline is a hint (API.md, watchNetwork): retries slow down to maxDelay, never stop.
    await make(page, `${server.url}/echo`, {
      reconnect: { initialDelay: 100, maxDelay: 500, jitter: 'none' },
    })
    await opened(page)
    await browser.context.setOffline(true)
    expect(await page.evaluate(() => navigator.onLine)).toBe(false)
    // Open sockets survive the emulated offline; the server ends this one.
    server.terminate()
    await waitFor(() => page.evaluate(() => waitingFor().closes.length === 1), { timeout: 5000 })
    const closedAt = await page.evaluate(() => waitingFor().closes[0]!.at)

    // At the 100 ms backoff this would be about 15 attempts; at maxDelay, 3 or 4.
    await sleep(1800)
    const offline = await page.evaluate((since) => {
      const h = (window as unknown as HarnessWindow).harness
      return {
        delays: h.log.reconnecting.filter((r) => r.at >= since).map((r) => r.delay),
        status: h.socket.status,
      }
    }, closedAt)
    expect(offline.delays.length).toBeGreaterThanOrEqual(2)
    expect(offline.delays.length).toBeLessThanOrEqual(5)
    expect(new Set(offline.delays)).toEqual(new Set([500]))
    expect(['reconnecting', 'connecting']).toContain(offline.status)
    expect(server.totalConnections).toBe(1) // Chromium fails them inside the browser

    await browser.context.setOffline(false)
    await waitFor(() => page.evaluate(() => waitingFor().opens.length === 2), { timeout: 3000 })
    expect(server.totalConnections).toBe(2)
    expect(browser.errors).toEqual([])
  })

  it('retries at once when the browser comes back online, well before the backoff delay', async () => {
    await make(page, `${server.url}/echo`, {
      reconnect: { initialDelay: 5000, maxDelay: 5000, jitter: 'none' },
    })
    await opened(page)
    server.terminate()
    await waitFor(() => page.evaluate(() => waitingFor().closes.length === 1), { timeout: 5000 })
    await browser.context.setOffline(true)
    await sleep(300)
    expect(server.totalConnections).toBe(1)

    const onlineAt = Date.now()
    await browser.context.setOffline(false)
    await waitFor(() => page.evaluate(() => waitingFor().opens.length === 2), { timeout: 2000 })
    const reopenMs = Date.now() - onlineAt
    const state = await page.evaluate(() => waitingFor())
    expect(state.reconnecting).toEqual([{ attempt: 1, delay: 5000 }])
    expect(state.opens).toEqual([false, true])
    // Close to reopen, measured in the page: far below the 5000 ms the timer would have waited.
    expect(state.reopenedAfterCloseMs).toBeLessThan(2500)
    expect(server.totalConnections).toBe(2)
    expect(browser.errors).toEqual([])
    console.log(`online: reopened ${reopenMs} ms after going back online`)
  })

  it('keeps JSON messages queued through a server outage and delivers them in order', async () => {
    const count = 500
    await make(
      page,
      `${server.url}/sink`,
      { reconnect: { initialDelay: 200, maxDelay: 400, factor: 2, jitter: 'none' } },
      true,
    )
    await opened(page)
    server.refuse()
    server.terminate()
    await waitFor(() => page.evaluate(() => waitingFor().status === 'reconnecting'), {
      timeout: 5000,
    })
    const sent = await page.evaluate((count) => {
      const h = (window as unknown as HarnessWindow).harness
      const results: Record<string, number> = {}
      for (let i = 0; i < count; i++) {
        const result = h.socket.send({ n: i, text: `message ${i}` })
        results[result] = (results[result] ?? 0) + 1
      }
      return { results, queueLength: h.socket.queueLength, isOpen: h.socket.status === 'open' }
    }, count)
    expect(sent).toEqual({ results: { queued: count }, queueLength: count, isOpen: false })

    // A few refused attempts (200, 400, 400 ms), few enough that Chromium does not throttle.
    await sleep(900)
    expect(server.totalConnections).toBe(1)
    server.accept()
    const after = await page.evaluate(async () => {
      const h = (window as unknown as HarnessWindow).harness
      await h.socket.flush({ timeout: 10_000 })
      return {
        queueLength: h.socket.queueLength,
        opens: h.log.opens.map((o) => o.isReconnect),
        drops: h.log.drops.length,
        // Refused handshakes, as opposed to the terminated connection's own error.
        refused: h.log.errors.filter((e) => e.message.includes('could not connect')).length,
      }
    })
    expect(after).toMatchObject({ queueLength: 0, opens: [false, true], drops: 0 })
    expect(after.refused).toBeGreaterThanOrEqual(1)
    await waitFor(() => server.connections[1]?.receivedCount === count, { timeout: 5000 })
    expect(server.totalConnections).toBe(2)
    expect(server.connections[0]!.receivedCount).toBe(0)
    const messages = server.connections[1]!.received.map((m) => JSON.parse(String(m)) as unknown)
    expect(messages).toEqual(range(0, count).map((n) => ({ n, text: `message ${n}` })))
    expect(browser.errors).toEqual([])
    console.log(`outage: ${count} JSON messages delivered after ${after.refused} refused attempts`)
  })

  it("drops sends past maxMessages with an 'overflow' drop event naming exactly those", async () => {
    server.refuse()
    await make(page, `${server.url}/sink`, {
      queue: { maxMessages: 10 },
      reconnect: { initialDelay: 200, maxDelay: 200, jitter: 'none' },
    })
    const outcome = await page.evaluate(() => {
      const h = (window as unknown as HarnessWindow).harness
      const results: string[] = []
      for (let i = 0; i < 15; i++) results.push(h.socket.send(`m${i}`))
      return { results, drops: h.log.drops, queueLength: h.socket.queueLength }
    })
    expect(outcome.results).toEqual([
      ...Array<string>(10).fill('queued'),
      ...Array<string>(5).fill('dropped'),
    ])
    expect(outcome.drops).toEqual(
      range(10, 15).map((i) => ({ reason: 'overflow', messages: [`m${i}`] })),
    )
    expect(outcome.queueLength).toBe(10)

    // The ten that fit are delivered once the server accepts.
    server.accept()
    await page.evaluate(async () => {
      const h = (window as unknown as HarnessWindow).harness
      await h.socket.flush({ timeout: 10_000 })
    })
    await waitFor(() => server.receivedCount === 10, { timeout: 5000 })
    expect(server.received).toEqual(range(0, 10).map((i) => `m${i}`))
    expect(await page.evaluate(() => waitingFor().drops)).toBe(5)
    expect(browser.errors).toEqual([])
  })
})

// ---- helpers ----

/** The slice of a `SteadySocket` the page code touches. */
interface PageSocket {
  readonly status: string
  readonly bufferedAmount: number
  readonly queuedBytes: number
  readonly queueLength: number
  send(data: unknown): 'sent' | 'queued' | 'dropped'
  flush(options?: { timeout?: number }): Promise<void>
  opened(options?: { timeout?: number }): Promise<void>
}

interface PageLog {
  status: { status: string; at: number }[]
  opens: { isReconnect: boolean; at: number }[]
  closes: {
    code: number
    reason: string
    wasClean: boolean
    willReconnect: boolean
    /** Queue length right after the close: what recovery put back. */
    queueLength: number
    at: number
  }[]
  errors: { name: string; message: string; at: number }[]
  reconnecting: { attempt: number; delay: number; at: number }[]
  drops: { reason: string; messages: unknown[] }[]
  drains: number
  maxNative: number
}

interface Harness {
  socket: PageSocket
  log: PageLog
  make(url: string, options: object, json: boolean): void
  /** Native part of the buffer (bufferedAmount − queuedBytes); also tracks the maximum. */
  native(): number
  sampleEvery(ms: number): void
  stopSampling(): void
  numbered(i: number, size: number): string
}

interface HarnessWindow {
  harness: Harness
}

/** A summary of the page's log, from inside the page. */
declare function waitingFor(): {
  status: string
  opens: boolean[]
  closes: PageLog['closes']
  errors: string[]
  reconnecting: { attempt: number; delay: number }[]
  drops: number
  reopenedAfterCloseMs: number
}

// Plain JS in the page (not transpiled): the socket with every event recorded.
const HARNESS = `
window.harness = {
  socket: null,
  log: null,
  sampler: undefined,
  make(url, options, json) {
    const o = Object.assign({}, options)
    if (json) o.codec = SteadySocket.json()
    const now = () => Math.round(performance.now())
    const log = { status: [], opens: [], closes: [], errors: [], reconnecting: [], drops: [], drains: 0, maxNative: 0 }
    const socket = new SteadySocket(url, o)
    socket.on('status', (e) => log.status.push({ status: e.status, at: now() }))
    socket.on('open', (e) => log.opens.push({ isReconnect: e.isReconnect, at: now() }))
    socket.on('close', (e) => log.closes.push({ code: e.code, reason: e.reason, wasClean: e.wasClean,
      willReconnect: e.willReconnect, queueLength: socket.queueLength, at: now() }))
    socket.on('error', (e) => log.errors.push({ name: e.name, message: e.message, at: now() }))
    socket.on('reconnecting', (e) => log.reconnecting.push({ attempt: e.attempt, delay: e.delay, at: now() }))
    socket.on('drop', (e) => log.drops.push({ reason: e.reason, messages: e.messages.slice() }))
    socket.on('drain', () => { log.drains += 1 })
    this.socket = socket
    this.log = log
  },
  native() {
    const n = this.socket.bufferedAmount - this.socket.queuedBytes
    if (n > this.log.maxNative) this.log.maxNative = n
    return n
  },
  sampleEvery(ms) {
    this.stopSampling()
    this.sampler = setInterval(() => this.native(), ms)
  },
  stopSampling() {
    clearInterval(this.sampler)
  },
  numbered(i, size) {
    const head = String(i).padStart(6, '0') + ':'
    return head + 'x'.repeat(size - head.length)
  },
}
window.waitingFor = () => {
  const h = window.harness
  const log = h.log
  const close = log.closes[0]
  const reopen = log.opens[1]
  return {
    status: h.socket.status,
    opens: log.opens.map((o) => o.isReconnect),
    closes: log.closes,
    errors: log.errors.map((e) => e.name),
    reconnecting: log.reconnecting.map((r) => ({ attempt: r.attempt, delay: r.delay })),
    drops: log.drops.length,
    reopenedAfterCloseMs: close && reopen ? reopen.at - close.at : -1,
  }
}
`

async function make(page: Page, url: string, options: object, json = false): Promise<void> {
  await page.evaluate(
    ({ url, options, json }) =>
      (window as unknown as HarnessWindow).harness.make(url, options, json),
    { url, options, json },
  )
}

async function opened(page: Page): Promise<void> {
  await page.evaluate(() =>
    (window as unknown as HarnessWindow).harness.socket.opened({ timeout: 5000 }),
  )
}

/** Sends numbered messages `from` ≤ i < `to` in one task; returns how many of each result. */
async function sendRange(page: Page, from: number, to: number): Promise<Record<string, number>> {
  return page.evaluate(
    ({ from, to, size }) => {
      const h = (window as unknown as HarnessWindow).harness
      const results: Record<string, number> = {}
      for (let i = from; i < to; i++) {
        const result = h.socket.send(h.numbered(i, size))
        results[result] = (results[result] ?? 0) + 1
      }
      return results
    },
    { from, to, size: SIZE },
  )
}

/**
 * Polls `read` in the page every 100 ms until it returns the same value three times running
 * (buffers stopped moving); at most 8 s. Returns that value.
 */
async function settled(page: Page, read: () => number): Promise<number> {
  const deadline = Date.now() + 8000
  let last = Number.NaN
  let same = 0
  for (let i = 0; i < 80 && Date.now() < deadline; i++) {
    const value = await page.evaluate(read)
    same = value === last ? same + 1 : 0
    last = value
    if (same >= 2) return value
    await sleep(100)
  }
  throw new Error(`the value kept changing for 8 s (last ${last})`)
}

function onlyConnection(server: FaultServer): ConnectionLog {
  expect(server.totalConnections).toBe(1)
  return server.connections[0]!
}

/** The index at the head of each numbered message (-1 for anything else). */
function indices(received: (string | Buffer)[]): number[] {
  return received.map((m) => (typeof m === 'string' && m[6] === ':' ? Number(m.slice(0, 6)) : -1))
}

function range(from: number, to: number): number[] {
  return Array.from({ length: Math.max(0, to - from) }, (_, i) => from + i)
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
