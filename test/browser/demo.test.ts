import { afterAll, beforeAll, expect, it } from 'vitest'
import { startDemoServer } from '../../examples/echo/server.mjs'
import type { FaultServer } from '../support/fault-server.mjs'
import { assertBundleBuilt, describeBrowser, launchChromium } from './chromium'
import type { Browser } from './chromium'
import type { Page } from 'playwright-core'

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

  it('accounts for every chunk of "Drop mid-stream": delivered + recovered + lost = sent', async () => {
    const page = await openDemo()
    await page.setViewportSize({ width: 420, height: 900 })
    await page.click('[data-testid="drop-mid-stream"]')
    await page.locator('#log li[data-event="control"]', { hasText: 'drop' }).waitFor()

    // Settled: the slow reader stopped, nothing awaits an echo, and the marker sent after the
    // reconnect came back (the server reads again after its 4 s pause).
    await page.waitForFunction(
      () => {
        const demo = (window as unknown as { demo: { ledger(): Ledger } }).demo
        const c = demo.ledger()
        return (
          c.sent > 0 &&
          c.awaiting === 0 &&
          !document.querySelector('[data-testid="slow"][data-running]')
        )
      },
      undefined,
      { timeout: 30_000, polling: 100 },
    )
    const c = await page.evaluate(() =>
      (window as unknown as { demo: { ledger(): Ledger } }).demo.ledger(),
    )
    console.log(
      `demo drop mid-stream: ${c.sent} sent = ${c.delivered} delivered + ${c.recovered} recovered + ${c.lost} lost in TCP + ${c.dropped} dropped`,
    )
    expect(c.delivered + c.recovered + c.lost + c.dropped).toBe(c.sent)
    expect(c.dropped).toBe(0)
    // The server was not reading when the connection died: every chunk was in doubt, so each
    // one's fate was decided after the reconnect.
    expect(c.recovered + c.lost).toBeGreaterThan(0)
    await page
      .locator('#log li[data-event="accounted"]', { hasText: 'sent before the drop: #' })
      .waitFor({ state: 'attached' })

    // What the page shows is what it counted, and it says so in words.
    await page.waitForTimeout(250) // one gauge refresh
    const shown = async (id: string) => Number((await page.textContent(id))!.replace(/,/g, ''))
    expect(await shown('#sent-count')).toBe(c.sent)
    expect(await shown('#delivered')).toBe(c.delivered)
    expect(await shown('#recovered')).toBe(c.recovered)
    expect(await shown('#lost')).toBe(c.lost)
    expect(await shown('#awaiting')).toBe(0)
    await expect(page.getAttribute('#ledger', 'data-settled')).resolves.toBe('true')
    const note = (await page.textContent('#ledger-note'))!
    expect(note).not.toContain('not echoed yet')
    if (c.lost > 0)
      expect(note).toContain(`${c.lost} message${c.lost === 1 ? '' : 's'} lost in TCP`)
    expect(await overflowing(page)).toEqual([])
    expect(browser.errors).toEqual([])
    await page.close()
  })

  it('with the resume switch on, "Drop mid-stream" loses nothing, and the page says so', async () => {
    const page = await openDemo()
    await page.setViewportSize({ width: 1280, height: 900 })
    await page.check('[data-testid="resume-switch"]')
    await page.locator('#log li[data-event="resume"]').waitFor()
    await expect(page.textContent('#url')).resolves.toMatch(/\/resume$/)
    // The session event comes before every open: a new session first.
    await page
      .locator('#log li[data-event="session"][data-resumed="false"]', { hasText: 'unconfirmed 0' })
      .waitFor()
    await page.locator('#status[data-status="open"]').waitFor({ timeout: 10_000 })
    const ledger = () =>
      page.evaluate(() => (window as unknown as { demo: { ledger(): Ledger } }).demo.ledger())

    await page.click('[data-testid="drop-mid-stream"]')
    await page.locator('#log li[data-event="control"]', { hasText: 'drop' }).waitFor()
    await page
      .locator('#log li[data-event="session"][data-resumed="true"]')
      .waitFor({ timeout: 15_000 })
    await page.waitForFunction(
      () => {
        const c = (window as unknown as { demo: { ledger(): Ledger } }).demo.ledger()
        return (
          c.sent > 0 &&
          c.awaiting === 0 &&
          !document.querySelector('[data-testid="slow"][data-running]')
        )
      },
      undefined,
      { timeout: 30_000, polling: 100 },
    )
    const c = await ledger()
    console.log(
      `demo drop mid-stream with resume: ${c.sent} sent = ${c.delivered} delivered + ${c.recovered} replayed + ${c.lost} lost + ${c.dropped} dropped`,
    )
    expect(c.lost).toBe(0)
    expect(c.dropped).toBe(0)
    expect(c.delivered + c.recovered).toBe(c.sent)
    expect(c.recovered).toBeGreaterThan(0) // the cut was mid-stream: the session replayed some

    await page.waitForTimeout(250) // one gauge refresh
    await expect(page.textContent('#cmp-resume-lost')).resolves.toBe('0')
    await expect(page.textContent('#cmp-resume-sent')).resolves.toBe(c.sent.toLocaleString('en'))
    await expect(page.getAttribute('#cmp-resume', 'data-current')).resolves.toBe('true')
    expect(await page.textContent('#ledger-note')).toContain('the session replayed them')
    expect(await overflowing(page)).toEqual([])

    // Off again: a plain socket on /echo, its own ledger.
    await page.uncheck('[data-testid="resume-switch"]')
    await page.locator('#status[data-status="open"]').waitFor({ timeout: 10_000 })
    await expect(page.textContent('#url')).resolves.toMatch(/\/echo$/)
    // The comparison table follows at the next gauge refresh.
    await page.locator('#cmp-plain[data-current="true"]').waitFor({ timeout: 5_000 })
    expect(browser.errors).toEqual([])
    await page.close()
  })

  it('fits a 420 px phone, a tablet and a desktop: no label or number is cut off', async () => {
    for (const width of [420, 768, 1024, 1280]) {
      const page = await openDemo()
      await page.setViewportSize({ width, height: 900 })
      await page.waitForTimeout(250)
      expect(await overflowing(page), `at ${width} px`).toEqual([])
      await page.close()
    }
    expect(browser.errors).toEqual([])
  })
})

type Ledger = {
  sent: number
  delivered: number
  recovered: number
  lost: number
  dropped: number
  awaiting: number
}

/** Elements whose content is wider than their box (clipped, ellipsized or scrolled sideways). */
function overflowing(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const selectors = [
      'html',
      '.top',
      '.card',
      '.gauge',
      '.gauge dt',
      '.gauge dd',
      '.ledger-counts > div',
      '.ledger-counts dt',
      '.ledger-counts dd',
      '.control-buttons button',
      '.snippet',
    ]
    const out: string[] = []
    for (const selector of selectors) {
      for (const el of Array.from(document.querySelectorAll(selector))) {
        if (el.scrollWidth > el.clientWidth) {
          const name = el.id ? `#${el.id}` : (el.textContent ?? '').trim().slice(0, 30)
          out.push(`${selector} ${name}: ${el.scrollWidth} > ${el.clientWidth}`)
        }
      }
    }
    return out
  })
}
