import { afterAll, beforeAll, expect, it } from 'vitest'
import { startDemoServer } from '../../examples/echo/server.mjs'
import type { FaultServer } from '../support/fault-server.mjs'
import { assertBundleBuilt, describeBrowser, launchChromium } from './chromium'
import type { Browser } from './chromium'

describeBrowser('echo demo page', () => {
  let server: FaultServer
  let browser: Browser

  beforeAll(async () => {
    assertBundleBuilt()
    server = await startDemoServer({ port: 0 })
    browser = await launchChromium()
  })

  afterAll(async () => {
    await browser?.close()
    await server?.close()
  })

  async function openDemo() {
    const page = await browser.newPage()
    await page.goto(`${server.httpUrl}/`)
    await page.locator('#status[data-status="open"]').waitFor({ timeout: 10_000 })
    return page
  }

  it('echoes a typed message into the message log', async () => {
    const page = await openDemo()
    await page.fill('#input', 'hello from chromium')
    await page.click('#send')

    await page
      .locator('#messages li[data-direction="in"]', { hasText: 'hello from chromium' })
      .waitFor({ timeout: 5000 })
    await expect(page.locator('#send-result').textContent()).resolves.toBe("'sent'")
    expect(
      server.received.some((m) => typeof m === 'string' && m.includes('hello from chromium')),
    ).toBe(true)
    expect(browser.errors).toEqual([])
    await page.close()
  })

  it('goes to reconnecting after "Drop connection", then back to open on a new connection', async () => {
    const page = await openDemo()
    const connectionsBefore = server.totalConnections

    await page.click('[data-testid="drop"]')

    // The backoff can be a few ms (full jitter), so read the status history, not a snapshot.
    await page
      .locator('#log li[data-event="status"][data-status="reconnecting"]')
      .waitFor({ state: 'attached', timeout: 5000 })
    await page.locator('#log li[data-event="close"]', { hasText: 'code 1006' }).waitFor()
    await page.locator('#log li[data-event="open"]', { hasText: 'reconnected' }).waitFor()
    await page.locator('#status[data-status="open"]').waitFor({ timeout: 10_000 })
    expect(server.totalConnections).toBe(connectionsBefore + 1)
    expect(server.liveConnections).toBe(1)

    // The new connection echoes too.
    await page.fill('#input', 'after the drop')
    await page.press('#input', 'Enter')
    await page
      .locator('#messages li[data-direction="in"]', { hasText: 'after the drop' })
      .waitFor({ timeout: 5000 })
    expect(browser.errors).toEqual([])
    await page.close()
  })
})
