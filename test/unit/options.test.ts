import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { describe, expect, test } from 'vitest'
import { DEFAULTS, normalizeOptions } from '../../src/options'
import { SteadySocket } from '../../src/index'
import { FakeServer } from '../../src/testing/index'

describe('normalizeOptions', () => {
  test('takes a string or an array as protocols', () => {
    expect(normalizeOptions('chat').protocols).toBe('chat')
    expect(normalizeOptions(['a', 'b']).protocols).toEqual(['a', 'b'])
  })

  test('expands true to the defaults and false to null', () => {
    const o = normalizeOptions({
      heartbeat: true,
      queue: false,
      reconnect: true,
      backpressure: false,
    })
    expect(o.heartbeat).toEqual(DEFAULTS.heartbeat)
    expect(o.queue).toBeNull()
    expect(o.reconnect).toEqual(DEFAULTS.reconnect)
    expect(o.backpressure).toBeNull()
  })

  test('merges a partial section over the defaults', () => {
    const o = normalizeOptions({ reconnect: { maxDelay: 500 }, queue: { overflow: 'drop-oldest' } })
    expect(o.reconnect).toEqual({ ...DEFAULTS.reconnect, maxDelay: 500 })
    expect(o.queue).toEqual({ ...DEFAULTS.queue, overflow: 'drop-oldest' })
  })

  test('leaves heartbeat off by default and everything else on', () => {
    const o = normalizeOptions(undefined)
    expect(o.heartbeat).toBeNull()
    expect(o.reconnect).not.toBeNull()
    expect(o.queue).not.toBeNull()
    expect(o.backpressure).not.toBeNull()
    expect(o.recoverUnsent).toBe(true)
    expect(o.watchNetwork).toBe(true)
  })

  test('treats undefined values as absent', () => {
    const o = normalizeOptions({ connectTimeout: undefined, reconnect: { maxDelay: undefined } })
    expect(o.connectTimeout).toBe(10000)
    expect(o.reconnect?.maxDelay).toBe(10000)
  })

  test('freezes the defaults, deeply', () => {
    expect(Object.isFrozen(DEFAULTS)).toBe(true)
    expect(Object.isFrozen(DEFAULTS.reconnect)).toBe(true)
    expect(() => {
      ;(DEFAULTS.reconnect as { maxDelay: number }).maxDelay = 1
    }).toThrow(TypeError)
  })

  test.each([
    [{ reconnect: { initialDelay: -1 } }, RangeError, /reconnect\.initialDelay.*-1/],
    [{ reconnect: { factor: 0.5 } }, RangeError, /reconnect\.factor.*0\.5/],
    [{ reconnect: { jitter: 2 } }, RangeError, /reconnect\.jitter.*2/],
    [{ reconnect: { jitter: 'half' } }, TypeError, /reconnect\.jitter.*"half"/],
    [{ reconnect: { maxRetries: Number.NaN } }, RangeError, /reconnect\.maxRetries/],
    [{ reconnect: { shouldReconnect: 'yes' } }, TypeError, /reconnect\.shouldReconnect/],
    [{ reconnect: { maxDelai: 5 } }, TypeError, /unknown option "reconnect\.maxDelai"/],
    [{ queue: { overflow: 'drop-newest' } }, TypeError, /queue\.overflow.*"drop-newest"/],
    [{ queue: { maxBytes: -5 } }, RangeError, /queue\.maxBytes/],
    [{ queue: 'yes' }, TypeError, /"queue" must be a boolean or an object/],
    [{ backpressure: { highWaterMark: 10, lowWaterMark: 20 } }, RangeError, /lowWaterMark/],
    [{ heartbeat: { interval: 0 } }, RangeError, /heartbeat\.interval.*from 1 to 2147483647/],
    [{ heartbeat: { timeout: 2 ** 31 } }, RangeError, /heartbeat\.timeout.*2147483647/],
    [{ heartbeat: { message: 42 } }, TypeError, /heartbeat\.message.*string, binary data/],
    [{ connectTimeout: 2 ** 31 }, RangeError, /connectTimeout.*from 0 to 2147483647/],
    [{ reconnect: { maxDelay: 2 ** 31 } }, RangeError, /reconnect\.maxDelay/],
    [{ reconnect: { initialDelay: 2 ** 40 } }, RangeError, /reconnect\.initialDelay/],
    [{ reconnect: { minUptime: 2 ** 31 } }, RangeError, /reconnect\.minUptime/],
    [{ heartbeat: { isPong: 1 } }, TypeError, /heartbeat\.isPong/],
    [{ connectTimeout: Infinity }, RangeError, /connectTimeout/],
    [{ binaryType: 'buffer' }, TypeError, /binaryType.*"buffer"/],
    [{ autoConnect: 'no' }, TypeError, /autoConnect/],
    [{ protocols: 5 }, TypeError, /protocols/],
    [{ WebSocket: {} }, TypeError, /WebSocket.*constructor/],
    [{ codec: { encode: () => '' } }, TypeError, /codec/],
    [{ handshake: true }, TypeError, /handshake/],
    [{ random: 0.5 }, TypeError, /random/],
    [{ reconect: false }, TypeError, /unknown option "reconect"/],
  ])('rejects %j', (bad, ErrorClass, message) => {
    expect(() => normalizeOptions(bad as never)).toThrow(ErrorClass)
    expect(() => normalizeOptions(bad as never)).toThrow(message)
  })

  test('accepts the edges of each range', () => {
    expect(() =>
      normalizeOptions({
        reconnect: { initialDelay: 0, factor: 1, jitter: 1, maxRetries: 0, minUptime: 0 },
        queue: { maxMessages: 0, maxBytes: Infinity, ttl: 0 },
        backpressure: { highWaterMark: 5, lowWaterMark: 5 },
        connectTimeout: 0,
      }),
    ).not.toThrow()
    expect(() =>
      normalizeOptions({
        reconnect: { initialDelay: 2 ** 31 - 1, maxDelay: 2 ** 31 - 1, minUptime: 2 ** 31 - 1 },
        heartbeat: { interval: 1, timeout: 2 ** 31 - 1, message: new Uint8Array([1]) },
        connectTimeout: 2 ** 31 - 1,
      }),
    ).not.toThrow()
  })

  test('a high-water mark below the default low one brings the low one down when it is not given', () => {
    const o = normalizeOptions({ backpressure: { highWaterMark: 65536 } })
    expect(o.backpressure).toEqual({ highWaterMark: 65536, lowWaterMark: 65536 })
    expect(normalizeOptions({ backpressure: { highWaterMark: 4 << 20 } }).backpressure).toEqual({
      highWaterMark: 4 << 20,
      lowWaterMark: 262144,
    })
  })
})

