// Real-browser layer: a local Chromium driven by playwright-core. Never downloads a browser; which
// one runs is decided by scripts/find-chromium.mjs ($CHROMIUM_PATH, the system, @sparticuz/chromium).
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright-core'
import type { BrowserContext, Page } from 'playwright-core'
import { describe, it } from 'vitest'
import { chromiumOnce } from '../../scripts/find-chromium.mjs'
import type { FoundChromium } from '../../scripts/find-chromium.mjs'
import type { FaultServer } from '../support/fault-server.mjs'

export const BUNDLE_PATH = resolve(
  fileURLToPath(new URL('.', import.meta.url)),
  '../../dist/steadysocket.umd.min.js',
)

// The project's own flags, never @sparticuz/chromium's defaults: those include --single-process,
// which the tab-crash tests cannot survive.
const ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

/** Browser tests are skipped only on request; REQUIRE_BROWSER=1 (CI) refuses even that. */
const skipRequested = process.env.SKIP_BROWSER === '1'
const contradiction =
  skipRequested && process.env.REQUIRE_BROWSER === '1'
    ? new Error('REQUIRE_BROWSER=1 and SKIP_BROWSER=1 contradict each other: unset one')
    : undefined

// Looked for once per test file, before any test is collected, so that a missing browser is one
// failed test per file with the finder's one-line fix instead of a timeout in every test.
const found: FoundChromium | Error | undefined = skipRequested
  ? undefined
  : await chromiumOnce().catch((error: unknown) =>
      error instanceof Error ? error : new Error(String(error)),
    )

/**
 * `describe` for browser tests. With `SKIP_BROWSER=1` the suite is skipped (and the summary says
 * so); otherwise a Chromium that cannot be found is a failure whose message says how to get one.
 */
export function describeBrowser(name: string, fn: () => void): void {
  const failure = contradiction ?? (found instanceof Error ? found : undefined)
  if (failure) {
    describe(name, () => {
      it('needs Chromium', () => {
        throw failure
      })
    })
    return
  }
  if (skipRequested) {
    describe.skip(`${name} (SKIP_BROWSER=1)`, fn)
    return
  }
  describe(name, fn)
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
  if (!found || found instanceof Error) throw found ?? new Error('browser tests skipped')
  const profile = await mkdtemp(join(tmpdir(), 'steadysocket-chromium-profile-'))
  let context: BrowserContext
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: found.path,
      env: { ...process.env, ...found.env },
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

/** Page headers that make it cross-origin isolated: `SharedArrayBuffer` exists there. */
export const CROSS_ORIGIN_ISOLATED = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
}

/**
 * Serves a page on `server` that loads the built UMD bundle (global `SteadySocket`) and then
 * `script`, opens it in a new tab and waits for the bundle. Evaluate in it with `page.evaluate`.
 * `headers` go with the page (e.g. {@link CROSS_ORIGIN_ISOLATED}).
 */
export async function openBundlePage(
  browser: Browser,
  server: FaultServer,
  script = '',
  headers?: Record<string, string>,
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
    ...(headers ? { headers } : {}),
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
