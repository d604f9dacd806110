// What the core would weigh without some of its features, or without its messages: the evidence
// for the size section of the README (how far below the full core a budget can go without
// dropping something from the contract). Stubs replace whole modules; "messages emptied" blanks
// every template literal and every string literal over 12 characters in the minified output.
//   node scripts/size-floor.mjs   (reads src/, needs no build)
import { build } from 'esbuild'
import { gzipSync } from 'node:zlib'
import * as acorn from 'acorn'
import MagicString from 'magic-string'
import { readFileSync } from 'node:fs'

const STUBS = {
  heartbeat: [
    'heartbeat.ts',
    'export class Heartbeat { receive() { return false } start() {} stop() {} probe() {} }',
  ],
  network: [
    'network.ts',
    'export class NetworkWatch { static offline() { return false } attach() {} detach() {} }',
  ],
  compat: [
    'compat.ts',
    'export class CompatTarget { hasCompat() { return false } dispatchCompat() {} clearCompat() {} }',
  ],
  resume: ['resume.ts', "export const UNSPOKEN = '', PING = ''; export class Resume {}"],
  validation: [
    'options.ts',
    () => {
      const s = readFileSync('src/options.ts', 'utf8')
      const start = s.indexOf('export function normalizeOptions')
      return (
        s.slice(0, s.indexOf('const RULES') > 0 ? s.indexOf('const RULES') : start) +
        `export function normalizeOptions(arg) {
  const o = arg === undefined ? {} : typeof arg === 'string' || Array.isArray(arg) ? { protocols: arg } : arg
  const out = { random: Math.random, ...DEFAULTS, heartbeat: null }
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v === false ? null : typeof v === 'object' && k in DEFAULTS && typeof DEFAULTS[k] === 'object' ? { ...DEFAULTS[k], ...v } : v
  out.minUptime = 5000
  out.settleWithin = 10000
  return out
}
export function webSocketOf(o) { return o.WebSocket ?? globalThis.WebSocket }
export function checkProtocols() {}
${s.slice(s.indexOf('function isConstructor'))}`
      )
    },
  ],
}

function stripStrings(code) {
  const ast = acorn.parse(code, { ecmaVersion: 'latest', sourceType: 'module' })
  const ms = new MagicString(code)
  ;(function walk(n) {
    if (!n || typeof n.type !== 'string') return
    if (n.type === 'TemplateLiteral') {
      for (const q of n.quasis) if (q.end > q.start) ms.overwrite(q.start, q.end, '')
    } else if (n.type === 'Literal' && typeof n.value === 'string' && n.value.length > 12) {
      ms.overwrite(n.start, n.end, '""')
    }
    for (const k in n) {
      const v = n[k]
      if (Array.isArray(v)) v.forEach(walk)
      else if (v && typeof v.type === 'string') walk(v)
    }
  })(ast)
  return ms.toString()
}

async function size(stubs, strip) {
  const applied = new Set()
  const plugin = {
    name: 'stub',
    setup(b) {
      b.onLoad({ filter: /src\/\w+\.ts$/ }, (args) => {
        for (const s of stubs) {
          const [file, body] = STUBS[s]
          if (args.path.endsWith('/src/' + file) && applied.add(s))
            return { contents: typeof body === 'function' ? body() : body, loader: 'ts' }
        }
      })
    },
  }
  const out = await build({
    entryPoints: ['src/index.ts'],
    bundle: true,
    minify: true,
    format: 'esm',
    target: 'es2022',
    write: false,
    plugins: [plugin],
    logLevel: 'error',
  })
  // A stub that no longer matches a module would make a variant silently equal to the full core.
  const missed = stubs.filter((s) => !applied.has(s))
  if (missed.length)
    throw new Error(`size-floor: no module matched the stub(s) ${missed.join(', ')}`)
  let code = out.outputFiles[0].text
  if (strip) code = stripStrings(code)
  return gzipSync(code, { level: 9 }).length
}
const base = await size([], false)
console.log('| variant | gzip B | vs full |')
console.log('| --- | --- | --- |')
for (const [name, stubs, strip] of [
  ['full', [], false],
  ['no heartbeat', ['heartbeat'], false],
  ['no network watch', ['network'], false],
  ['no WebSocket-compatible surface', ['compat'], false],
  ['no option validation', ['validation'], false],
  ['no resumable sessions (client)', ['resume'], false],
  ['every message string emptied', [], true],
  ['all four features out', ['heartbeat', 'network', 'compat', 'validation'], false],
  ['all four out + messages emptied', ['heartbeat', 'network', 'compat', 'validation'], true],
  [
    'all five out (+ resume) + messages emptied',
    ['heartbeat', 'network', 'compat', 'validation', 'resume'],
    true,
  ],
]) {
  const n = await size(stubs, strip)
  console.log(`| ${name} | ${n} | ${n - base} |`)
}
