// The fault server's faults as a real browser sees them, with the native WebSocket only:
// these hold whether or not the library builds, and prove the tools the library tests rely on.
import { afterAll, afterEach, beforeAll, beforeEach, expect, it } from 'vitest'
import type { Page } from 'playwright-core'
import { startFaultServer, waitFor } from '../support/fault-server.mjs'
import type { FaultServer } from '../support/fault-server.mjs'
import { describeBrowser, launchChromium } from './chromium'
import type { Browser } from './chromium'

describeBrowser('fault server in Chromium', () => {
  let server: FaultServer
  let browser: Browser
  let page: Page

  beforeAll(async () => {
    browser = await launchChromium()
  })

  afterAll(async () => {
    await browser?.close()
  })

  beforeEach(async () => {
    server = await startFaultServer()
    server.route('/', {
      body: '<!doctype html><title>blank</title><link rel="icon" href="data:,">',
    })
    page = await browser.newPage()
    await page.goto(`${server.httpUrl}/`)
  })

  afterEach(async () => {
    await page?.close()
    await server?.close()
  })

  it('pauseReading() makes the native bufferedAmount grow, and it drains after resumeReading()', async () => {
    // Open before pausing so the handshake is not held up.
    await page.evaluate(async (url) => {
      const ws = new WebSocket(url)
      ;(window as unknown as { ws: WebSocket }).ws = ws
      await new Promise((resolve, reject) => {
        ws.onopen = resolve
        ws.onerror = reject
      })
    }, `${server.url}/quiet`)
    server.pauseReading()

    const grown = await page.evaluate(async () => {
      const ws = (window as unknown as { ws: WebSocket }).ws
      const chunk = 'x'.repeat(64 * 1024)
      const deadline = Date.now() + 10_000
      let sent = 0
      // Loopback kernel buffers take a few MB before the browser has to hold bytes itself.
      while (ws.bufferedAmount < 2 * 1024 * 1024 && sent < 600 && Date.now() < deadline) {
        ws.send(chunk)
        sent += 1
        if (sent % 16 === 0) await new Promise((resolve) => setTimeout(resolve, 10))
      }
      return { sent, buffered: ws.bufferedAmount }
    })
    expect(grown.buffered).toBeGreaterThanOrEqual(2 * 1024 * 1024)
    expect(server.receivedCount).toBe(0)

    server.resumeReading()
    await waitFor(() => server.receivedCount === grown.sent, { timeout: 15_000 })
    const drained = await page.evaluate(
      () => (window as unknown as { ws: WebSocket }).ws.bufferedAmount,
    )
    expect(drained).toBe(0)
  })

  it('terminate() closes the native socket with 1006', async () => {
    const closing = page.evaluate(async (url) => {
      const ws = new WebSocket(url)
      await new Promise((resolve) => (ws.onopen = resolve))
      return new Promise<number>((resolve) => (ws.onclose = (event) => resolve(event.code)))
    }, `${server.url}/echo`)
    await waitFor(() => server.liveConnections === 1)
    server.terminate()
    expect(await closing).toBe(1006)
  })

  it('refuse() fails the handshake (error, then close 1006) without a connection', async () => {
    server.refuse()
    const outcome = await page.evaluate(async (url) => {
      const ws = new WebSocket(url)
      const events: string[] = []
      ws.onopen = () => events.push('open')
      ws.onerror = () => events.push('error')
      const code = await new Promise<number>((resolve) => (ws.onclose = (e) => resolve(e.code)))
      return { events, code }
    }, `${server.url}/echo`)
    expect(outcome).toEqual({ events: ['error'], code: 1006 })
    expect(server.totalConnections).toBe(0)
  })

  it('silent() leaves the native socket open with no echo, and unsilent() delivers it', async () => {
    await page.evaluate(async (url) => {
      const ws = new WebSocket(url)
      const w = window as unknown as { ws: WebSocket; got: string[] }
      w.ws = ws
      w.got = []
      ws.onmessage = (event) => w.got.push(String(event.data))
      await new Promise((resolve) => (ws.onopen = resolve))
    }, `${server.url}/echo`)
    await waitFor(() => server.liveConnections === 1)
    server.silent()
    const quiet = await page.evaluate(async () => {
      const w = window as unknown as { ws: WebSocket; got: string[] }
      w.ws.send('hello?')
      await new Promise((resolve) => setTimeout(resolve, 400))
      return { got: w.got.length, readyState: w.ws.readyState }
    })
    expect(quiet).toEqual({ got: 0, readyState: 1 })

    server.unsilent()
    await waitFor(() => page.evaluate(() => (window as unknown as { got: string[] }).got[0]))
    expect(server.received).toEqual(['hello?'])
  })
})
