// Runs code in a child Node process whose browser globals are getters that record every read,
// and whose Math.random records every call: the import-safety checks of the built entries.
// A `typeof` guard would also hit a getter, so the package may not even do that at import time.
import { execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'

export const root = fileURLToPath(new URL('../..', import.meta.url))

const GLOBALS = [
  'window',
  'document',
  'navigator',
  'location',
  'WebSocket',
  'self',
  'addEventListener',
]

export type TrapResult = { touched: string[]; added: string[]; exports: string[] }

/** Runs `code`, which must assign the imported module to `mod`, with the traps installed before it. */
export function runWithTraps(code: string, extraGlobals: string[] = []): TrapResult {
  const traps = `
    const touched = []
    for (const name of ${JSON.stringify([...GLOBALS, ...extraGlobals])}) {
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
  const out = execFileSync(
    process.execPath,
    ['--input-type=module', '-e', `${traps}\n${code}\n${report}`],
    {
      cwd: root,
      encoding: 'utf8',
    },
  )
  return JSON.parse(out.trim().split('\n').at(-1)!) as TrapResult
}

/** The code that imports `file` as ESM into `mod`. */
export const esmImport = (file: string) => `const mod = await import(${JSON.stringify(file)})`

/** The code that requires `file` as CJS into `mod`. */
export const cjsRequire = (file: string) =>
  `import { createRequire } from 'node:module'; const mod = createRequire(${JSON.stringify(root)} + '/')(${JSON.stringify(file)})`
