// Memory and leaks in real Chromium: 1000 connect → drop → reconnect cycles must not grow the
// heap, the native sockets it replaced must be garbage-collected, and dispose() must leave no
// window/document listener and no timer behind.
import { afterAll, beforeAll, beforeEach, afterEach, expect, it } from 'vitest'
import type { Page } from 'playwright-core'
import { startFaultServer } from '../support/fault-server.mjs'
import type { FaultServer } from '../support/fault-server.mjs'
import { assertBundleBuilt, describeBrowser, launchChromium, openBundlePage } from './chromium'
import type { Browser } from './chromium'

const CYCLES = 1000
const WARMUP = 100
/**
 * Allowed heap growth over the 1000 cycles, after a forced full GC at both ends. A cycle
 * creates a native WebSocket (its wrapper, event listeners, the SDK's closures and its
 * recovery-log slots): retaining even ~300 B per cycle would add 300 KB. What legitimately
 * moves the number after warm-up is V8's own bookkeeping (optimised code, feedback vectors,
 * inline caches): measured at +60–90 KiB after 1000 cycles, and no more after 4000 (+70, +68,
 * +91, +92 KiB at 1000/2000/3000/4000), so it is a one-off step, not per-cycle growth.
 * 256 KiB sits between the two.
 */
const MARGIN = 256 * 1024

describeBrowser('memory and leaks in Chromium', () => {
  let browser: Browser
  let server: FaultServer
  let page: Page

  beforeAll(async () => {
    assertBundleBuilt()
    // gc() for the page, and exact (not bucketed) performance.memory figures.
    browser = await launchChromium(['--js-flags=--expose-gc', '--enable-precise-memory-info'])
  })

  afterAll(async () => {
    await browser?.close()
  })

  beforeEach(async () => {
    server = await startFaultServer({ logLimit: 50 })
    page = await openBundlePage(browser, server, HARNESS)
  })

  afterEach(async () => {
    await page?.close()
    await server?.close()
  })

  it(`keeps the heap flat over ${CYCLES} connect → drop → reconnect cycles`, async () => {
    expect(await page.evaluate(() => typeof (window as unknown as { gc?: unknown }).gc)).toBe(
      'function',
    )
    const url = `${server.url}/sink`
    await page.evaluate((url) => (window as unknown as LeakWindow).leak.make(url), url)
    await page.evaluate((n) => (window as unknown as LeakWindow).leak.cycles(n), WARMUP)
    const before = await page.evaluate(() => (window as unknown as LeakWindow).leak.heap())
    const started = Date.now()
    await page.evaluate((n) => (window as unknown as LeakWindow).leak.cycles(n), CYCLES)
    const ms = Date.now() - started
    const after = await page.evaluate(() => (window as unknown as LeakWindow).leak.heap())
    const stats = await page.evaluate(() => (window as unknown as LeakWindow).leak.stats())

    const growth = after.used - before.used
    console.log(
      `leak: ${CYCLES} cycles in ${ms} ms; heap ${kb(before.used)} → ${kb(after.used)} ` +
        `(${growth >= 0 ? '+' : ''}${kb(growth)}, margin ${kb(MARGIN)}); ` +
        `${stats.collected} of ${stats.created} native sockets collected; ` +
        `${stats.sent} messages, ${stats.opens} opens`,
    )
    // The first open, then one per cycle.
    expect(stats.opens).toBe(1 + WARMUP + CYCLES)
    expect(stats.status).toBe('open')
    // Every cycle's queued message went out on the next connection.
    expect(stats.results).toEqual({ sent: WARMUP + CYCLES, queued: WARMUP + CYCLES })
    expect(server.totalConnections).toBe(1 + WARMUP + CYCLES)
    // One live native socket at a time in the page; the server may briefly see the replaced one
    // too, while its closing handshake (started by reconnect()) finishes.
    expect(stats.maxLive).toBe(1)
    expect(server.maxConcurrent).toBeLessThanOrEqual(2)
    expect(growth).toBeLessThan(MARGIN)
    // The replaced native sockets are garbage: all but the live one and the last few still
    // finishing their closing handshake when the GC ran.
    expect(stats.collected).toBeGreaterThanOrEqual(stats.created - 5)
    expect(browser.errors).toEqual([])
  })

  it('dispose() leaves no window/document listener and no timer', async () => {
    const url = `${server.url}/echo`
    const result = await page.evaluate(async (url) => {
      const leak = (window as unknown as LeakWindow).leak
      leak.track()
      leak.make(url, { heartbeat: { interval: 50, timeout: 1000 } })
      await leak.cycles(5)
      // Backpressure: a queue and the buffer poll; a flush() waiting on it.
      const during = leak.tracked()
      leak.fill()
      const flushing = leak.flushing()
      await leak.sleep(120)
      const busy = leak.tracked()
      leak.dispose()
      const after = leak.tracked()
      await leak.sleep(300)
      return { during, busy, after, later: leak.tracked(), flushing: await flushing }
    }, url)
    console.log(
      `dispose: listeners ${result.during.listeners.join(', ')}; timers live while busy ` +
        `${result.busy.timers}, after dispose ${result.after.timers}`,
    )
    // While connected: the three network listeners, attached once across reconnects (going
    // offline needs none: navigator.onLine is read when a retry is scheduled).
    expect(result.during.listeners.sort()).toEqual([
      'document:visibilitychange',
      'window:online',
      'window:pageshow',
    ])
    expect(result.during.adds).toBe(3)
    expect(result.busy.timers).toBeGreaterThan(0)
    expect(result.after).toMatchObject({ listeners: [], timers: 0 })
    expect(result.later).toMatchObject({ listeners: [], timers: 0 })
    // The flush() that was waiting settles (the queue was dropped as 'disposed').
    expect(result.flushing).not.toBe('pending')
    expect(browser.errors).toEqual([])
  })
})

