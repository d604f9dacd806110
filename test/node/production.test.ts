// Production builds (process.env.NODE_ENV === 'production', as bundlers set it) drop the long
// error messages; every bad input must still throw, naming what was wrong.
import { build } from 'esbuild'
import { mkdirSync } from 'node:fs'
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

  test('still refuses a bad URL and a bad close code', () => {
    const { SteadySocket } = prod.mod
    expect(() => new SteadySocket('ftp://127.0.0.1/x', { WebSocket: NoSocket })).toThrow(
      SyntaxError,
    )
    const s = new SteadySocket('ws://127.0.0.1/x', { WebSocket: NoSocket, autoConnect: false })
    expect(() => s.close(1234)).toThrow('code')
  })
})
