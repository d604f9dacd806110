// Edges of the core surface found by an audit against API.md and the README: construction and
// URLs, providers (garbage, invalid protocols, hangs), errors across realms (a UMD build in a vm),
// the codec, the WebSocket-compatible surface (`this`, non-function handlers), event payloads,
// and the README's upload recipe started before the socket opens.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import vm from 'node:vm'
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest'
import {
  ClosedError,
  ConnectTimeoutError,
  DecodeError,
  HandshakeError,
  HeartbeatTimeoutError,
  ProviderError,
  SteadySocket,
  SteadySocketError,
  TimeoutError,
  isSteadySocketError,
  json,
  type RawData,
} from '../../src/index'
import { FakeServer } from '../../src/testing/index'
import { record, setup, tick } from './helpers'

const reconnect = { initialDelay: 1000, jitter: 'none' as const }

let uncaught: unknown[]
const realQueueMicrotask = globalThis.queueMicrotask
const onRejection = (reason: unknown) => uncaught.push(reason)

beforeEach(() => {
  vi.useFakeTimers()
  uncaught = []
  process.on('unhandledRejection', onRejection)
  globalThis.queueMicrotask = (fn) =>
    realQueueMicrotask(() => {
      try {
        fn()
      } catch (error) {
        uncaught.push(error)
      }
    })
})

afterEach(() => {
  globalThis.queueMicrotask = realQueueMicrotask
  process.off('unhandledRejection', onRejection)
  vi.unstubAllGlobals()
  vi.useRealTimers()
})

// ---------------------------------------------------------------------------------------------
describe('construction and URLs', () => {
  test('relative, path-relative and protocol-relative URLs resolve against an https location', () => {
    vi.stubGlobal('location', { href: 'https://app.test/room/index.html?x=1' })
    const WebSocket = new FakeServer().WebSocket
    const make = (url: string) => new SteadySocket(url, { WebSocket, autoConnect: false }).url
    expect(make('/live')).toBe('wss://app.test/live')
    expect(make('live')).toBe('wss://app.test/room/live')
    expect(make('//other.test/x')).toBe('wss://other.test/x')
    expect(make('ws://a.test/p#frag')).toBe('ws://a.test/p')
  })

  test('the second argument as a protocols string uses the global WebSocket', async () => {
    const server = new FakeServer()
    vi.stubGlobal('WebSocket', server.WebSocket)
    const socket = new SteadySocket('http://a.test/x', 'chat')
    await tick()
    expect(server.lastConnection!.url).toBe('ws://a.test/x')
    expect(server.lastConnection!.protocols).toEqual(['chat'])
    expect(socket.protocol).toBe('chat')
    socket.dispose()
  })

  test('a URL provider returning an https URL object is mapped to wss', async () => {
    const server = new FakeServer()
    const socket = new SteadySocket(async () => new URL('https://a.test/y?t=1'), {
      WebSocket: server.WebSocket,
    })
    await tick()
    expect(server.lastConnection!.url).toBe('wss://a.test/y?t=1')
    socket.dispose()
  })

  // API.md Options: `WebSocket` is the "constructor to use"; invalid values throw a TypeError
  // naming the option. A function that cannot be constructed (an arrow, an async function) would
  // otherwise fail every attempt with a ConnectError, forever.
  test('a WebSocket option that is not a constructor throws a TypeError naming it', () => {
    const server = new FakeServer()
    let socket: SteadySocket | undefined
    const arrow = ((url: string) => new server.WebSocket(url)) as never
    try {
      expect(() => {
        socket = new SteadySocket('ws://a.test', { WebSocket: arrow })
      }).toThrow(TypeError)
      expect(() => {
        socket = new SteadySocket('ws://a.test', { WebSocket: arrow })
      }).toThrow(/WebSocket/)
    } finally {
      socket?.dispose()
    }
  })
})

