// The script-tag file as npm ships it: packed, unpacked, loaded with a plain <script> tag the way
// a user copies it from the README, then an echo roundtrip against a local server.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { startFaultServer, type FaultServer } from '../support/fault-server.mjs'
import { root } from '../support/import-traps'
import { describeBrowser, launchChromium, type Browser } from './chromium'

describeBrowser('the packed script-tag build in Chromium', () => {
  let server: FaultServer
  let browser: Browser
  let dir: string

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'steadysocket-pack-'))
    const [packed] = JSON.parse(
      execFileSync('npm', ['pack', '--json', '--pack-destination', dir], {
        cwd: root,
        encoding: 'utf8',
      }),
    ) as { filename: string }[]
    execFileSync('tar', ['-xzf', join(dir, packed!.filename), '-C', dir])
    server = await startFaultServer()
    server.route('/vendor/steadysocket.umd.min.js', {
      file: join(dir, 'package/dist/steadysocket.umd.min.js'),
    })
    server.route('/', {
      body: `<!doctype html><meta charset="utf-8"><title>pack</title>
<script src="/vendor/steadysocket.umd.min.js"></script>
<script>
  const socket = new SteadySocket('ws://' + location.host + '/echo', { codec: SteadySocket.json() })
  window.echoes = []
  socket.on('message', (m) => window.echoes.push(m))
  window.result = socket.send({ hello: 'from a script tag' })
</script>`,
    })
    browser = await launchChromium()
  }, 60_000)

  afterAll(async () => {
    await browser?.close()
    await server?.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('loads with a script tag and round-trips a JSON message', async () => {
    const page = await browser.newPage()
    await page.goto(`${server.httpUrl}/`)
    await page.waitForFunction(
      () => (window as unknown as { echoes: unknown[] }).echoes.length > 0,
      undefined,
      {
        timeout: 10_000,
      },
    )
    const state = await page.evaluate(() => {
      const w = window as unknown as {
        echoes: unknown[]
        result: string
        SteadySocket: { ConnectError?: unknown }
      }
      return { echoes: w.echoes, result: w.result, errors: typeof w.SteadySocket.ConnectError }
    })
    expect(state).toEqual({
      echoes: [{ hello: 'from a script tag' }],
      result: 'queued',
      errors: 'function',
    })
    expect(browser.errors).toEqual([])
  })
})
