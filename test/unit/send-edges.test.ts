// Edges of the send path and liveness found by an audit against API.md and the README: drop
// events during dispose(), 'sent' only for an open socket, binary by brand, heartbeat deadlines
// that a wake-up or a throwing ping must not move, a zero timeout; and exact boundaries (water
// marks, maxBytes, ttl, surrogate pairs) that no other suite pins.
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest'
import type { SteadySocket, SteadySocketEvents, SteadySocketOptions } from '../../src/index'
import { FakeServer, type FakeConnection } from '../../src/testing/index'
import { setup, tick } from './helpers'

type Drop = SteadySocketEvents<unknown, unknown>['drop']

const RETRY = { initialDelay: 1000, jitter: 'none' } as const

let reported: unknown[]

beforeEach(() => {
  vi.useFakeTimers()
  reported = []
  vi.stubGlobal('reportError', (error: unknown) => reported.push(error))
})
afterEach(() => {
  vi.restoreAllMocks()
  vi.unstubAllGlobals()
  vi.useRealTimers()
})

async function opened(options: SteadySocketOptions<unknown, unknown> = {}, server?: FakeServer) {
  const { socket, server: s } = setup({ reconnect: RETRY, ...options }, server)
  await tick()
  expect(socket.status).toBe('open')
  return { socket, server: s, conn: s.lastConnection! }
}

function drops(socket: SteadySocket<unknown, unknown>): Drop[] {
  const log: Drop[] = []
  socket.on('drop', (d) => log.push(d))
  return log
}

async function kill(conn: FakeConnection) {
  conn.terminate()
  await tick()
}

function track(promise: Promise<void>) {
  let state: unknown = 'pending'
  promise.then(
    () => (state = 'resolved'),
    (error: unknown) => (state = error),
  )
  return () => state
}

describe('exactly one drop event for every dropped send', () => {
  // API: send() returns 'dropped' (... or disposed; a drop event says why). "Every send() is
  // written to an open socket, still queued, or reported in exactly one drop event."
  test('a send from a close listener during dispose() is reported in a drop event', async () => {
    const { socket } = await opened()
    const log = drops(socket)
    let result: string | undefined
    socket.on('close', () => (result = socket.send('goodbye')))
    socket.dispose()
    expect(result).toBe('dropped')
    // The listener is still attached when it sends: the drop must be reported to it.
    expect(log.flatMap((d) => d.messages)).toContain('goodbye')
  })

  test('a send from a status listener during dispose() is reported in a drop event', async () => {
    const { socket } = await opened()
    const log = drops(socket)
    const results: string[] = []
    socket.on('status', () => results.push(socket.send('late')))
    socket.dispose()
    expect(results.length).toBeGreaterThan(0)
    expect(results.every((r) => r === 'dropped')).toBe(true)
    expect(log.flatMap((d) => d.messages)).toHaveLength(results.length)
  })
})

describe("'sent' means written to an OPEN socket", () => {
  // API: 'sent' (written to the open socket). Between the native error and close events of a
  // failed connection the native socket is CLOSED: a send() from an error listener must queue.
  test('a send from the error listener of a lost connection is not lost (recoverUnsent: false)', async () => {
    const { socket, server, conn } = await opened({ recoverUnsent: false })
    const log = drops(socket)
    let result: string | undefined
    socket.on('error', () => (result = socket.send('from-error')))
    conn.fail() // a protocol error: error, then close, with the socket already CLOSED
    await tick()
    await tick(1000)
    expect(socket.status).toBe('open')
    // Either queued and delivered on the next connection, or reported dropped: never silent.
    const delivered = server.connections[1]!.received.includes('from-error')
    const dropped = log.some((d) => d.messages.includes('from-error'))
    expect({ result, delivered: delivered || dropped }).toEqual({
      result: 'queued',
      delivered: true,
    })
  })

  test('with recoverUnsent (default) the same send still arrives on the next connection', async () => {
    const { socket, server, conn } = await opened()
    let result: string | undefined
    socket.on('error', () => (result = socket.send('from-error')))
    conn.fail() // a protocol error: error, then close, with the socket already CLOSED
    await tick()
    await tick(1000)
    expect(server.connections[1]!.received).toEqual(['from-error'])
    // Delivered either way; the result must say it was queued, not written to a CLOSED socket.
    expect(result).toBe('queued')
  })
})