function kb(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KiB`
}

interface Tracked {
  listeners: string[]
  adds: number
  timers: number
}

interface LeakWindow {
  leak: {
    make(url: string, options?: object): void
    cycles(n: number): Promise<void>
    heap(): Promise<{ used: number }>
    stats(): {
      opens: number
      created: number
      collected: number
      maxLive: number
      sent: number
      status: string
      results: Record<string, number>
    }
    track(): void
    tracked(): Tracked
    fill(): void
    flushing(): Promise<string>
    dispose(): void
    sleep(ms: number): Promise<void>
  }
}

// Plain JS in the page. It keeps counters only, so its own memory does not grow per cycle.
const HARNESS = `
(() => {
  const real = {
    setTimeout: window.setTimeout.bind(window),
    clearTimeout: window.clearTimeout.bind(window),
    setInterval: window.setInterval.bind(window),
    clearInterval: window.clearInterval.bind(window),
  }
  const Native = window.WebSocket
  let created = 0
  let collected = 0
  let maxLive = 0
  const registry = new FinalizationRegistry(() => { collected++ })
  // Sockets not yet closed by anyone (CONNECTING or OPEN); only these are held strongly.
  const live = new Set()
  class Counted extends Native {
    constructor(url, protocols) {
      super(url, protocols)
      created++
      registry.register(this, 0)
      live.add(this)
      maxLive = Math.max(maxLive, live.size)
      this.addEventListener('close', () => live.delete(this))
    }
    close(code, reason) {
      live.delete(this)
      if (code === undefined) super.close()
      else super.close(code, reason)
    }
  }
  const sleep = (ms) => new Promise((r) => real.setTimeout(r, ms))
  const timers = new Set()
  const attached = new Map()
  let adds = 0
  const leak = {
    socket: null,
    opens: 0,
    sent: 0,
    results: { sent: 0, queued: 0, dropped: 0 },
    onOpen: null,
    make(url, options) {
      this.socket = new SteadySocket(url, Object.assign({
        WebSocket: Counted,
        // Connections open and are replaced at once; no failed attempts, so no throttling.
        reconnect: { initialDelay: 1, maxDelay: 5, jitter: 'none' },
        heartbeat: { interval: 60000, timeout: 1000 },
      }, options))
      this.socket.on('open', () => {
        this.opens++
        if (this.onOpen) this.onOpen()
      })
    },
    // Each cycle: open → a message → reconnect() (the drop) → a message queued meanwhile.
    cycles(n) {
      const s = this.socket
      let left = n
      return new Promise((resolve, reject) => {
        const timer = real.setTimeout(() => reject(new Error('cycles timed out: ' + left + ' left')), 60000)
        const next = () => {
          if (left === 0) {
            this.onOpen = null
            real.clearTimeout(timer)
            resolve()
            return
          }
          left--
          this.count(s.send('cycle'))
          s.reconnect()
          this.count(s.send('queued'))
        }
        // Outside the open event: reconnect() from inside it would nest the next cycle in it.
        this.onOpen = () => real.setTimeout(next, 0)
        if (s.status === 'open') next()
      })
    },
    count(result) {
      this.results[result]++
      this.sent++
    },
    async heap() {
      for (let i = 0; i < 3; i++) {
        gc()
        await sleep(50)
      }
      return { used: performance.memory.usedJSHeapSize }
    },
    stats() {
      const r = this.results
      return { opens: this.opens, created, collected, maxLive, sent: this.sent, status: this.socket.status,
        results: r.dropped ? r : { sent: r.sent, queued: r.queued } }
    },
    // Counts every window/document listener and every timer set from now on.
    track() {
      for (const [target, name] of [[window, 'window'], [document, 'document']]) {
        const add = target.addEventListener
        const remove = target.removeEventListener
        target.addEventListener = function (type, fn, options) {
          const key = name + ':' + type
          if (!attached.has(key)) attached.set(key, new Set())
          attached.get(key).add(fn)
          adds++
          return add.call(target, type, fn, options)
        }
        target.removeEventListener = function (type, fn, options) {
          const set = attached.get(name + ':' + type)
          if (set) set.delete(fn)
          return remove.call(target, type, fn, options)
        }
      }
      window.setTimeout = function (fn, ms, ...args) {
        const id = real.setTimeout((...a) => { timers.delete(id); fn(...a) }, ms, ...args)
        timers.add(id)
        return id
      }
      window.clearTimeout = function (id) { timers.delete(id); real.clearTimeout(id) }
      window.setInterval = function (fn, ms, ...args) {
        const id = real.setInterval(fn, ms, ...args)
        timers.add(id)
        return id
      }
      window.clearInterval = function (id) { timers.delete(id); real.clearInterval(id) }
    },
    tracked() {
      const listeners = []
      for (const [key, set] of attached) for (let i = 0; i < set.size; i++) listeners.push(key)
      return { listeners, adds, timers: timers.size }
    },
    fill() {
      for (let i = 0; i < 60; i++) this.socket.send('x'.repeat(64 * 1024))
    },
    flushing() {
      let state = 'pending'
      const p = this.socket.flush({ timeout: 30000 }).then(() => { state = 'resolved' }, (e) => { state = e.name })
      return sleep(0).then(() => p).then(() => state, () => state).then(() => state)
    },
    dispose() {
      this.socket.dispose()
    },
    sleep,
  }
  window.leak = leak
})()
`
