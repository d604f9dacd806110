// steadysocket/tabs in real Chromium: tabs of one browser context share an origin, Web Locks and
// BroadcastChannel, so N pages share one server connection; closing the leader's page releases
// its lock and another page takes over. The page script is bundled from src with esbuild.
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import type { Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, beforeEach, expect, it } from 'vitest'
import { startFaultServer, waitFor } from '../support/fault-server.mjs'
import type { FaultServer } from '../support/fault-server.mjs'
import { startDemoServer, TABS_BUNDLE } from '../../examples/echo/server.mjs'
import { assertBundleBuilt, describeBrowser, launchChromium } from './chromium'
import type { Browser } from './chromium'
import type { TabSocket } from '../../src/tabs'

const TABS = 5

/** What each page keeps about its socket, read with `page.evaluate`. */
type PageLog = {
  messages: string[]
  leaderAt: number[]
  /** Wall-clock ms of each `open` this page saw while it was the leader. */
  leaderOpens: number[]
  sent: string[]
}
type TabWindow = {
  socket: TabSocket<string, string>
  log: PageLog
  burst(prefix: string, count: number, every: number): Promise<void>
}

// The page: one TabSocket on the fault server's `/tabs` path (no echo), plus a burst helper.
const PAGE_SCRIPT = `
  const now = () => performance.timeOrigin + performance.now()
  const log = { messages: [], leaderAt: [], leaderOpens: [], sent: [] }
  const socket = new TabSocket('ws://' + location.host + '/tabs', {
    reconnect: { initialDelay: 100, maxDelay: 1000 },
  })
  socket.on('message', (m) => log.messages.push(m))
  socket.on('leader', ({ isLeader }) => isLeader && log.leaderAt.push(now()))
  socket.on('open', () => socket.isLeader && log.leaderOpens.push(now()))
  window.socket = socket
  window.log = log
  window.burst = (prefix, count, every) =>
    new Promise((resolve) => {
      let i = 0
      const timer = setInterval(() => {
        const m = prefix + ':' + i++
        socket.send(m)
        log.sent.push(m)
        if (i >= count) {
          clearInterval(timer)
          resolve()
        }
      }, every)
    })
`