// ---------------------------------------------------------------------------------------------
describe('providers', () => {
  test('url and snapshot url are "" before the provider resolves, then the resolved ws URL', async () => {
    const server = new FakeServer()
    const resolvers: ((url: string) => void)[] = []
    const socket = new SteadySocket(() => new Promise<string>((r) => resolvers.push(r)), {
      WebSocket: server.WebSocket,
      reconnect,
    })
    const seen: string[] = []
    socket.subscribe(() => seen.push(socket.getSnapshot().url))
    expect(socket.status).toBe('connecting')
    expect(socket.url).toBe('')
    expect(socket.getSnapshot().url).toBe('')
    await tick()
    resolvers[0]!('http://a.test/one')
    await tick()
    expect(socket.url).toBe('ws://a.test/one')
    expect(socket.getSnapshot().url).toBe('ws://a.test/one')
    expect(seen).toContain('ws://a.test/one')
    // While the next attempt's provider runs, url is the last socket's.
    server.lastConnection!.terminate()
    await tick(1000)
    expect(resolvers).toHaveLength(2)
    expect(socket.url).toBe('ws://a.test/one')
    resolvers[1]!('ws://a.test/two')
    await tick()
    expect(socket.url).toBe('ws://a.test/two')
    expect(socket.getSnapshot().url).toBe('ws://a.test/two')
    socket.dispose()
  })

  test('an async protocols provider keeps status connecting synchronously and runs before every attempt', async () => {
    const server = new FakeServer()
    let n = 0
    const socket = new SteadySocket('ws://a.test', {
      WebSocket: server.WebSocket,
      reconnect,
      protocols: async () => `v${++n}`,
    })
    expect(socket.status).toBe('connecting')
    await tick()
    server.lastConnection!.terminate()
    await tick(1000)
    expect(server.connections.map((c) => c.protocols)).toEqual([['v1'], ['v2']])
    socket.dispose()
  })

  // The brief: "a provider that ... returns garbage counts as one failed attempt (ProviderError,
  // then normal backoff)"; README: ProviderError is "the URL or protocols provider threw,
  // rejected or returned an unusable ...". Static protocols are validated at construction
  // (SyntaxError); a provider's result is not validated at all and reaches `new WebSocket`, whose
  // SyntaxError is reported as a ConnectError ("could not create a WebSocket").
  test.each([
    ['an invalid token', 'a b'],
    ['a duplicated name', ['v1', 'v1']],
  ])('a protocols provider returning %s is a ProviderError, then the backoff', async (_, value) => {
    const server = new FakeServer()
    const socket = new SteadySocket('ws://a.test', {
      WebSocket: server.WebSocket,
      reconnect,
      protocols: () => value,
    })
    const log = record(socket as never)
    await tick()
    expect(log.map(([n]) => n)).toEqual(['error', 'status', 'reconnecting'])
    expect(log[0]![1]).toMatchObject({ name: 'ProviderError' })
    expect(socket.attempt).toBe(1)
    socket.dispose()
  })

  test('dispose() while a provider is pending: a late resolve or reject does nothing', async () => {
    const server = new FakeServer()
    let resolve!: (url: string) => void
    let reject!: (e: unknown) => void
    const a = new SteadySocket(() => new Promise<string>((r) => (resolve = r)), {
      WebSocket: server.WebSocket,
    })
    const b = new SteadySocket(() => new Promise<string>((_, j) => (reject = j)), {
      WebSocket: server.WebSocket,
    })
    const events: string[] = []
    a.on('error', () => events.push('a:error'))
    b.on('error', () => events.push('b:error'))
    await tick()
    a.dispose()
    b.dispose()
    resolve('ws://a.test')
    reject(new Error('late'))
    await tick(60000)
    expect(server.connections).toHaveLength(0)
    expect(events).toEqual([])
    expect(a.status).toBe('closed')
    expect(b.status).toBe('closed')
    expect(vi.getTimerCount()).toBe(0)
    expect(uncaught).toEqual([])
  })

  test('open() after close() while the first provider is pending: only the second result connects', async () => {
    const server = new FakeServer()
    const resolvers: ((url: string) => void)[] = []
    const socket = new SteadySocket(() => new Promise<string>((r) => resolvers.push(r)), {
      WebSocket: server.WebSocket,
      reconnect,
    })
    await tick()
    socket.close()
    expect(socket.status).toBe('closed')
    socket.open()
    expect(socket.status).toBe('connecting')
    await tick()
    expect(resolvers).toHaveLength(2)
    resolvers[1]!('ws://a.test/second')
    resolvers[0]!('ws://a.test/first')
    await tick()
    expect(server.connections.map((c) => c.url)).toEqual(['ws://a.test/second'])
    expect(socket.status).toBe('open')
    socket.dispose()
  })

  test('a hung provider cut by connectTimeout; its late result opens no socket', async () => {
    const server = new FakeServer()
    const resolvers: ((url: string) => void)[] = []
    const socket = new SteadySocket(() => new Promise<string>((r) => resolvers.push(r)), {
      WebSocket: server.WebSocket,
      reconnect,
      connectTimeout: 500,
    })
    const errors: SteadySocketError[] = []
    socket.on('error', (e) => errors.push(e))
    await tick(500)
    expect(errors.map((e) => e.name)).toEqual(['ConnectTimeoutError'])
    expect(socket.status).toBe('reconnecting')
    resolvers[0]!('ws://a.test/stale')
    await tick()
    expect(server.connections).toHaveLength(0)
    await tick(1000)
    expect(resolvers).toHaveLength(2)
    resolvers[1]!('ws://a.test/fresh')
    await tick()
    expect(server.connections.map((c) => c.url)).toEqual(['ws://a.test/fresh'])
    expect(server.maxConcurrent).toBe(1)
    socket.dispose()
  })

  // "each with name, a clear message": when the URL provider of a retry hangs, the timeout's
  // message names the previous attempt's URL (a socket that did connect), not the provider.
  test('a ConnectTimeoutError for a hung provider says so and does not name a stale URL', async () => {
    const server = new FakeServer()
    let n = 0
    const socket = new SteadySocket(
      () => (++n === 1 ? 'ws://a.test/?token=1' : new Promise<string>(() => {})),
      { WebSocket: server.WebSocket, reconnect, connectTimeout: 500 },
    )
    const errors: SteadySocketError[] = []
    socket.on('error', (e) => errors.push(e))
    await tick()
    server.lastConnection!.terminate()
    await tick()
    await tick(1000 + 500)
    const timeout = errors.find((e) => e.name === 'ConnectTimeoutError')
    expect(timeout).toBeDefined()
    expect(timeout!.message).not.toContain('token=1')
    expect(timeout!.message).toMatch(/provider/i)
    socket.dispose()
  })

  test('a provider failure counts exactly one attempt per try and sets lastClose 1006', async () => {
    const server = new FakeServer()
    const socket = new SteadySocket(
      () => {
        throw new Error('no token')
      },
      { WebSocket: server.WebSocket, reconnect: { ...reconnect, maxRetries: 2 } },
    )
    const log = record(socket as never)
    await tick(5000)
    const names = log.map(([n]) => n)
    expect(names.filter((n) => n === 'error')).toHaveLength(3)
    expect(log.filter(([n]) => n === 'reconnecting').map(([, p]) => p)).toEqual([
      { attempt: 1, delay: 1000 },
      { attempt: 2, delay: 2000 },
    ])
    expect(log.filter(([n]) => n === 'exhausted').map(([, p]) => p)).toEqual([{ attempts: 2 }])
    expect(names).not.toContain('close')
    const err = log.find(([n]) => n === 'error')![1] as ProviderError
    expect(err).toBeInstanceOf(ProviderError)
    expect((err.cause as Error).message).toBe('no token')
    expect(err.message).toContain('no token')
    expect(socket.getSnapshot().lastClose).toMatchObject({ code: 1006 })
    expect(socket.status).toBe('closed')
    expect(uncaught).toEqual([])
  })
})

