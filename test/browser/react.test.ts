// steadysocket/react in a real browser: a small React app, bundled with esbuild and run under
// StrictMode in React's development build (effects mount, unmount and mount again), talks to the
// fault server's echo endpoint.
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import type { Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, beforeEach, expect, it } from 'vitest'
import { startFaultServer, waitFor } from '../support/fault-server.mjs'
import type { FaultServer } from '../support/fault-server.mjs'
import { describeBrowser, launchChromium } from './chromium'
import type { Browser } from './chromium'
import type { ReactAppControls } from './fixtures/react-app'

const ENTRY = fileURLToPath(new URL('./fixtures/react-app.ts', import.meta.url))

type AppWindow = { app: ReactAppControls }

describeBrowser('steadysocket/react in Chromium', () => {
  let browser: Browser
  let server: FaultServer
  let page: Page
  let bundle: string

  beforeAll(async () => {
    const result = await build({
      entryPoints: [ENTRY],
      bundle: true,
      write: false,
      format: 'iife',
      target: 'es2022',
      // The development build: StrictMode's double effects only happen there.
      define: { 'process.env.NODE_ENV': '"development"' },
      logLevel: 'silent',
    })
    bundle = result.outputFiles[0]!.text
    browser = await launchChromium()
  })

  afterAll(async () => {
    await browser?.close()
  })

  beforeEach(async () => {
    server = await startFaultServer()
    server.route('/react-app.js', { body: bundle, type: 'text/javascript; charset=utf-8' })
    server.route('/react.html', {
      body: [
        '<!doctype html><html><head><meta charset="utf-8"><title>steadysocket/react</title>',
        '<link rel="icon" href="data:,"></head><body><div id="root"></div>',
        `<script>window.WS_URL = ${JSON.stringify(`${server.url}/echo`)}</script>`,
        '<script src="/react-app.js"></script>',
        '</body></html>',
      ].join('\n'),
    })
    page = await browser.newPage()
    await page.goto(`${server.httpUrl}/react.html`)
  })

  afterEach(async () => {
    await page?.close()
    await server?.close()
  })

  const opened = () => page.locator('#status[data-status="open"]').waitFor({ timeout: 10_000 })

  it('connects once under StrictMode and echoes messages into the DOM', async () => {
    await opened()
    expect(server.totalConnections).toBe(1)
    expect(server.maxConcurrent).toBe(1)
    const results = await page.evaluate(() => {
      const { app } = window as unknown as AppWindow
      return [app.send('hello'), app.send('world')]
    })
    expect(results).toEqual(['sent', 'sent'])
    await page.locator('#messages li', { hasText: 'world' }).waitFor({ timeout: 5000 })
    expect(await page.locator('#messages li').allTextContents()).toEqual(['hello', 'world'])
    await expect(page.locator('#last').textContent()).resolves.toBe('world')
    expect(server.connections[0]!.received).toEqual(['hello', 'world'])
    // Still one connection after StrictMode's mount, unmount and mount.
    expect(server.totalConnections).toBe(1)
    expect(browser.errors).toEqual([])
  })

  it('reconnects after the server kills the connection, and keeps echoing', async () => {
    await opened()
    expect(server.terminate()).toBe(1)
    await waitFor(() => server.totalConnections === 2 && server.liveConnections === 1, {
      timeout: 10_000,
      message: 'no reconnect after terminate()',
    })
    await opened()
    expect(server.maxConcurrent).toBe(1)
    await page.evaluate(() => (window as unknown as AppWindow).app.send('after'))
    await page.locator('#messages li', { hasText: 'after' }).waitFor({ timeout: 5000 })
    expect(server.connections[1]!.received).toEqual(['after'])
    expect(browser.errors).toEqual([])
  })

  it('closes the connection when the component unmounts', async () => {
    await opened()
    await page.evaluate(() => (window as unknown as AppWindow).app.unmount())
    await waitFor(() => server.liveConnections === 0, {
      timeout: 5000,
      message: 'the connection outlived the component',
    })
    expect(server.connections[0]!.closeCode).toBe(1000)
    // Nothing reconnects later.
    await new Promise((resolve) => setTimeout(resolve, 700))
    expect(server.totalConnections).toBe(1)
    expect(await page.locator('#status').count()).toBe(0)
    expect(browser.errors).toEqual([])
  })
})
