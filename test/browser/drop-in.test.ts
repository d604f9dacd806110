// Code written for the native WebSocket, run on SteadySocket in a real Chromium: a tight send()
// loop and a burst during an outage lose nothing with default options, binary data is taken as
// it is at send() (a buffer reused, changed or transferred afterwards changes nothing held), and
// a view of shared memory, which Chromium's own send() refuses, is copied. The page is
// cross-origin isolated (COOP + COEP), so SharedArrayBuffer exists in it.
import { afterAll, afterEach, beforeAll, beforeEach, expect, it } from 'vitest'
import type { Page } from 'playwright-core'
import { startFaultServer, waitFor } from '../support/fault-server.mjs'
import type { FaultServer } from '../support/fault-server.mjs'
import {
  assertBundleBuilt,
  CROSS_ORIGIN_ISOLATED,
  describeBrowser,
  launchChromium,
  openBundlePage,
} from './chromium'
import type { Browser } from './chromium'

const KiB = 1024
const MiB = 1024 * KiB

describeBrowser('drop-in behaviour in Chromium', () => {
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
    page = await openBundlePage(browser, server, HARNESS, CROSS_ORIGIN_ISOLATED)
  })

  afterEach(async () => {
    await page?.evaluate(() => (window as unknown as TestWindow).t.socket?.dispose())
    await page?.close()
    await server?.close()
  })

  it('a tight loop of 100 000 × 64-byte sends with default options delivers every one, in order', async () => {
    const n = 100_000
    await make(page, `${server.url}/sink`)
    await opened(page)
    const burst = await page.evaluate(async (n) => {
      const t = (window as unknown as TestWindow).t
      const results: Record<string, number> = {}
      const started = performance.now()
      for (let i = 0; i < n; i++) {
        const result = t.socket.send(t.numbered(i))
        results[result] = (results[result] ?? 0) + 1
      }
      const loopMs = performance.now() - started
      const queuedAfterLoop = t.socket.queueLength
      await t.socket.flush({ timeout: 60_000 })
      return {
        results,
        queuedAfterLoop,
        loopMs: Math.round(loopMs),
        flushedMs: Math.round(performance.now() - started),
        drops: t.drops,
        drains: t.drains,
      }
    }, n)
    await waitFor(() => server.receivedCount >= n, { timeout: 30_000 })
    // Backpressure held part of the burst in the queue ('queued', a signal, not a loss)…
    expect(burst.results.dropped).toBeUndefined()
    expect(burst.results.queued).toBeGreaterThan(0)
    expect(burst.results.sent! + burst.results.queued!).toBe(n)
    expect(burst.queuedAfterLoop).toBe(burst.results.queued)
    // …and all of it arrived, once, in order.
    expect(server.totalConnections).toBe(1)
    expect(server.receivedCount).toBe(n)
    expect(indices(server.received)).toEqual(range(0, n))
    expect(burst.drops).toEqual([])
    expect(burst.drains).toBe(1)
    expect(browser.errors).toEqual([])
    console.log(
      `burst: ${n} sends, ${burst.results.sent} written at once, ${burst.results.queued} queued; ` +
        `loop ${burst.loopMs} ms, flushed after ${burst.flushedMs} ms, all ${server.receivedCount} delivered in order`,
    )
  }, 120_000)

  it('20 000 sends made while the server is down arrive complete and in order', async () => {
    const n = 20_000
    await make(page, `${server.url}/sink`, {
      reconnect: { initialDelay: 200, maxDelay: 400, jitter: 'none' },
    })
    await opened(page)
    server.refuse()
    server.terminate()
    await waitFor(() => status(page).then((s) => s === 'reconnecting'), { timeout: 5000 })
    const results = await page.evaluate((n) => {
      const t = (window as unknown as TestWindow).t
      const results: Record<string, number> = {}
      for (let i = 0; i < n; i++) {
        const result = t.socket.send(t.numbered(i))
        results[result] = (results[result] ?? 0) + 1
      }
      return results
    }, n)
    expect(results).toEqual({ queued: n })
    await sleep(700) // a few refused attempts
    server.accept()
    const after = await page.evaluate(async () => {
      const t = (window as unknown as TestWindow).t
      await t.socket.flush({ timeout: 30_000 })
      return { drops: t.drops, opens: t.opens }
    })
    await waitFor(() => server.connections[1]?.receivedCount === n, { timeout: 15_000 })
    expect(after).toEqual({ drops: [], opens: 2 })
    expect(server.connections[0]!.receivedCount).toBe(0)
    expect(indices(server.connections[1]!.received)).toEqual(range(0, n))
    expect(browser.errors).toEqual([])
  })

  it('takes binary data as it is at send(): a queued buffer changed or transferred afterwards goes out as it was', async () => {
    const outcome = await page.evaluate(async (url) => {
      const t = (window as unknown as TestWindow).t
      t.make(url) // the sends below are made while it connects
      // Queued while connecting, then overwritten: the native socket would have sent [1, 2, 3].
      const reused = new Uint8Array([1, 2, 3])
      const first = t.socket.send(reused)
      reused.fill(9)
      // Queued, then transferred to another context (its buffer is detached here).
      const moved = new Uint8Array([4, 5, 6]).buffer
      const second = t.socket.send(moved)
      new MessageChannel().port1.postMessage(moved, [moved])
      await t.socket.opened({ timeout: 5000 })
      // Written at once: what the buffer holds now, as native.
      const third = t.socket.send(reused)
      await t.socket.flush({ timeout: 5000 })
      return { results: [first, second, third], detached: moved.byteLength === 0, drops: t.drops }
    }, `${server.url}/sink`)
    await waitFor(() => server.receivedCount === 3, { timeout: 5000 })
    expect(outcome).toEqual({ results: ['queued', 'queued', 'sent'], detached: true, drops: [] })
    expect(server.received.map((m) => [...(m as Buffer)])).toEqual([
      [1, 2, 3],
      [4, 5, 6],
      [9, 9, 9],
    ])
    expect(browser.errors).toEqual([])
  })

  it('recovery re-sends the bytes that were sent, though the caller reused one buffer for all', async () => {
    const count = 2000
    const size = 16 * KiB
    await make(page, `${server.url}/sink`, {
      // Every message is written straight into Chromium's buffer (and kept in the recovery log).
      backpressure: { highWaterMark: 64 * MiB, lowWaterMark: 16 * MiB },
      reconnect: { initialDelay: 200, maxDelay: 200, jitter: 'none' },
    })
    await opened(page)
    server.pauseReading()
    const results = await page.evaluate(
      ({ count, size }) => {
        const t = (window as unknown as TestWindow).t
        // One scratch buffer, numbered and sent again and again, as an encoder would reuse it.
        const scratch = new Uint8Array(size)
        const view = new DataView(scratch.buffer)
        const results: Record<string, number> = {}
        for (let i = 0; i < count; i++) {
          view.setUint32(0, i)
          scratch.fill(i & 0xff, 4)
          const result = t.socket.send(scratch)
          results[result] = (results[result] ?? 0) + 1
        }
        scratch.fill(0)
        return results
      },
      { count, size },
    )
    expect(results).toEqual({ sent: count })
    const stuck = await settled(page, () => {
      const s = (window as unknown as TestWindow).t.socket
      return s.bufferedAmount - s.queuedBytes
    })
    expect(stuck).toBeGreaterThan(8 * MiB)

    server.terminate()
    await waitFor(() => server.connections[0]?.open === false, { timeout: 5000 })
    server.resumeReading()
    await waitFor(() => page.evaluate(() => (window as unknown as TestWindow).t.opens === 2), {
      timeout: 10_000,
    })
    const drops = await page.evaluate(async () => {
      const t = (window as unknown as TestWindow).t
      await t.socket.flush({ timeout: 20_000 })
      return t.drops
    })
    const recovered = Math.ceil(stuck / size)
    await waitFor(() => (server.connections[1]?.receivedCount ?? 0) >= recovered, {
      timeout: 15_000,
    })
    const again = server.connections[1]!.received as Buffer[]
    const numbers = again.map((m) => m.readUInt32BE(0))
    // The recovered tail is contiguous up to the last message, each with its own bytes.
    expect(again.length).toBe(recovered)
    expect(numbers).toEqual(range(count - recovered, count))
    expect(again.every((m, k) => m.length === size && m[size - 1] === (numbers[k]! & 0xff))).toBe(
      true,
    )
    expect(drops).toEqual([])
    expect(browser.errors).toEqual([])
    console.log(
      `recovery of a reused buffer: ${recovered} messages re-sent with their own bytes (${stuck} B were in Chromium's buffer)`,
    )
  })

  it('copies a view of shared memory at send(): it opens, delivers, and drops nothing', async () => {
    const premise = await page.evaluate(async (url) => {
      // Chromium's own send() refuses shared memory.
      const ws = new WebSocket(url)
      await new Promise((resolve) => (ws.onopen = resolve))
      let refused = ''
      try {
        ws.send(new Uint8Array(new SharedArrayBuffer(2)))
      } catch (error) {
        refused = String(error)
      }
      ws.close()
      return { isolated: crossOriginIsolated, refused }
    }, `${server.url}/sink`)
    expect(premise.isolated).toBe(true)
    expect(premise.refused).toMatch(/TypeError.*shared/)

    const outcome = await page.evaluate(async (url) => {
      const t = (window as unknown as TestWindow).t
      t.make(url)
      const shared = new Uint8Array(new SharedArrayBuffer(3))
      shared.set([1, 2, 3])
      const first = t.socket.send(shared) // queued while connecting
      shared.fill(9)
      let opened = 'open'
      await t.socket.opened({ timeout: 5000 }).catch((error: Error) => (opened = error.name))
      const direct = new Uint8Array(new SharedArrayBuffer(2))
      direct.set([7, 8])
      const second = t.socket.send(direct)
      await t.socket.flush({ timeout: 5000 })
      return { results: [first, second], opened, status: t.socket.status, drops: t.drops }
    }, `${server.url}/sink`)
    await waitFor(() => server.receivedCount === 2, { timeout: 5000 })
    expect(outcome).toEqual({
      results: ['queued', 'sent'],
      opened: 'open',
      status: 'open',
      drops: [],
    })
    expect(server.received.map((m) => [...(m as Buffer)])).toEqual([
      [1, 2, 3],
      [7, 8],
    ])
    expect(browser.errors).toEqual([])
  })
})

