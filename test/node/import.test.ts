import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { describe, expect, test } from 'vitest'
import { cjsRequire, esmImport, root, runWithTraps } from '../support/import-traps'
import { TOOL_TIMEOUT } from './timeouts'

const dist = (file: string) => `${root}dist/${file}`

describe('importing the built package', { timeout: TOOL_TIMEOUT }, () => {
  test('the build exists (run npm run build first)', () => {
    expect(existsSync(dist('index.js')), 'dist/index.js is missing: run `npm run build`').toBe(true)
  })

  test('ESM import reads no browser global, writes none and calls no Math.random', () => {
    const r = runWithTraps(esmImport(dist('index.js')))
    expect(r.touched).toEqual([])
    expect(r.added).toEqual([])
    expect(r.exports).toContain('SteadySocket')
    expect(r.exports).toContain('json')
  })

  test('CJS require reads no browser global, writes none and calls no Math.random', () => {
    const r = runWithTraps(cjsRequire(dist('index.cjs')))
    expect(r.touched).toEqual([])
    expect(r.added).toEqual([])
    expect(r.exports).toContain('SteadySocket')
  })

  test('the package name resolves to both builds through the exports map', () => {
    const out = execFileSync(
      process.execPath,
      [
        '-e',
        `import('steadysocket').then((m) => { const c = require('steadysocket'); console.log(typeof m.SteadySocket, typeof c.SteadySocket, m.SteadySocket === c.SteadySocket) })`,
      ],
      { cwd: root, encoding: 'utf8' },
    )
    // Two formats, two copies of the class (the dual-package hazard is documented in the README).
    expect(out.trim()).toBe('function function false')
  })

  test('constructing without a WebSocket implementation throws a clear error', () => {
    const out = execFileSync(
      process.execPath,
      [
        '-e',
        `const { SteadySocket } = require('steadysocket'); try { new SteadySocket('ws://127.0.0.1:1') } catch (e) { console.log(e.name + ': ' + e.message) }`,
      ],
      { cwd: root, encoding: 'utf8' },
    )
    expect(out).toMatch(/^TypeError: .*`WebSocket` option/)
  })
})