// ---------------------------------------------------------------------------------------------
describe('errors', () => {
  test('ClosedError and TimeoutError have their names and the base class too', () => {
    for (const [C, name] of [
      [ClosedError, 'ClosedError'],
      [TimeoutError, 'TimeoutError'],
      [SteadySocketError, 'SteadySocketError'],
    ] as const) {
      const e = new C('m')
      expect(e.name).toBe(name)
      expect(isSteadySocketError(e, name)).toBe(true)
      expect(String(e)).toBe(`${name}: m`)
    }
    expect(isSteadySocketError(new ClosedError('m'), 'TimeoutError')).toBe(false)
  })

  test('a branded plain object (what another realm looks like) passes; unbranded look-alikes do not', () => {
    const brand = Symbol.for('steadysocket.error')
    const foreign = Object.assign(Object.create({ [brand]: true, name: 'DecodeError' }), {
      message: 'x',
    })
    expect(isSteadySocketError(foreign)).toBe(true)
    expect(isSteadySocketError(foreign, 'DecodeError')).toBe(true)
    expect(isSteadySocketError(foreign, 'ConnectError')).toBe(false)
    // Look-alikes: the right name without the brand, a local Symbol, a truthy non-true brand.
    expect(isSteadySocketError({ name: 'DecodeError', message: 'x' }, 'DecodeError')).toBe(false)
    expect(isSteadySocketError({ [Symbol('steadysocket.error')]: true, name: 'x' })).toBe(false)
    expect(isSteadySocketError({ [brand]: 1, name: 'DecodeError' })).toBe(false)
    expect(isSteadySocketError(Object.assign(new Error('x'), { name: 'ConnectError' }))).toBe(false)
  })

  test('an error made in another realm (the UMD build in a vm context) is recognised', () => {
    const file = join(process.cwd(), 'dist/steadysocket.umd.min.js')
    const ctx = vm.createContext({})
    vm.runInContext(readFileSync(file, 'utf8'), ctx)
    const G = (ctx as { SteadySocket: Record<string, new (...a: unknown[]) => Error> }).SteadySocket
    // The global is the class itself, with json and the error classes as static properties.
    expect(typeof G).toBe('function')
    expect(typeof (G as unknown as { json: unknown }).json).toBe('function')
    expect(typeof (G as unknown as { isSteadySocketError: unknown }).isSteadySocketError).toBe(
      'function',
    )
    const foreign = new G.DecodeError!('x', 'raw')
    expect(foreign).not.toBeInstanceOf(Error) // another realm's Error
    expect(isSteadySocketError(foreign)).toBe(true)
    expect(isSteadySocketError(foreign, 'DecodeError')).toBe(true)
    expect((foreign as DecodeError).data).toBe('raw')
    // And the other way round: that realm's guard recognises ours.
    const guard = (G as unknown as { isSteadySocketError: (e: unknown, n?: string) => boolean })
      .isSteadySocketError
    expect(guard(new HeartbeatTimeoutError('x'), 'HeartbeatTimeoutError')).toBe(true)
    // Constructing with no WebSocket in that realm names the option.
    expect(() => new (G as unknown as new (u: string) => unknown)('ws://a.test')).toThrow(
      /`WebSocket` option/,
    )
  })

  // README Errors: "isSteadySocketError(e, name?) recognises them across realms (iframes,
  // workers, two copies of the package)". An error reaches another worker only by structured
  // clone (postMessage), which keeps neither the symbol brand nor a custom `name`.

  test.each([
    ['close(999)', (s: SteadySocket) => s.close(999), 'InvalidAccessError', 15],
    ['close(2000)', (s: SteadySocket) => s.close(2000), 'InvalidAccessError', 15],
    ['reconnect(1001)', (s: SteadySocket) => s.reconnect(1001), 'InvalidAccessError', 15],
    [
      'close(1000, 124 bytes)',
      (s: SteadySocket) => s.close(1000, 'é'.repeat(62)),
      'SyntaxError',
      12,
    ],
  ])('%s throws a DOMException like native', async (_, call, name, code) => {
    const { socket } = setup<RawData, RawData>()
    await tick()
    let thrown: unknown
    try {
      call(socket)
    } catch (error) {
      thrown = error
    }
    expect(thrown).toBeInstanceOf(DOMException)
    expect(thrown).toMatchObject({ name, code })
    expect(socket.status).toBe('open')
    socket.dispose()
  })

  test('without DOMException, a bad close code still throws (a RangeError) and changes nothing', async () => {
    const { socket } = setup()
    await tick()
    vi.stubGlobal('DOMException', undefined)
    expect(() => socket.close(1001)).toThrow(RangeError)
    expect(socket.status).toBe('open')
    vi.unstubAllGlobals()
    socket.dispose()
  })

  test('emitted errors: each is a SteadySocketError, with cause where there is one, and lastError', async () => {
    const server = new FakeServer({ mode: 'manual' })
    const { socket } = setup<unknown, unknown>(
      {
        codec: json(),
        reconnect,
        connectTimeout: 300,
        handshake: () => Promise.reject(new Error('nope')),
      },
      server,
    )
    const errors: SteadySocketError[] = []
    socket.on('error', (e) => errors.push(e))
    await tick(300) // connect timeout
    server.mode = 'accept'
    await tick(1000) // retry: handshake rejects
    expect(errors.map((e) => e.name)).toEqual(['ConnectTimeoutError', 'HandshakeError'])
    expect(errors[0]).toBeInstanceOf(ConnectTimeoutError)
    expect(errors[0]!.message).toContain('300 ms')
    expect(errors[1]).toBeInstanceOf(HandshakeError)
    expect((errors[1]!.cause as Error).message).toBe('nope')
    expect(socket.getSnapshot().lastError).toBe(errors[1])
    for (const e of errors) expect(isSteadySocketError(e)).toBe(true)
    socket.dispose()
  })
})