describe('byte accounting of values that only look binary (raw codec)', () => {
  // bad-input.test.ts settled it: like native, what is not text/Blob/buffer is sent as
  // String(data), and the queue and recovery must agree. isBinary() (codec.ts) checks brands: a
  // Map or a Set has a numeric `size` too, and once passed for a Blob of map.size bytes.
  test('a Map is queued as the bytes of its string form', () => {
    const { socket } = setup()
    socket.send(new Map([['k', 'v']]) as never)
    expect(socket.queuedBytes).toBe('[object Map]'.length)
  })

  test('recovery after a Map in the tail does not re-send what was delivered', async () => {
    const { socket, server, conn } = await opened()
    conn.stall()
    socket.send('aaaa')
    socket.send(new Map([['k', 'v']]) as never)
    conn.drain(4) // 'aaaa' delivered; the 12 bytes of '[object Map]' are still buffered
    await kill(conn)
    await tick(1000)
    expect(server.connections[0]!.received).toEqual(['aaaa'])
    expect(server.connections[1]!.received).toEqual(['[object Map]'])
  })
})

describe('heartbeat deadline without a ping', () => {
  // API: "if nothing at all arrives within timeout of the first ping not yet followed by an
  // inbound frame, the socket is treated as dead". With a heartbeat.message function that throws,
  // no ping is sent, so no deadline may run: a healthy (ping-answering, otherwise quiet)
  // connection must not be killed again and again.
  test('a throwing message function does not make a quiet healthy connection time out', async () => {
    const { socket, server } = setup({
      reconnect: RETRY,
      heartbeat: {
        interval: 1000,
        timeout: 500,
        message: () => {
          throw new Error('bad ping builder')
        },
      },
    })
    const errors: string[] = []
    socket.on('error', (e) => errors.push(e.name))
    await tick()
    await tick(5000)
    expect(reported.length).toBeGreaterThan(0)
    expect(errors).toEqual([])
    expect(server.connections).toHaveLength(1)
  })
})

// ---------------------------------------------------------------------------------------------
// Probes that pass: behaviour not pinned elsewhere.

describe('queue bounds and byte accounting', () => {
  test('surrogate pairs count 4 bytes: exactly maxBytes fits, one more byte is dropped', () => {
    const { socket } = setup({ queue: { maxBytes: 8 } })
    const log = drops(socket)
    expect(socket.send('😀😀')).toBe('queued')
    expect(socket.queuedBytes).toBe(8)
    expect(socket.send('')).toBe('queued') // zero bytes still fit
    expect(socket.send('a')).toBe('dropped')
    expect(log).toEqual([{ messages: ['a'], reason: 'overflow' }])
  })

  test('zero-length strings count against maxMessages and are delivered in order', async () => {
    const { socket, server } = setup({ queue: { maxMessages: 3, overflow: 'drop-oldest' } })
    const log = drops(socket)
    for (const m of ['', 'a', '', 'b']) expect(socket.send(m)).toBe('queued')
    expect(log).toEqual([{ messages: [''], reason: 'overflow' }])
    expect(socket.queuedBytes).toBe(2)
    await tick()
    expect(server.received).toEqual(['a', '', 'b'])
  })

  test('a view of part of a buffer and a Blob are recovered by their own byte length', async () => {
    const { socket, server, conn } = await opened()
    conn.stall()
    const view = new Uint8Array(new ArrayBuffer(16), 4, 3) // 3 bytes of a 16-byte buffer
    const blob = new Blob(['€€']) // 6 bytes
    socket.send('aa')
    socket.send(view)
    socket.send(blob)
    conn.drain(2 + 3) // 'aa' and the view are through
    await kill(conn)
    expect(socket.queueLength).toBe(1)
    expect(socket.queuedBytes).toBe(6)
    await tick(1000)
    expect(server.connections[0]!.received).toHaveLength(2)
    expect(server.connections[1]!.received).toEqual([blob])
  })

  test('ttl: a message exactly ttl old is still sent, one 1 ms older expires', async () => {
    const { socket, server } = setup({ autoConnect: false, queue: { ttl: 100 } })
    const log = drops(socket)
    socket.send('old')
    await vi.advanceTimersByTimeAsync(1)
    socket.send('edge')
    await vi.advanceTimersByTimeAsync(100) // 'old' is 101 ms old, 'edge' exactly 100
    socket.open() // the fake opens in a 0 ms timer: the flush runs at this same time
    await tick()
    expect(log).toEqual([{ messages: ['old'], reason: 'expired' }])
    expect(server.received).toEqual(['edge'])
  })
})

