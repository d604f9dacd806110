// Real-browser layer: Debian's Chromium driven by playwright-core. Never downloads a browser.
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright-core'
import type { BrowserContext, Page } from 'playwright-core'
import { describe, it } from 'vitest'
import type { FaultServer } from '../support/fault-server.mjs'

export const CHROMIUM_PATH = '/usr/bin/chromium'
export const hasChromium = existsSync(CHROMIUM_PATH)
export const BUNDLE_PATH = resolve(
  fileURLToPath(new URL('.', import.meta.url)),
  '../../dist/steadysocket.umd.min.js',
)

const ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

/**
 * `describe` for browser tests: skipped when Chromium is missing, unless `REQUIRE_BROWSER=1`,
 * where a missing browser is a failure (CI must not pass by skipping).
 */
export function describeBrowser(name: string, fn: () => void): void {
  if (!hasChromium && process.env.REQUIRE_BROWSER === '1') {
    describe(name, () => {
      it('needs Chromium', () => {
        throw new Error(
          `REQUIRE_BROWSER=1 but ${CHROMIUM_PATH} does not exist: install Debian's chromium ` +
            '(apt-get install chromium) or unset REQUIRE_BROWSER to skip the browser tests.',
        )
      })
    })
    return
  }
  describe.skipIf(!hasChromium)(name, fn)
}

export interface Browser {
  context: BrowserContext
  /** A new tab; uncaught page errors are collected in `errors`. */
  newPage(): Promise<Page>
  /** Uncaught exceptions from every page, for `expect(errors).toEqual([])`. */
  errors: Error[]
  close(): Promise<void>
}

/**
 * Launches headless Chromium with a fresh profile in a temp dir, removed on `close()`.
 * `extraArgs` are added to the usual flags (e.g. `--js-flags=--expose-gc`).
 */
export async function launchChromium(extraArgs: readonly string[] = []): Promise<Browser> {
  const profile = await mkdtemp(join(tmpdir(), 'steadysocket-chromium-'))
  let context: BrowserContext
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: [...ARGS, ...extraArgs],
      viewport: { width: 1280, height: 800 },
    })
  } catch (error) {
    await rm(profile, { recursive: true, force: true })
    throw error
  }
  const errors: Error[] = []
  return {
    context,
    errors,
    async newPage() {
      const page = await context.newPage()
      page.on('pageerror', (error) => errors.push(error))
      return page
    },
    async close() {
      try {
        await context.close()
      } finally {
        await rm(profile, { recursive: true, force: true, maxRetries: 3 })
      }
    },
  }
}

/** Throws unless `dist/steadysocket.umd.min.js` exists. */
export function assertBundleBuilt(): void {
  if (!existsSync(BUNDLE_PATH)) {
    throw new Error(`${BUNDLE_PATH} is missing: run npm run build first`)
  }
}

let pageCount = 0

/**
 * Serves a page on `server` that loads the built UMD bundle (global `SteadySocket`) and then
 * `script`, opens it in a new tab and waits for the bundle. Evaluate in it with `page.evaluate`.
 */
export async function openBundlePage(
  browser: Browser,
  server: FaultServer,
  script = '',
): Promise<Page> {
  assertBundleBuilt()
  server.route('/steadysocket.umd.min.js', {
    file: BUNDLE_PATH,
    missing: 'dist/steadysocket.umd.min.js is missing: run npm run build first',
  })
  const path = `/bundle-page-${++pageCount}.html`
  // A closing script tag inside `script` would end the element early.
  const inline = script.replace(/<\/script/gi, '<\\/script')
  server.route(path, {
    body: [
      '<!doctype html><html><head><meta charset="utf-8"><title>steadysocket test</title>',
      '<link rel="icon" href="data:,"></head><body>',
      '<script src="/steadysocket.umd.min.js"></script>',
      `<script>${inline}</script>`,
      '</body></html>',
    ].join('\n'),
  })
  const page = await browser.newPage()
  await page.goto(`${server.httpUrl}${path}`)
  await page.waitForFunction(
    () => typeof (window as { SteadySocket?: unknown }).SteadySocket === 'function',
    undefined,
    {
      timeout: 5000,
    },
  )
  return page
}