// ---------------------------------------------------------------------------------------------
describe('codec', () => {
  test('a decode failure: one DecodeError (data = raw frame) to on(error), onerror and lastError; the next frame arrives', async () => {
    const { socket, server } = setup<unknown, unknown>({ codec: json() })
    const typed: unknown[] = []
    const compat: unknown[] = []
    socket.on('error', (e) => typed.push(e))
    socket.onerror = (e) => compat.push(e.error)
    const messages: unknown[] = []
    socket.on('message', (m) => messages.push(m))
    await tick()
    server.lastConnection!.send('{bad')
    server.lastConnection!.send('[1]')
    await tick()
    expect(typed).toHaveLength(1)
    expect(typed[0]).toBeInstanceOf(DecodeError)
    expect((typed[0] as DecodeError).data).toBe('{bad')
    expect(compat).toEqual(typed)
    expect(socket.getSnapshot().lastError).toBe(typed[0])
    expect(messages).toEqual([[1]])
    expect(socket.status).toBe('open')
    socket.dispose()
  })

  test('a codec whose encode throws: send() throws it, nothing is queued or dropped, in every state', async () => {
    const boom = new Error('encode failed')
    const { socket, server } = setup<string, string>({
      autoConnect: false,
      codec: {
        encode: (m) => {
          if (m === 'bad') throw boom
          return m
        },
        decode: (r) => String(r),
      },
    })
    const drops: unknown[] = []
    socket.on('drop', (d) => drops.push(d))
    expect(() => socket.send('bad')).toThrow(boom)
    expect(socket.queueLength).toBe(0)
    socket.open()
    await tick()
    expect(() => socket.send('bad')).toThrow(boom)
    expect(socket.send('ok')).toBe('sent')
    expect(server.received).toEqual(['ok'])
    expect(drops).toEqual([])
    socket.dispose()
  })

  test('drop events carry the messages as given to send(), before encoding', () => {
    const { socket } = setup<unknown, { n: number }>({
      codec: json(),
      autoConnect: false,
      queue: { maxMessages: 1 },
    })
    const drops: unknown[] = []
    socket.on('drop', (d) => drops.push(d))
    expect(socket.send({ n: 1 })).toBe('queued')
    expect(socket.send({ n: 2 })).toBe('dropped')
    socket.dispose()
    expect(drops).toEqual([
      { messages: [{ n: 2 }], reason: 'overflow' },
      { messages: [{ n: 1 }], reason: 'disposed' },
    ])
  })
})