describe('backpressure and drain', () => {
  const bp = { backpressure: { highWaterMark: 10, lowWaterMark: 4 } }

  test('a send from a drain listener that crosses the high-water mark starts a new episode', async () => {
    const { socket, server, conn } = await opened(bp)
    const drains = vi.fn()
    const results: string[] = []
    socket.on('drain', () => {
      drains()
      if (drains.mock.calls.length === 1) {
        results.push(socket.send('x'.repeat(11)), socket.send('y'))
      }
    })
    conn.stall()
    socket.send('a'.repeat(11))
    expect(socket.send('b')).toBe('queued')
    conn.drain(11)
    await tick(10)
    expect(drains).toHaveBeenCalledTimes(1)
    expect(results).toEqual(['sent', 'queued'])
    conn.resume()
    await tick(30)
    expect(drains).toHaveBeenCalledTimes(2)
    expect(server.received).toEqual(['a'.repeat(11), 'b', 'x'.repeat(11), 'y'])
  })

  test('drain fires at exactly the low-water mark, not one byte above', async () => {
    const { socket, conn } = await opened(bp)
    const drains = vi.fn()
    socket.on('drain', drains)
    conn.setBufferedAmount(11)
    expect(socket.send('q')).toBe('queued')
    conn.setBufferedAmount(5) // one byte above the low-water mark: nothing moves
    await tick(100)
    expect(socket.queueLength).toBe(1)
    expect(drains).not.toHaveBeenCalled()
    conn.setBufferedAmount(4)
    await tick(10)
    expect(socket.queueLength).toBe(0)
    expect(drains).toHaveBeenCalledTimes(1)
  })
})

describe('flush() and clearQueue()', () => {
  test('clearQueue() settles a pending flush() at once', async () => {
    const { socket } = setup({ autoConnect: false })
    socket.open()
    socket.send('a')
    const state = track(socket.flush())
    await Promise.resolve()
    expect(state()).toBe('pending')
    expect(socket.clearQueue()).toEqual(['a'])
    await Promise.resolve()
    await Promise.resolve()
    expect(state()).toBe('resolved')
    socket.dispose()
  })

  test('flush() rejects when retries are exhausted with messages queued', async () => {
    const server = new FakeServer({ mode: 'refuse' })
    const { socket } = setup({ reconnect: { ...RETRY, maxRetries: 1 } }, server)
    socket.send('a')
    const state = track(socket.flush())
    await tick(5000)
    expect(socket.status).toBe('closed')
    expect((state() as Error).name).toBe('ClosedError')
  })
})

