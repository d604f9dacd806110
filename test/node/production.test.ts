// Production builds (process.env.NODE_ENV === 'production', as bundlers set it) drop the long
// error messages; every bad input must still throw, naming what was wrong.
import { build } from 'esbuild'
import { mkdirSync, readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { beforeAll, describe, expect, test } from 'vitest'
import type * as Core from '../../src/index'
import { TOOL_TIMEOUT } from './timeouts'

const ROOT = resolve(__dirname, '../..')

async function bundle(mode: 'production' | 'development') {
  const out = resolve(ROOT, `.tmp/production-test/${mode}.mjs`)
  mkdirSync(resolve(ROOT, '.tmp/production-test'), { recursive: true })
  const result = await build({
    entryPoints: [resolve(ROOT, 'src/index.ts')],
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'neutral',
    mainFields: ['module', 'main'],
    define: { 'process.env.NODE_ENV': JSON.stringify(mode) },
    outfile: out,
    logLevel: 'silent',
    metafile: true,
  })
  const bytes = Object.values(result.metafile.outputs)[0]!.bytes
  return { mod: (await import(pathToFileURL(out).href)) as typeof Core, bytes }
}

class NoSocket {
  constructor() {
    throw new Error('not used')
  }
}

describe('a production build', () => {
  let prod: Awaited<ReturnType<typeof bundle>>
  let dev: Awaited<ReturnType<typeof bundle>>
  beforeAll(async () => {
    prod = await bundle('production')
    dev = await bundle('development')
  }, TOOL_TIMEOUT)

  test('is smaller than a development build', () => {
    expect(prod.bytes).toBeLessThan(dev.bytes - 1000)
  })

  test.each([
    [{ queue: { maxBytes: -1 } }, RangeError, 'queue.maxBytes'],
    [{ reconnect: { jitter: 'some' } }, TypeError, 'reconnect.jitter'],
    [{ heartbeat: new Map() }, TypeError, 'heartbeat'],
    [{ codec: {} }, TypeError, 'codec'],
    [{ protocols: 'a b' }, SyntaxError, 'protocols'],
  ])('throws for %j, naming the option', (options, E, name) => {
    const make = (m: typeof prod.mod) =>
      new m.SteadySocket('ws://127.0.0.1/x', { WebSocket: NoSocket, ...options } as never)
    expect(() => make(prod.mod)).toThrow(E)
    expect(() => make(prod.mod)).toThrow(`option "${name}"`)
    // Development keeps the whole sentence.
    expect(() => make(dev.mod)).toThrow(/must be|invalid or repeated/)
    expect(() => make(prod.mod)).not.toThrow(/must be|invalid or repeated/)
  })

  // One wrong value (or more) for every option the README documents: a production build throws
  // the same class as a development one, with the option's path as the whole message.
  const wrong: [path: string, value: unknown, E: ErrorConstructor][] = [
    ['protocols', 5, TypeError],
    ['protocols', ['chat', 1], TypeError],
    ['protocols', ['chat', 'chat'], SyntaxError],
    ['WebSocket', {}, TypeError],
    ['WebSocket', () => NoSocket, TypeError],
    ['binaryType', 5, TypeError],
    ['autoConnect', 'no', TypeError],
    ['connectTimeout', -1, RangeError],
    ['connectTimeout', 2 ** 31, RangeError],
    ['connectTimeout', '10', TypeError],
    ['reconnect', 'yes', TypeError],
    ['reconnect', null, TypeError],
    ['reconnect.initialDelay', Number.NaN, RangeError],
    ['reconnect.maxDelay', 2 ** 31, RangeError],
    ['reconnect.factor', 0.5, RangeError],
    ['reconnect.factor', Infinity, RangeError],
    ['reconnect.jitter', 0, RangeError],
    ['reconnect.jitter', 'half', TypeError],
    ['reconnect.maxRetries', -1, RangeError],
    ['reconnect.minUptime', '5000', TypeError],
    ['reconnect.shouldReconnect', true, TypeError],
    ['reconnect.delay', 5, TypeError],
    ['queue', new Map(), TypeError],
    ['queue.maxMessages', -1, RangeError],
    ['queue.maxBytes', Number.NaN, RangeError],
    ['queue.overflow', 'drop-newest', TypeError],
    ['queue.ttl', Infinity, RangeError],
    ['backpressure', [], TypeError],
    ['backpressure.highWaterMark', -1, RangeError],
    ['backpressure.lowWaterMark', Infinity, RangeError],
    ['recoverUnsent', 1, TypeError],
    ['heartbeat', 1, TypeError],
    ['heartbeat.interval', 0, RangeError],
    ['heartbeat.timeout', 2 ** 31, RangeError],
    ['heartbeat.message', 42, TypeError],
    ['heartbeat.message', null, TypeError],
    ['heartbeat.isPong', 'pong', TypeError],
    ['handshake', {}, TypeError],
    ['codec', { encode: () => '' }, TypeError],
    ['watchNetwork', 'yes', TypeError],
    ['random', 0.5, TypeError],
    ['resume', 'yes', TypeError],
    ['resume.maxBytes', 1.5, TypeError],
  ]
  /** `{ a: { b: value } }` for the path 'a.b'. */
  const at = (path: string, value: unknown): object =>
    path.split('.').reduceRight<unknown>((inner, key) => ({ [key]: inner }), value) as object

  test.each(wrong)('rejects %s: %o, naming it', (path, value, E) => {
    const make = (m: typeof prod.mod) => () =>
      new m.SteadySocket('ws://127.0.0.1/x', { WebSocket: NoSocket, ...at(path, value) } as never)
    expect(make(prod.mod)).toThrow(E)
    expect(make(prod.mod)).toThrow(new RegExp(`^steadysocket: option "${path}"$`))
    expect(make(dev.mod)).toThrow(E)
    expect(make(dev.mod)).toThrow(`option "${path}"`)
  })

  test('the table above covers every option of the README', () => {
    const readme = readFileSync(resolve(ROOT, 'README.md'), 'utf8')
    const table = readme.slice(readme.indexOf('## Options'), readme.indexOf('## State'))
    const documented = [...table.matchAll(/^\| `([\w.]+)` \|/gm)].map((m) => m[1])
    expect(documented.length).toBeGreaterThan(25)
    expect(documented.filter((name) => !wrong.some(([path]) => path === name))).toEqual([])
  })

  test('names an unknown option, a low water mark above the high one and a bad options object', () => {
    const make = (m: typeof prod.mod, options: unknown) => () =>
      new m.SteadySocket('ws://127.0.0.1/x', options as never)
    for (const [options, E, name] of [
      [{ WebSocket: NoSocket, reconect: false }, TypeError, 'reconect'],
      [{ WebSocket: NoSocket, queue: { size: 1 } }, TypeError, 'queue.size'],
      [
        { WebSocket: NoSocket, backpressure: { highWaterMark: 10, lowWaterMark: 20 } },
        RangeError,
        'backpressure.lowWaterMark',
      ],
      [5, TypeError, 'options'],
      [new Date(0), TypeError, 'options'],
    ] as const) {
      expect(make(prod.mod, options)).toThrow(E)
      expect(make(prod.mod, options)).toThrow(new RegExp(`^steadysocket: option "${name}"$`))
      expect(make(dev.mod, options)).toThrow(E)
      expect(make(dev.mod, options)).toThrow(`option "${name}"`)
    }
  })

  test('still refuses a bad URL and a bad close code', () => {
    const { SteadySocket } = prod.mod
    expect(() => new SteadySocket('ftp://127.0.0.1/x', { WebSocket: NoSocket })).toThrow(
      SyntaxError,
    )
    const s = new SteadySocket('ws://127.0.0.1/x', { WebSocket: NoSocket, autoConnect: false })
    expect(() => s.close(1234)).toThrow('code')
  })
})
