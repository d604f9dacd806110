import { afterAll, beforeAll, expect, it } from 'vitest'
import { startChatServer } from '../../examples/chat/server.mjs'
import type { FaultServer } from '../support/fault-server.mjs'
import { assertBundleBuilt, describeBrowser, launchChromium } from './chromium'
import type { Browser } from './chromium'

describeBrowser('chat example', () => {
  let server: FaultServer
  let browser: Browser

  beforeAll(async () => {
    assertBundleBuilt()
    server = await startChatServer({ port: 0 })
    browser = await launchChromium()
  })

  afterAll(async () => {
    await browser?.close()
    await server?.close()
  })

  async function openChat(name: string) {
    const page = await browser.newPage()
    await page.goto(`${server.httpUrl}/`)
    await page.locator('#status[data-status="open"]').waitFor({ timeout: 10_000 })
    await page.fill('#name', name)
    return page
  }

  async function say(page: Awaited<ReturnType<typeof openChat>>, text: string) {
    await page.fill('#input', text)
    await page.press('#input', 'Enter')
  }

  it('carries messages between two tabs and counts who is online', async () => {
    const alice = await openChat('alice')
    const bob = await openChat('bob')

    await alice.locator('#online', { hasText: '2 online' }).waitFor({ timeout: 5000 })
    await bob.locator('#online', { hasText: '2 online' }).waitFor({ timeout: 5000 })

    await say(alice, 'hi bob')
    const fromAlice = bob.locator('#messages li', { hasText: 'hi bob' })
    await fromAlice.waitFor({ timeout: 5000 })
    await expect(fromAlice.locator('b').textContent()).resolves.toBe('alice')

    await say(bob, 'hello alice')
    const fromBob = alice.locator('#messages li', { hasText: 'hello alice' })
    await fromBob.waitFor({ timeout: 5000 })
    await expect(fromBob.locator('b').textContent()).resolves.toBe('bob')

    // Invalid JSON and an incomplete `say` are ignored, and the room keeps working.
    // The server has read both frames once the closing handshake is done.
    await alice.evaluate(
      () =>
        new Promise((resolve) => {
          const ws = new WebSocket(`ws://${location.host}/chat`)
          ws.onopen = () => {
            ws.send('not json {')
            ws.send(JSON.stringify({ type: 'say', name: 'x' }))
            ws.close()
          }
          ws.onclose = resolve
        }),
    )
    await say(alice, 'still here')
    await bob.locator('#messages li', { hasText: 'still here' }).waitFor({ timeout: 5000 })
    await expect(bob.locator('#messages li').count()).resolves.toBe(3)

    await bob.close()
    await alice.locator('#online', { hasText: '1 online' }).waitFor({ timeout: 5000 })
    expect(browser.errors).toEqual([])
    await alice.close()
  })
})
