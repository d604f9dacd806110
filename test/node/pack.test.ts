// The package as users get it: `npm pack`, installed into a fresh project, then imported with
// ESM and CJS, type-checked under three module resolutions, and (adapters) imported with their
// frameworks. The consumer lives inside the repository so that frameworks and TypeScript
// resolve from the repository's node_modules, while `steadysocket` resolves to the tarball.
import { execFileSync } from 'node:child_process'
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { HEAVY_TOOL_TIMEOUT, TOOL_TIMEOUT } from './timeouts'

const root = fileURLToPath(new URL('../..', import.meta.url))
const work = join(root, '.pack-test')
const app = join(work, 'app')
const tsc = join(root, 'node_modules/typescript/bin/tsc')
let subpaths: string[] = []

const run = (cmd: string, args: string[], cwd = app) =>
  execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })

beforeAll(() => {
  rmSync(work, { recursive: true, force: true })
  mkdirSync(app, { recursive: true })
  const packed = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', work], root))[0]
  writeFileSync(
    join(app, 'package.json'),
    JSON.stringify({ name: 'consumer', private: true, type: 'module' }),
  )
  run('npm', [
    'install',
    '--no-audit',
    '--no-fund',
    '--prefer-offline',
    '--no-package-lock',
    join(work, packed.filename),
  ])
  const pkg = JSON.parse(readFileSync(join(app, 'node_modules/steadysocket/package.json'), 'utf8'))
  subpaths = Object.keys(pkg.exports).filter((k) => k !== './package.json')
}, HEAVY_TOOL_TIMEOUT)

afterAll(() => rmSync(work, { recursive: true, force: true }))

const specifier = (subpath: string) =>
  subpath === '.' ? 'steadysocket' : `steadysocket/${subpath.slice(2)}`

describe('the packed tarball', { timeout: TOOL_TIMEOUT }, () => {
  test('installs with its one runtime dependency', () => {
    const pkg = JSON.parse(
      readFileSync(join(app, 'node_modules/steadysocket/package.json'), 'utf8'),
    )
    expect(Object.keys(pkg.dependencies)).toEqual(['mitt'])
    expect(subpaths).toContain('.')
    expect(subpaths).toContain('./testing')
  })

  test('every entry imports as ESM and requires as CJS in a bare Node process', () => {
    for (const subpath of subpaths) {
      const name = specifier(subpath)
      const esm = run('node', [
        '--input-type=module',
        '-e',
        `const m = await import('${name}'); console.log(Object.keys(m).length)`,
      ])
      const cjs = run('node', ['-e', `console.log(Object.keys(require('${name}')).length)`])
      expect(Number(esm), `${name} ESM exports`).toBeGreaterThan(0)
      expect(Number(cjs), `${name} CJS exports`).toBe(Number(esm))
    }
  })

  test.each([
    ['bundler', { module: 'esnext', moduleResolution: 'bundler' }],
    ['node16', { module: 'node16', moduleResolution: 'node16' }],
    ['node10', { module: 'commonjs', moduleResolution: 'node10' }],
  ])(
    'type-checks a consumer with moduleResolution %s',
    (name, options) => {
      // The browser's consumer: no Node types. steadysocket/server is checked as Node's below.
      const browser = subpaths.filter((s) => s !== './server')
      const imports = browser
        .map((s, i) => `import * as entry${i} from '${specifier(s)}'`)
        .join('\n')
      const body = `
${imports}
import { SteadySocket, json, isSteadySocketError } from 'steadysocket'
import { FakeServer } from 'steadysocket/testing'
type In = { kind: 'tick'; n: number }
type Out = { kind: 'sub'; topic: string }
const server = new FakeServer()
const socket = new SteadySocket<In, Out>('wss://example.test', { WebSocket: server.WebSocket, codec: json() })
socket.on('message', (m) => { const n: number = m.n; void n })
socket.on('error', (e) => { if (isSteadySocketError(e, 'DecodeError')) void e.data })
const result: 'sent' | 'queued' | 'dropped' = socket.send({ kind: 'sub', topic: 'a' })
// @ts-expect-error the message type is checked
socket.send({ kind: 'tick', n: 1 })
void result
void [${browser.map((_, i) => `entry${i}`).join(', ')}]
`
      const dir = join(app, `ts-${name}`)
      mkdirSync(dir, { recursive: true })
      writeFileSync(join(dir, 'consumer.ts'), body)
      writeFileSync(
        join(dir, 'tsconfig.json'),
        JSON.stringify({
          compilerOptions: {
            ...options,
            target: 'es2022',
            strict: true,
            noEmit: true,
            lib: ['es2022', 'dom'],
            types: [],
            skipLibCheck: false,
          },
          files: ['consumer.ts'],
        }),
      )
      // For node16, the consumer is CommonJS unless its package says module: ESM is what it is.
      let out = ''
      try {
        out = run('node', [tsc, '-p', join(dir, 'tsconfig.json')])
      } catch (error) {
        out = String((error as { stdout?: string }).stdout ?? error)
      }
      expect(out).toBe('')
    },
    HEAVY_TOOL_TIMEOUT,
  )

  test.each([
    ['bundler', { module: 'esnext', moduleResolution: 'bundler' }],
    ['node16', { module: 'node16', moduleResolution: 'node16' }],
  ])(
    'steadysocket/server type-checks for a Node consumer with ws, moduleResolution %s',
    (name, options) => {
      const body = `
import { WebSocketServer } from 'ws'
import { resumable, type Session, type SessionEndReason } from 'steadysocket/server'
const server = resumable(new WebSocketServer({ noServer: true }), { window: 1000, maxBytes: 1024 })
server.on('session', (session: Session) => {
  session.on('message', (data) => { const ok: boolean = session.send(data); void ok })
  session.on('end', (reason) => { const r: SessionEndReason = reason; void r })
})
// @ts-expect-error the options are checked
resumable(new WebSocketServer({ noServer: true }), { window: '1' })
server.close()
`
      const dir = join(app, `ts-server-${name}`)
      mkdirSync(dir, { recursive: true })
      writeFileSync(join(dir, 'consumer.ts'), body)
      writeFileSync(
        join(dir, 'tsconfig.json'),
        JSON.stringify({
          compilerOptions: {
            ...options,
            target: 'es2022',
            strict: true,
            noEmit: true,
            lib: ['es2022'],
            types: ['node'],
            skipLibCheck: false,
          },
          files: ['consumer.ts'],
        }),
      )
      let out = ''
      try {
        out = run('node', [tsc, '-p', join(dir, 'tsconfig.json')])
      } catch (error) {
        out = String((error as { stdout?: string }).stdout ?? error)
      }
      expect(out).toBe('')
    },
    HEAVY_TOOL_TIMEOUT,
  )
})