describe('the README', () => {
  // The options table is the user's reference: it must say what the code does.
  test('options table shows the defaults of the code', () => {
    const readme = readFileSync(resolve(__dirname, '../../README.md'), 'utf8')
    const row = (name: string) => {
      const line = readme.split('\n').find((l) => l.startsWith(`| \`${name}\``))
      expect(line, `README options row for ${name}`).toBeDefined()
      return line!
    }
    const fmt = (v: unknown) =>
      v === Infinity ? 'Infinity' : typeof v === 'string' ? `'${v}'` : String(v)
    for (const key of [
      'binaryType',
      'autoConnect',
      'connectTimeout',
      'recoverUnsent',
      'watchNetwork',
    ] as const) {
      expect(row(key)).toContain(`\`${fmt(DEFAULTS[key])}\``)
    }
    // Options without a value default are documented too.
    for (const name of [
      'protocols',
      'WebSocket',
      'handshake',
      'codec',
      'random',
      'reconnect.shouldReconnect',
      'reconnect.delay',
      'heartbeat.isPong',
    ]) {
      row(name)
    }
    for (const section of ['reconnect', 'queue', 'backpressure', 'heartbeat'] as const) {
      for (const [k, v] of Object.entries(DEFAULTS[section])) {
        expect(row(`${section}.${k}`)).toContain(`\`${fmt(v)}\``)
      }
    }
  })
})

describe('construction', () => {
  const WebSocket = new FakeServer().WebSocket

  test('maps http and https to ws and wss', () => {
    expect(new SteadySocket('http://a.test/x', { WebSocket, autoConnect: false }).url).toBe(
      'ws://a.test/x',
    )
    expect(new SteadySocket('https://a.test/x', { WebSocket, autoConnect: false }).url).toBe(
      'wss://a.test/x',
    )
  })

  test('accepts a URL object', () => {
    expect(new SteadySocket(new URL('wss://a.test/y'), { WebSocket, autoConnect: false }).url).toBe(
      'wss://a.test/y',
    )
  })

  test('resolves a relative URL against location', () => {
    const s = new SteadySocket('/live', { WebSocket, autoConnect: false })
    expect(s.url).toBe(`ws://${location.host}/live`)
  })

  test('throws a SyntaxError for another scheme', () => {
    expect(() => new SteadySocket('ftp://a.test', { WebSocket })).toThrow(SyntaxError)
    expect(() => new SteadySocket('ftp://a.test', { WebSocket })).toThrow(/ftp:/)
  })

  test('throws a SyntaxError for an unparsable URL', () => {
    expect(() => new SteadySocket('ws://[::1', { WebSocket })).toThrow(SyntaxError)
  })

  test('throws naming the WebSocket option when there is no implementation', () => {
    const g = globalThis as { WebSocket?: unknown }
    const saved = g.WebSocket
    delete g.WebSocket
    try {
      expect(() => new SteadySocket('ws://a.test')).toThrow(/`WebSocket` option/)
    } finally {
      if (saved !== undefined) g.WebSocket = saved
    }
  })
})
