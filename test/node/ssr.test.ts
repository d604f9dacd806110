// Server rendering with the built adapters: importing them, and rendering a component that uses
// them, must make no socket and read or write no browser global. Each case runs in a child Node
// process with getters trapping every read of a browser global (see import.test.ts).
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, test } from 'vitest'
import { TOOL_TIMEOUT } from './timeouts'

const root = fileURLToPath(new URL('../..', import.meta.url))
const dist = (file: string) => `${root}dist/${file}`

// Each read records the frame that made it, so a read by the framework itself (Vue's runtime-dom
// checks `window` at import) can be told from a read by this package's code in dist/.
const traps = `
  const reads = []
  for (const name of ['window', 'document', 'navigator', 'location', 'WebSocket', 'self', 'addEventListener']) {
    Object.defineProperty(globalThis, name, {
      configurable: true,
      get() { reads.push({ name, at: String(new Error().stack).split('\\n')[2] }); return undefined },
    })
  }
  const random = Math.random
  Math.random = () => { reads.push({ name: 'Math.random', at: String(new Error().stack).split('\\n')[2] }); return random() }
  const before = new Set(Object.getOwnPropertyNames(globalThis))
  // A WebSocket passed as an option: constructing a socket would not need the global.
  let sockets = 0
  class CountingWebSocket { constructor() { sockets++ } }
`
const report = `
  const ours = ${JSON.stringify(dist(''))}
  console.log(JSON.stringify({
    all: reads.map((r) => r.name),
    ours: reads.filter((r) => r.at.includes(ours)).map((r) => r.name),
    added: Object.getOwnPropertyNames(globalThis).filter((n) => !before.has(n)),
    sockets,
    out,
  }))
`

type Result = { all: string[]; ours: string[]; added: string[]; sockets: number; out: unknown }

function run(code: string): Result {
  const stdout = execFileSync(
    process.execPath,
    ['--input-type=module', '-e', `${traps}\n${code}\n${report}`],
    { cwd: root, encoding: 'utf8', env: { ...process.env, NODE_ENV: 'production' } },
  )
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as Result
}

describe('server rendering with the built adapters', { timeout: TOOL_TIMEOUT }, () => {
  test('the build exists (run npm run build first)', () => {
    for (const entry of ['react', 'vue', 'svelte']) {
      expect(existsSync(dist(`${entry}.js`)), `dist/${entry}.js: run npm run build`).toBe(true)
    }
  })

  test('react: renderToString with the hooks makes no socket and reads no browser global', () => {
    const r = run(`
      const React = await import('react')
      const { renderToString } = await import('react-dom/server')
      const { useSteadySocket, useSocketState } = await import(${JSON.stringify(dist('react.js'))})
      function App() {
        const a = useSteadySocket('ws://127.0.0.1:9/a', { WebSocket: CountingWebSocket, onMessage() {} })
        const b = useSteadySocket('ws://127.0.0.1:9/b', { share: true })
        const s = useSocketState(a.socket)
        return React.createElement('p', null, [a.status, b.status, s.status, String(a.socket), a.send('x')].join(' '))
      }
      const out = renderToString(React.createElement(React.StrictMode, null, React.createElement(App)))
    `)
    // React itself reads none either, so this one is strict.
    expect(r.all).toEqual([])
    expect(r.added).toEqual([])
    expect(r.sockets).toBe(0)
    expect(r.out).toBe('<p>closed closed closed null queued</p>')
  })

  test('vue: renderToString with the composable makes no socket; the adapter reads no global', () => {
    const r = run(`
      const { createSSRApp, defineComponent, h } = await import('vue')
      const { renderToString } = await import('vue/server-renderer')
      const { useSteadySocket } = await import(${JSON.stringify(dist('vue.js'))})
      const App = defineComponent({
        setup() {
          const { status, socket } = useSteadySocket('ws://127.0.0.1:9/a', { WebSocket: CountingWebSocket })
          return () => h('p', status.value + ' ' + String(socket.value))
        },
      })
      const out = await renderToString(createSSRApp(App))
    `)
    expect(r.ours).toEqual([])
    expect(r.sockets).toBe(0)
    expect(r.out).toBe('<p>closed null</p>')
  })

  test('svelte: importing and creating a store makes no socket and reads no browser global', () => {
    const r = run(`
      const { steadySocketStore } = await import(${JSON.stringify(dist('svelte.js'))})
      const feed = steadySocketStore('ws://127.0.0.1:9/a', { WebSocket: CountingWebSocket })
      const out = typeof feed.subscribe
    `)
    expect(r.all).toEqual([])
    expect(r.added).toEqual([])
    expect(r.sockets).toBe(0)
    expect(r.out).toBe('function')
  })

  test.each(['react', 'vue', 'svelte'])(
    '%s: importing the CJS build reads no browser global',
    (entry) => {
      const r = run(`
        import { createRequire } from 'node:module'
        const mod = createRequire(${JSON.stringify(root)})(${JSON.stringify(dist(`${entry}.cjs`))})
        const out = Object.keys(mod).sort()
      `)
      expect(r.ours).toEqual([])
      expect(r.sockets).toBe(0)
      expect((r.out as string[]).length).toBeGreaterThan(0)
    },
  )
})

describe('the adapters share the core chunk', () => {
  test.each(['react.js', 'vue.js', 'svelte.js', 'react.cjs', 'vue.cjs', 'svelte.cjs'])(
    'dist/%s imports the class from a chunk instead of carrying a copy',
    (file) => {
      const code = readFileSync(dist(file), 'utf8')
      expect(code).not.toMatch(/class SteadySocket\b/)
      expect(code).toMatch(/(from |require\()['"]\.\/chunks\/socket-[\w-]+\.c?js['"]/)
    },
  )

  test('dist/index.js uses the same chunk', () => {
    const chunk = /\.\/chunks\/socket-[\w-]+\.js/
    const core = readFileSync(dist('index.js'), 'utf8').match(chunk)?.[0]
    expect(core).toBeDefined()
    for (const entry of ['react', 'vue', 'svelte']) {
      expect(readFileSync(dist(`${entry}.js`), 'utf8').match(chunk)?.[0]).toBe(core)
    }
  })

  test('dist/svelte.js imports no svelte; the core and its chunk import no framework', () => {
    const framework = /(from |require\(|import\s*)['"](react|react-dom|vue|svelte)(\/[^'"]*)?['"]/
    expect(readFileSync(dist('svelte.js'), 'utf8')).not.toMatch(framework)
    expect(readFileSync(dist('index.js'), 'utf8')).not.toMatch(framework)
    const chunk = readFileSync(dist('index.js'), 'utf8').match(/\.\/chunks\/socket-[\w-]+\.js/)![0]
    expect(readFileSync(dist(chunk.slice(2)), 'utf8')).not.toMatch(framework)
    expect(readFileSync(dist('react.js'), 'utf8')).toMatch(framework)
  })
})
