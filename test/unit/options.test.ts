import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest'
import { checkProtocols, DEFAULTS, normalizeOptions } from '../../src/options'
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
    [{ queue: 'yes' }, TypeError, /"queue" must be a boolean or a plain object/],
    [{ backpressure: { highWaterMark: 10, lowWaterMark: 20 } }, RangeError, /lowWaterMark/],
    // Given, the default low mark is checked as any other: only one not given follows the high one.
    [
      { backpressure: { highWaterMark: 65536, lowWaterMark: 262144 } },
      RangeError,
      /lowWaterMark.*at most highWaterMark \(65536\)/,
    ],
    [{ heartbeat: { interval: 0 } }, RangeError, /heartbeat\.interval.*from 1 to 2147483647/],
    [{ heartbeat: { timeout: 2 ** 31 } }, RangeError, /heartbeat\.timeout.*2147483647/],
    [{ heartbeat: { message: 42 } }, TypeError, /heartbeat\.message.*string, binary data/],
    [{ connectTimeout: 2 ** 31 }, RangeError, /connectTimeout.*from 0 to 2147483647/],
    [{ reconnect: { maxDelay: 2 ** 31 } }, RangeError, /reconnect\.maxDelay/],
    [{ reconnect: { initialDelay: 2 ** 40 } }, RangeError, /reconnect\.initialDelay/],
    [{ reconnect: { minUptime: 2 ** 31 } }, RangeError, /reconnect\.minUptime/],
    [{ heartbeat: { isPong: 1 } }, TypeError, /heartbeat\.isPong/],
    [{ connectTimeout: Infinity }, RangeError, /connectTimeout/],
    [{ binaryType: 5 }, TypeError, /binaryType.*a string.*5/],
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

  test('checks subprotocols as the native constructor would, and refuses a non-string', () => {
    expect(checkProtocols(['a', 'b'])).toBe(true)
    expect(() => checkProtocols('a b')).toThrow(SyntaxError)
    expect(() => checkProtocols(['a', 'a'])).toThrow(SyntaxError)
    // What a provider returns is checked by the same function: a number is no subprotocol.
    expect(() => checkProtocols(['a', 1] as never)).toThrow(TypeError)
    expect(() => checkProtocols(5 as never)).toThrow(/option "protocols"/)
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

describe('plain objects only, own properties only', () => {
  class Settings {
    maxBytes = 1
  }
  test.each([
    ['a Map', new Map([['maxBytes', 1]]), /a Map/],
    ['a Date', new Date(0), /a Date/],
    ['an array', [1], /an array/],
    ['a class instance', new Settings(), /a Settings/],
  ])('%s as a section is a TypeError naming the section', (_, value, shown) => {
    for (const name of ['queue', 'reconnect', 'backpressure', 'heartbeat']) {
      const make = () => normalizeOptions({ [name]: value } as never)
      expect(make).toThrow(TypeError)
      expect(make).toThrow(new RegExp(`option "${name}" must be a boolean or a plain object`))
      expect(make).toThrow(shown)
    }
  })

  test.each([
    ['a Map', new Map([['autoConnect', false]])],
    ['a Date', new Date(0)],
    ['a class instance', new Settings()],
  ])('%s as the options object is a TypeError naming it', (_, value) => {
    expect(() => normalizeOptions(value as never)).toThrow(TypeError)
    expect(() => normalizeOptions(value as never)).toThrow(/option "options"/)
  })

  test('takes objects without a prototype, and null as no options', () => {
    const queue = Object.assign(Object.create(null) as object, { maxMessages: 3 })
    expect(normalizeOptions({ queue }).queue?.maxMessages).toBe(3)
    expect(normalizeOptions(null)).toEqual(normalizeOptions(undefined))
  })

  test('inherited properties are not read', () => {
    const queue = Object.create({ maxBytes: 1 }) as object
    expect(() => normalizeOptions({ queue } as never)).toThrow(/a boolean or a plain object/)
    const options = Object.assign(Object.create(null) as object, {})
    expect(normalizeOptions(options).queue).toEqual(DEFAULTS.queue)
  })

  describe('with a polluted Object.prototype', () => {
    const polluted = ['handshake', 'codec', 'delay', 'isPong', 'shouldReconnect', 'protocols']
    const calls: string[] = []
    beforeEach(() => {
      calls.length = 0
      const proto = Object.prototype as Record<string, unknown>
      proto.handshake = () => void calls.push('handshake')
      proto.codec = {
        encode: () => (calls.push('encode'), 'x'),
        decode: () => calls.push('decode'),
      }
      proto.delay = () => (calls.push('delay'), 0)
      proto.isPong = () => (calls.push('isPong'), true)
      proto.shouldReconnect = () => (calls.push('shouldReconnect'), false)
      proto.protocols = 'evil'
    })
    afterEach(() => {
      for (const key of polluted) delete (Object.prototype as Record<string, unknown>)[key]
    })

    test('every option of the normalized result is its own', () => {
      const o = normalizeOptions({ heartbeat: true, reconnect: {} })
      for (const key of ['handshake', 'codec', 'protocols'] as const) {
        expect(Object.hasOwn(o, key)).toBe(true)
        expect(o[key]).toBeUndefined()
      }
      expect(o.reconnect?.delay).toBeUndefined()
      expect(o.reconnect?.shouldReconnect).toBeUndefined()
      expect(o.heartbeat?.isPong).toBeUndefined()
      expect({ ...o.reconnect }.delay).toBeUndefined()
    })

    test('a socket runs as if it were not there', async () => {
      vi.useFakeTimers()
      try {
        const server = new FakeServer()
        const socket = new SteadySocket('ws://a.test', {
          WebSocket: server.WebSocket,
          heartbeat: { interval: 1000, timeout: 500 },
          reconnect: { initialDelay: 100, jitter: 'none' },
        })
        const got: unknown[] = []
        socket.on('message', (m) => got.push(m))
        await vi.advanceTimersByTimeAsync(5)
        expect(socket.status).toBe('open')
        expect(server.lastConnection!.protocols).toEqual([])
        socket.send('raw')
        server.lastConnection!.send('pong?')
        await vi.advanceTimersByTimeAsync(5)
        expect(server.received).toEqual(['raw'])
        expect(got).toEqual(['pong?'])
        server.lastConnection!.close(1011)
        await vi.advanceTimersByTimeAsync(200)
        expect(server.connections).toHaveLength(2)
        expect(calls).toEqual([])
        socket.dispose()
      } finally {
        vi.useRealTimers()
      }
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
      'resume',
    ]) {
      row(name)
    }
    for (const section of ['reconnect', 'queue', 'backpressure', 'heartbeat', 'resume'] as const) {
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

  test('a protocols provider returning a non-string is one failed attempt, no socket made', async () => {
    const server = new FakeServer()
    const socket = new SteadySocket('ws://a.test', {
      WebSocket: server.WebSocket,
      reconnect: false,
      protocols: () => ['chat', 1 as never],
    })
    const errors: unknown[] = []
    socket.on('error', (e) => errors.push(e))
    await new Promise((r) => setTimeout(r, 20))
    expect(errors).toHaveLength(1)
    expect(errors[0]).toMatchObject({ name: 'ProviderError' })
    expect(String((errors[0] as Error).message)).toMatch(/protocols/)
    expect(server.connections).toHaveLength(0)
    socket.dispose()
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