describe('ordering on open', () => {
  test('handshake sends, then recovered, then queued-while-down, then the open listener', async () => {
    const server = new FakeServer()
    let n = 0
    const { socket } = setup(
      {
        reconnect: RETRY,
        handshake: (s) =>
          new Promise<void>((resolve) => {
            s.send(`auth-${++n}`)
            setTimeout(() => {
              s.send(`late-auth-${n}`)
              resolve()
            }, 5)
          }),
      },
      server,
    )
    await tick(10)
    expect(socket.status).toBe('open')
    const conn = server.lastConnection!
    conn.stall()
    socket.send('r1')
    socket.send('r2')
    await kill(conn)
    socket.send('q1')
    socket.on('open', () => socket.send('from-open'))
    socket.on('status', ({ status }) => status === 'open' && socket.send('from-status'))
    await tick(1000)
    await tick(10)
    expect(socket.status).toBe('open')
    expect(server.connections[1]!.received).toEqual([
      'auth-2',
      'late-auth-2',
      'r1',
      'r2',
      'q1',
      'from-status',
      'from-open',
    ])
  })
})

describe('heartbeat and network', () => {
  test('isPong frames are not messages, and a ping is never recovered as a message', async () => {
    const { socket, server, conn } = await opened({
      heartbeat: { interval: 1000, timeout: 5000, isPong: (raw) => raw === 'pong' },
    })
    const got: unknown[] = []
    socket.on('message', (m) => got.push(m))
    conn.send('pong')
    conn.send('data')
    await tick()
    expect(got).toEqual(['data'])
    conn.stall()
    await tick(1000) // ping into the stalled buffer
    socket.send('m')
    await kill(conn)
    await tick(1000)
    expect(server.connections[1]!.received).toEqual(['m'])
  })

  test('offline slows retries to maxDelay, online retries at once and flushes the queue', async () => {
    const { socket, server, conn } = await opened()
    vi.spyOn(navigator, 'onLine', 'get').mockReturnValue(false)
    await kill(conn)
    expect(socket.status).toBe('reconnecting')
    socket.send('while-offline')
    await tick(1000)
    expect(server.connections).toHaveLength(1)
    vi.spyOn(navigator, 'onLine', 'get').mockReturnValue(true)
    window.dispatchEvent(new Event('online'))
    await tick()
    expect(socket.status).toBe('open')
    expect(server.connections[1]!.received).toEqual(['while-offline'])
  })
})

describe('a wake-up probe does not postpone a pending heartbeat deadline', () => {
  // API: "if nothing at all arrives within timeout of the first ping not yet followed by an
  // inbound frame, the socket is treated as dead". Heartbeat.probe() (visibilitychange to
  // visible, pageshow persisted) re-arms the deadline from now, discarding the one of the first
  // unanswered ping: a user who switches back to the tab more often than `timeout` keeps a dead
  // connection alive forever.
  test('tab switches more often than timeout do not keep a silent connection alive', async () => {
    const { socket } = await opened({ heartbeat: { interval: 1000, timeout: 3000 } })
    const errors: string[] = []
    socket.on('error', (e) => errors.push(e.name))
    vi.spyOn(document, 'visibilityState', 'get').mockReturnValue('visible')
    // First ping at 1000 ms: dead at 4000 ms at the latest. Wake-ups every 2 s from 2000 ms.
    for (let t = 0; t < 5; t++) {
      await tick(2000)
      document.dispatchEvent(new Event('visibilitychange'))
    }
    expect(errors).toContain('HeartbeatTimeoutError')
  })
})

describe('flush({ timeout: 0 })', () => {
  // A computed deadline that reaches 0 (`timeout: deadline - Date.now()`) must reject at once,
  // not wait forever: 0 means "decide now" (README, Methods).
  test('a zero timeout rejects with TimeoutError when something is still queued', async () => {
    // The server never answers: the socket stays connecting, 'a' stays queued.
    const { socket } = setup({ connectTimeout: 0 }, new FakeServer({ mode: 'manual' }))
    socket.send('a')
    const state = track(socket.flush({ timeout: 0 }))
    await tick(60_000)
    expect(socket.queueLength).toBe(1)
    expect(state()).not.toBe('pending')
    expect((state() as Error).name).toBe('TimeoutError')
    socket.dispose()
  })
})
