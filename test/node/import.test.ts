import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, test } from 'vitest'

const root = fileURLToPath(new URL('../..', import.meta.url))
const dist = (file: string) => `${root}dist/${file}`

// Traps installed before the import: any read of a browser global, or a Math.random call, is
// recorded. A `typeof` guard would also hit the getter, so the package may not even do that at
// import time; it may at construction.
const traps = `
  const touched = []
  for (const name of ['window', 'document', 'navigator', 'location', 'WebSocket', 'self', 'addEventListener']) {
    Object.defineProperty(globalThis, name, { configurable: true, get() { touched.push(name); return undefined } })
  }
  const random = Math.random
  Math.random = () => { touched.push('Math.random'); return random() }
  const before = new Set(Object.getOwnPropertyNames(globalThis))
`
const report = `
  const added = Object.getOwnPropertyNames(globalThis).filter((n) => !before.has(n))
  console.log(JSON.stringify({ touched, added, exports: Object.keys(mod).sort() }))
`

function run(code: string): { touched: string[]; added: string[]; exports: string[] } {
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', code], {
    cwd: root,
    encoding: 'utf8',
  })
  return JSON.parse(out.trim().split('\n').at(-1)!)
}

describe('importing the built package', () => {
  test('the build exists (run npm run build first)', () => {
    expect(existsSync(dist('index.js')), 'dist/index.js is missing: run `npm run build`').toBe(true)
  })

  test('ESM import reads no browser global, writes none and calls no Math.random', () => {
    const r = run(
      `${traps} const mod = await import(${JSON.stringify(dist('index.js'))}); ${report}`,
    )
    expect(r.touched).toEqual([])
    expect(r.added).toEqual([])
    expect(r.exports).toContain('SteadySocket')
    expect(r.exports).toContain('json')
  })

  test('CJS require reads no browser global, writes none and calls no Math.random', () => {
    const r = run(
      `${traps} import { createRequire } from 'node:module'; const mod = createRequire(${JSON.stringify(root)} + '/')(${JSON.stringify(dist('index.cjs'))}); ${report}`,
    )
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