describeBrowser('steadysocket/tabs in Chromium', () => {
  let browser: Browser
  let server: FaultServer
  let bundle = ''
  let pages: Page[] = []

  beforeAll(async () => {
    const out = await build({
      stdin: {
        contents: `import { TabSocket } from '../../src/tabs'; window.TabSocket = TabSocket`,
        resolveDir: fileURLToPath(new URL('.', import.meta.url)),
        loader: 'ts',
      },
      bundle: true,
      format: 'iife',
      target: 'es2022',
      write: false,
      logLevel: 'silent',
    })
    bundle = out.outputFiles[0]!.text
    browser = await launchChromium()
  })

  afterAll(async () => {
    await browser?.close()
  })

  beforeEach(async () => {
    server = await startFaultServer()
    server.route('/tabs.js', { body: bundle, type: 'text/javascript; charset=utf-8' })
    server.route('/tabs.html', {
      body: [
        '<!doctype html><html><head><meta charset="utf-8"><title>tabs</title>',
        '<link rel="icon" href="data:,"></head><body>',
        '<script src="/tabs.js"></script>',
        `<script>${PAGE_SCRIPT}</script>`,
        '</body></html>',
      ].join('\n'),
    })
    pages = []
  })

  afterEach(async () => {
    for (const page of pages) if (!page.isClosed()) await page.close()
    await server?.close()
  })

  async function openTabs(n: number): Promise<Page[]> {
    for (let i = 0; i < n; i++) {
      const page = await browser.newPage()
      await page.goto(`${server.httpUrl}/tabs.html`)
      pages.push(page)
    }
    await Promise.all(
      pages.map((p) =>
        p.waitForFunction(() => (window as unknown as TabWindow).socket?.status === 'open', null, {
          timeout: 5000,
        }),
      ),
    )
    return pages
  }

  const isLeader = (p: Page) => p.evaluate(() => (window as unknown as TabWindow).socket.isLeader)
  const pageLog = (p: Page) => p.evaluate(() => (window as unknown as TabWindow).log)
  const received = () => server.received.filter((m): m is string => typeof m === 'string')

  it(`shares one connection among ${TABS} tabs; every tab's sends arrive, every tab receives`, async () => {
    const tabs = await openTabs(TABS)
    const leaders = (await Promise.all(tabs.map(isLeader))).filter(Boolean)
    expect(leaders).toHaveLength(1)
    expect(server.liveConnections).toBe(1)
    expect(server.totalConnections).toBe(1)
    console.log(`[tabs] ${TABS} tabs → ${server.totalConnections} server connection(s)`)

    await Promise.all(
      tabs.map((p, i) =>
        p.evaluate((i) => {
          const s = (window as unknown as TabWindow).socket
          for (let k = 0; k < 20; k++) s.send(`tab${i}:${k}`)
        }, i),
      ),
    )
    await waitFor(() => received().length >= TABS * 20, { timeout: 5000 })
    const got = received()
    expect(got).toHaveLength(TABS * 20)
    for (let i = 0; i < TABS; i++) {
      const mine = got.filter((m) => m.startsWith(`tab${i}:`))
      expect(mine).toEqual(Array.from({ length: 20 }, (_, k) => `tab${i}:${k}`))
    }

    expect(server.send('from the server')).toBe(1)
    await waitFor(
      async () =>
        (await Promise.all(tabs.map(pageLog))).every((l) => l.messages.includes('from the server')),
      { timeout: 5000 },
    )
    expect(server.totalConnections).toBe(1)
    expect(browser.errors).toEqual([])
  })

  it('closing the leader tab hands over within a second; sends during the handover arrive once', async () => {
    const tabs = await openTabs(TABS)
    const flags = await Promise.all(tabs.map(isLeader))
    const leader = tabs[flags.indexOf(true)]!
    const followers = tabs.filter((p) => p !== leader)

    // Every follower sends every 5 ms for 600 ms, across the handover.
    const bursts = followers.map((p, i) =>
      p.evaluate(({ i }) => (window as unknown as TabWindow).burst(`f${i}`, 120, 5), { i }),
    )
    await new Promise((r) => setTimeout(r, 100))
    const closedAt = Date.now()
    await leader.close()

    const next = await waitFor(
      async () => {
        for (const p of followers) {
          const opens = (await pageLog(p)).leaderOpens
          if (opens.length > 0) return { page: p, openAt: opens[0]! }
        }
        return null
      },
      { timeout: 5000, interval: 5, message: 'no tab took over within 5 s' },
    )
    const handover = next.openAt - closedAt
    console.log(
      `[tabs] handover: leader tab closed → new leader's socket open in ${handover.toFixed(0)} ms`,
    )
    expect(handover).toBeLessThan(1000)

    await Promise.all(bursts)
    const sent = (await Promise.all(followers.map(pageLog))).flatMap((l) => l.sent)
    expect(sent).toHaveLength(followers.length * 120)
    await waitFor(() => sent.every((m) => received().includes(m)), { timeout: 5000 }).catch(() => {
      const got = new Set(received())
      throw new Error(`never arrived: ${sent.filter((m) => !got.has(m)).join(', ')}`)
    })
    const counts = new Map<string, number>()
    for (const m of received()) counts.set(m, (counts.get(m) ?? 0) + 1)
    const twice = sent.filter((m) => counts.get(m) !== 1)
    expect(twice).toEqual([])
    // Each tab's messages in the order it sent them.
    for (let i = 0; i < followers.length; i++) {
      const mine = received().filter((m) => m.startsWith(`f${i}:`))
      expect(mine).toEqual(Array.from({ length: 120 }, (_, k) => `f${i}:${k}`))
    }
    await waitFor(() => server.liveConnections === 1, { timeout: 2000 })
    expect(server.totalConnections).toBe(2)
    expect(await isLeader(next.page)).toBe(true)
    expect(browser.errors).toEqual([])
  })

  it('a crashed leader tab is replaced; sends made after the crash arrive once', async () => {
    const tabs = await openTabs(3)
    const flags = await Promise.all(tabs.map(isLeader))
    const leader = tabs[flags.indexOf(true)]!
    const followers = tabs.filter((p) => p !== leader)
    const cdp = await browser.context.newCDPSession(leader)
    let crashed = false
    leader.once('crash', () => (crashed = true))
    const crashedAt = Date.now()
    // The renderer dies without answering: do not wait for the reply.
    void cdp.send('Page.crash').catch(() => {})
    await waitFor(() => crashed, { timeout: 5000, message: 'the leader tab did not crash' })
    await Promise.all(
      followers.map((p, i) =>
        p.evaluate((i) => {
          const s = (window as unknown as TabWindow).socket
          for (let k = 0; k < 10; k++) s.send(`after${i}:${k}`)
        }, i),
      ),
    )
    const next = await waitFor(
      async () => {
        for (const p of followers) {
          const opens = (await pageLog(p)).leaderOpens
          if (opens.length > 0) return opens[0]!
        }
        return null
      },
      { timeout: 5000, interval: 5 },
    )
    console.log(
      `[tabs] crash handover: renderer killed → new leader's socket open in ${(next - crashedAt).toFixed(0)} ms`,
    )
    await waitFor(() => received().filter((m) => m.startsWith('after')).length >= 20, {
      timeout: 5000,
    })
    await new Promise((r) => setTimeout(r, 200))
    const after = received().filter((m) => m.startsWith('after'))
    expect([...after].sort()).toEqual(
      [0, 1].flatMap((i) => Array.from({ length: 10 }, (_, k) => `after${i}:${k}`)).sort(),
    )
    expect(server.liveConnections).toBe(1)
  })

  it('the connection closes when the last tab closes', async () => {
    const tabs = await openTabs(3)
    for (const [i, page] of tabs.entries()) {
      await page.close()
      if (i < tabs.length - 1) {
        await waitFor(
          async () => {
            const open = tabs.filter((p) => !p.isClosed())
            const flags = await Promise.all(open.map(isLeader))
            return flags.filter(Boolean).length === 1 && server.liveConnections === 1
          },
          { timeout: 3000, message: 'no single leader with one connection after a tab closed' },
        )
      }
    }
    await waitFor(() => server.liveConnections === 0, {
      timeout: 3000,
      message: 'the connection stayed open after the last tab closed',
    })
    expect(server.maxConcurrent).toBeLessThanOrEqual(2)
    expect(browser.errors).toEqual([])
  })

  it('close() in the last tab closes the connection with its code', async () => {
    const tabs = await openTabs(2)
    const flags = await Promise.all(tabs.map(isLeader))
    // The follower first: it only detaches, the connection stays.
    for (const page of flags[0] ? [tabs[1]!, tabs[0]!] : tabs) {
      await page.evaluate(() => (window as unknown as TabWindow).socket.close(4000, 'bye'))
      if (server.liveConnections > 0) expect(server.totalConnections).toBe(1)
    }
    await waitFor(() => server.liveConnections === 0, { timeout: 3000 })
    expect(server.connections.at(-1)!.closeCode).toBe(4000)
    const statuses = await Promise.all(
      tabs.map((p) => p.evaluate(() => (window as unknown as TabWindow).socket.status)),
    )
    expect(statuses).toEqual(['closed', 'closed'])
  })
})