// ---- helpers ----

interface PageSocket {
  readonly status: string
  readonly bufferedAmount: number
  readonly queuedBytes: number
  readonly queueLength: number
  send(data: unknown): 'sent' | 'queued' | 'dropped'
  flush(options?: { timeout?: number }): Promise<void>
  opened(options?: { timeout?: number }): Promise<void>
  dispose(): void
}

interface TestWindow {
  t: {
    socket: PageSocket
    drops: { reason: string; count: number }[]
    drains: number
    opens: number
    make(url: string, options?: object): void
    /** A 64-byte text message: an 8-digit index, then padding. */
    numbered(i: number): string
  }
}

// Plain JS in the page (not transpiled).
const HARNESS = `
window.t = {
  socket: null,
  drops: [],
  drains: 0,
  opens: 0,
  make(url, options) {
    this.drops = []
    this.drains = 0
    this.opens = 0
    const socket = new SteadySocket(url, options)
    socket.on('drop', (e) => this.drops.push({ reason: e.reason, count: e.messages.length }))
    socket.on('drain', () => (this.drains += 1))
    socket.on('open', () => (this.opens += 1))
    this.socket = socket
  },
  numbered(i) {
    return String(i).padStart(8, '0') + 'x'.repeat(56)
  },
}
`

async function make(page: Page, url: string, options?: object): Promise<void> {
  await page.evaluate(
    ({ url, options }) => (window as unknown as TestWindow).t.make(url, options),
    { url, options },
  )
}

async function opened(page: Page): Promise<void> {
  await page.evaluate(() => (window as unknown as TestWindow).t.socket.opened({ timeout: 5000 }))
}

function status(page: Page): Promise<string> {
  return page.evaluate(() => (window as unknown as TestWindow).t.socket.status)
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

/** The 8-digit index at the head of each numbered text message (-1 for anything else). */
function indices(received: (string | Buffer)[]): number[] {
  return received.map((m) =>
    typeof m === 'string' && m.length === 64 ? Number(m.slice(0, 8)) : -1,
  )
}

function range(from: number, to: number): number[] {
  return Array.from({ length: Math.max(0, to - from) }, (_, i) => from + i)
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