// ---------------------------------------------------------------------------------------------
describe('WebSocket-compatible surface', () => {
  // README: onmessage, onopen, ... addEventListener "behave like the native ones, so existing
  // code keeps working". Natively a handler or listener is called with `this` = the socket
  // (old code does `ws.onmessage = function (e) { this.send(...) }`); here `this` is undefined.
  test('on* handlers and listener functions are called with this = the socket', async () => {
    const { socket, server } = setup()
    const thisValues: unknown[] = []
    socket.onmessage = function (this: unknown) {
      thisValues.push(this)
    }
    socket.addEventListener('message', function (this: unknown) {
      thisValues.push(this)
    })
    await tick()
    server.lastConnection!.send('x')
    await tick()
    expect(thisValues).toHaveLength(2)
    expect(thisValues[0]).toBe(socket)
    expect(thisValues[1]).toBe(socket)
    socket.dispose()
  })

  // Natively `ws.onmessage = 'x'` (not callable, not an object) stores null and nothing runs:
  // here the value is ignored at dispatch, so no frame reports "prop is not a function".
  test('a non-function assigned to onmessage is ignored, like native (nothing reported per frame)', async () => {
    const reported: unknown[] = []
    vi.stubGlobal('reportError', (e: unknown) => reported.push(e))
    const { socket, server } = setup()
    socket.onmessage = 'not a function' as never
    await tick()
    server.lastConnection!.send('x')
    await tick()
    expect(reported).toEqual([])
    socket.dispose()
  })

  test('target/currentTarget, once with handleEvent objects, removal before the event, raw data with a codec', async () => {
    const { socket, server } = setup<unknown, unknown>({ codec: json() })
    const obj = {
      seen: [] as unknown[],
      handleEvent(e: { data: unknown; target: unknown; currentTarget: unknown }) {
        this.seen.push([e.data, e.target === socket, e.currentTarget === socket])
      },
    }
    const removed = vi.fn()
    socket.addEventListener('message', obj, { once: true })
    socket.addEventListener('message', obj) // duplicate: ignored, so it stays a once listener
    socket.addEventListener('message', removed, { once: true })
    socket.removeEventListener('message', removed)
    const closes: unknown[] = []
    socket.addEventListener('close', (e) =>
      closes.push({ type: e.type, code: e.code, reason: e.reason, wasClean: e.wasClean }),
    )
    await tick()
    server.lastConnection!.send('{"a":1}')
    server.lastConnection!.send('{"a":2}')
    await tick()
    expect(obj.seen).toEqual([['{"a":1}', true, true]])
    expect(removed).not.toHaveBeenCalled()
    server.lastConnection!.close(4001, 'bye')
    await tick()
    expect(closes).toEqual([{ type: 'close', code: 4001, reason: 'bye', wasClean: true }])
    socket.dispose()
  })

  test('addEventListener takes null options as none, as native does', async () => {
    const { socket, server } = setup()
    const seen: unknown[] = []
    socket.addEventListener('message', (e) => seen.push(e.data), null as never)
    await tick()
    server.lastConnection!.send('a')
    server.lastConnection!.send('b')
    await tick()
    expect(seen).toEqual(['a', 'b'])
    socket.dispose()
  })

  test('readyState constants are static and on instances and follow status', async () => {
    expect([
      SteadySocket.CONNECTING,
      SteadySocket.OPEN,
      SteadySocket.CLOSING,
      SteadySocket.CLOSED,
    ]).toEqual([0, 1, 2, 3])
    const { socket } = setup({ reconnect })
    expect([socket.CONNECTING, socket.OPEN, socket.CLOSING, socket.CLOSED]).toEqual([0, 1, 2, 3])
    expect(socket.readyState).toBe(socket.CONNECTING)
    await tick()
    expect(socket.readyState).toBe(socket.OPEN)
    socket.close()
    expect(socket.readyState).toBe(socket.CLOSING)
    await tick()
    expect(socket.readyState).toBe(socket.CLOSED)
  })

  test('a throwing on* handler, listener and typed listener are each reported via reportError; others still run', async () => {
    const reported: unknown[] = []
    vi.stubGlobal('reportError', (e: unknown) => reported.push(e))
    const { socket, server } = setup()
    const ran: string[] = []
    socket.onmessage = () => {
      throw new Error('a')
    }
    socket.addEventListener('message', () => {
      throw new Error('b')
    })
    socket.addEventListener('message', () => ran.push('c'))
    socket.on('message', () => {
      throw new Error('d')
    })
    socket.on('message', () => ran.push('e'))
    await tick()
    server.lastConnection!.send('x')
    await tick()
    expect(ran.sort()).toEqual(['c', 'e'])
    expect((reported as Error[]).map((e) => e.message).sort()).toEqual(['a', 'b', 'd'])
    expect(socket.status).toBe('open')
    socket.dispose()
  })
})