describeBrowser('echo demo with ?tabs=1', () => {
  let browser: Browser
  let server: FaultServer

  beforeAll(async () => {
    assertBundleBuilt()
    if (!existsSync(TABS_BUNDLE)) throw new Error(`${TABS_BUNDLE} is missing: run npm run build`)
    server = await startDemoServer({ port: 0 })
    browser = await launchChromium()
  })

  afterAll(async () => {
    await browser?.close()
    await server?.close()
  })

  it('three demo tabs share one connection; one says it is the leader', async () => {
    const pages: Page[] = []
    for (let i = 0; i < 3; i++) {
      const page = await browser.newPage()
      await page.goto(`${server.httpUrl}/?tabs=1`)
      pages.push(page)
    }
    for (const page of pages) {
      await page.locator('#status[data-status="open"]').waitFor({ timeout: 10_000 })
    }
    const roles = await Promise.all(
      pages.map((p) => p.locator('#tabs').getAttribute('data-leader')),
    )
    expect(roles.filter((r) => r === 'true')).toHaveLength(1)
    expect(roles.filter((r) => r === 'false')).toHaveLength(2)
    expect(server.liveConnections).toBe(1)
    // The server's count, as the page shows it (GET /control/state once a second).
    await pages[0]!.locator('#server', { hasText: '1 live' }).waitFor({ timeout: 5000 })

    // A message typed in a follower is echoed by the server into every tab.
    const follower = pages[roles.indexOf('false')]!
    await follower.fill('#input', 'hello from a follower')
    await follower.click('#send')
    for (const page of pages) {
      await page
        .locator('#messages li[data-direction="in"]', { hasText: 'hello from a follower' })
        .waitFor({ timeout: 5000 })
    }
    expect(server.totalConnections).toBe(1)
    expect(browser.errors).toEqual([])
  })
})
