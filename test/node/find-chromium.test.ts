// The browser finder's order ($CHROMIUM_PATH, then the system, then @sparticuz/chromium) and its
// one-line failure, with stand-in executables in a temp dir instead of real browsers.
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { ChromiumNotFoundError, findChromium } from '../../scripts/find-chromium.mjs'
import type { Unpacked } from '../../scripts/find-chromium.mjs'
import { TOOL_TIMEOUT } from './timeouts'

let dir: string
let good: string
let other: string
let broken: string
let needsLibs: string
let missing: string

async function script(name: string, body: string): Promise<string> {
  const path = join(dir, name)
  await writeFile(path, `#!/bin/sh\n${body}\n`)
  await chmod(path, 0o755)
  return path
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'steadysocket-find-chromium-'))
  good = await script('good', 'echo "Chromium 111.0.1 built on Debian"')
  other = await script('other', 'echo "Google Chrome 122.0.2"')
  broken = await script(
    'broken',
    'echo "error while loading shared libraries: libnss3.so: cannot open shared object file" >&2\nexit 127',
  )
  // Runs only with the package's libraries on LD_LIBRARY_PATH, like the packaged binary on a
  // system without NSS.
  needsLibs = await script(
    'needs-libs',
    'case "$LD_LIBRARY_PATH" in *al2023*) echo "Chromium 153.0.8010.0";; *) echo "libnspr4.so: not found" >&2; exit 127;; esac',
  )
  missing = join(dir, 'not-there')
})

afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

const packagedAt = (path: string, fallbackEnv?: Record<string, string>) =>
  vi.fn(async (): Promise<Unpacked> => ({ path, env: {}, ...(fallbackEnv ? { fallbackEnv } : {}) }))
const notInstalled = () =>
  vi.fn(async (): Promise<Unpacked> => {
    throw new Error('not installed (run npm install)')
  })

describe('findChromium', { timeout: TOOL_TIMEOUT }, () => {
  it('takes CHROMIUM_PATH before the system and the package', async () => {
    const packaged = packagedAt(good)
    const found = await findChromium({ env: { CHROMIUM_PATH: other }, system: [good], packaged })
    expect(found).toEqual({
      path: other,
      version: 'Google Chrome 122.0.2',
      source: 'CHROMIUM_PATH',
      env: {},
    })
    expect(packaged).not.toHaveBeenCalled()
  })

  it('fails on a CHROMIUM_PATH that does not run instead of looking elsewhere', async () => {
    const packaged = packagedAt(good)
    const error = await findChromium({ env: { CHROMIUM_PATH: broken }, system: [good], packaged })
      .then(() => null)
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ChromiumNotFoundError)
    expect((error as Error).message).toMatch(/^CHROMIUM_PATH=\S+broken does not run \(.*libnss3/)
    expect((error as Error).message).not.toContain('\n')
    expect(packaged).not.toHaveBeenCalled()
  })

  it('takes the first system Chromium that runs, skipping missing and broken ones', async () => {
    const packaged = packagedAt(other)
    const found = await findChromium({ env: {}, system: [missing, broken, good, other], packaged })
    expect(found).toMatchObject({ path: good, source: 'system', version: 'Chromium 111.0.1' })
    expect(packaged).not.toHaveBeenCalled()
  })

  it('falls back to the package when no system Chromium runs', async () => {
    const packaged = packagedAt(other)
    const found = await findChromium({ env: {}, system: [missing, broken], packaged })
    expect(found).toMatchObject({ path: other, source: '@sparticuz/chromium', env: {} })
    expect(packaged).toHaveBeenCalledOnce()
  })

  it("adds the package's libraries only when its binary does not run without them", async () => {
    const libs = { LD_LIBRARY_PATH: '/tmp/x/al2023/lib' }
    const found = await findChromium({ env: {}, system: [], packaged: packagedAt(needsLibs, libs) })
    expect(found).toMatchObject({ path: needsLibs, version: 'Chromium 153.0.8010.0', env: libs })
    const plain = await findChromium({ env: {}, system: [], packaged: packagedAt(good, libs) })
    expect(plain.env).toEqual({})
  })

  it('fails with one line that says how to get a browser when none runs', async () => {
    for (const packaged of [notInstalled(), packagedAt(broken)]) {
      const error = await findChromium({ env: {}, system: [missing, broken], packaged })
        .then(() => null)
        .catch((e: unknown) => e)
      expect(error).toBeInstanceOf(ChromiumNotFoundError)
      const message = (error as Error).message
      expect(message).not.toContain('\n')
      expect(message).toMatch(/^No Chromium runs \(/)
      expect(message).toContain(`${broken}: 127`)
      for (const fix of ['CHROMIUM_PATH=', 'apt-get install chromium', 'npm install']) {
        expect(message).toContain(fix)
      }
    }
  })

  it('says the system paths were all missing when none exists', async () => {
    const error = await findChromium({ env: {}, system: [missing], packaged: notInstalled() })
      .then(() => null)
      .catch((e: unknown) => e)
    expect((error as Error).message).toContain(
      'none of 1 system paths exists; @sparticuz/chromium: not installed (run npm install)',
    )
  })
})