// ---------------------------------------------------------------------------------------------
describe('event payloads', () => {
  // README Recipes, "Large uploads with backpressure":
  //   if (result === 'queued') await new Promise((r) => socket.once('drain', r))
  // send() also returns 'queued' while the socket is not open yet: a `drain` must follow that
  // too, or an upload started before the socket opened would wait forever.
  test('the README upload recipe completes when started while the socket is connecting', async () => {
    const { socket, server } = setup()
    expect(socket.status).toBe('connecting')
    let finished = false
    void (async () => {
      for (const chunk of ['a', 'b', 'c']) {
        if (socket.send(chunk) === 'queued') await new Promise((r) => socket.once('drain', r))
      }
      finished = true
    })()
    await tick(5000)
    expect(server.received).toEqual(['a', 'b', 'c'])
    expect(finished).toBe(true)
    socket.dispose()
  })

  test('open, stable, close, status, reconnecting, error, exhausted have exactly the documented shapes', async () => {
    const server = new FakeServer()
    const { socket } = setup(
      { reconnect: { initialDelay: 100, jitter: 'none', maxRetries: 1, minUptime: 500 } },
      server,
    )
    const log = record(socket as never)
    await tick()
    await tick(500)
    server.mode = 'refuse'
    server.lastConnection!.close(4000, 'bye')
    await tick()
    await tick(100)
    const plain = log.map(([n, p]) => [n, p instanceof Error ? p.name : p])
    expect(plain).toEqual([
      ['status', { status: 'open', previous: 'connecting' }],
      ['open', { isReconnect: false }],
      ['stable', {}],
      ['close', { code: 4000, reason: 'bye', wasClean: true, willReconnect: true }],
      ['status', { status: 'reconnecting', previous: 'open' }],
      ['reconnecting', { attempt: 1, delay: 100 }],
      ['status', { status: 'connecting', previous: 'reconnecting' }],
      ['error', 'ConnectError'],
      ['close', { code: 1006, reason: '', wasClean: false, willReconnect: false }],
      ['status', { status: 'closed', previous: 'connecting' }],
      ['exhausted', { attempts: 1 }],
    ])
    expect(socket.status).toBe('closed')
  })

  test('drain is {} after backpressure; open after reconnect() is isReconnect: true', async () => {
    const { socket, server } = setup({ backpressure: { highWaterMark: 4, lowWaterMark: 0 } })
    const drains: unknown[] = []
    const opens: unknown[] = []
    socket.on('drain', (d) => drains.push(d))
    socket.on('open', (o) => opens.push(o))
    await tick()
    server.lastConnection!.stall()
    expect(socket.send('12345')).toBe('sent')
    expect(socket.send('6')).toBe('queued')
    server.lastConnection!.resume()
    await tick(1000)
    expect(drains).toEqual([{}])
    expect(server.received).toEqual(['12345', '6'])
    socket.reconnect()
    await tick()
    expect(opens).toEqual([{ isReconnect: false }, { isReconnect: true }])
    socket.dispose()
  })
})
