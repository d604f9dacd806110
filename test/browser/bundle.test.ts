import { afterAll, beforeAll, expect, it } from 'vitest'
import { startFaultServer } from '../support/fault-server.mjs'
import type { FaultServer } from '../support/fault-server.mjs'
import { assertBundleBuilt, describeBrowser, launchChromium, openBundlePage } from './chromium'
import type { Browser } from './chromium'

/** The slice of the script-tag global these tests touch. */
interface UmdSocket {
  readonly status: string
  on(type: string, listener: (payload: unknown) => void): () => void
  send(data: string): string
  close(): void
}
type UmdGlobal = { SteadySocket: (new (url: string) => UmdSocket) & { json?: unknown } }

describeBrowser('UMD bundle in Chromium', () => {
  let server: FaultServer
  let browser: Browser

  beforeAll(async () => {
    assertBundleBuilt()
    server = await startFaultServer()
    browser = await launchChromium()
  })

  afterAll(async () => {
    await browser?.close()
    await server?.close()
  })

  it('exposes the class as the global SteadySocket, with json() as a static', async () => {
    const page = await openBundlePage(browser, server, 'window.loaded = true')
    const shape = await page.evaluate(() => {
      const w = window as unknown as UmdGlobal & { loaded?: boolean }
      return {
        loaded: w.loaded === true,
        isClass: typeof w.SteadySocket === 'function',
        json: typeof w.SteadySocket.json,
      }
    })
    expect(shape).toEqual({ loaded: true, isClass: true, json: 'function' })
    await page.close()
  })

  it('round-trips a message through the echo server', async () => {
    const page = await openBundlePage(browser, server)
    const echoed = await page.evaluate(async (url) => {
      const { SteadySocket } = window as unknown as UmdGlobal
      const socket = new SteadySocket(url)
      const message = new Promise((resolve) => socket.on('message', resolve))
      // Sent while connecting: queued, then flushed on open.
      const result = socket.send('ping from the bundle')
      const data = await Promise.race([
        message,
        new Promise((resolve) => setTimeout(() => resolve('timeout'), 5000)),
      ])
      socket.close()
      return { result, data }
    }, `${server.url}/echo`)
    expect(echoed).toEqual({ result: 'queued', data: 'ping from the bundle' })
    expect(browser.errors).toEqual([])
    await page.close()
  })
})
