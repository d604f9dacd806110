// Edges of the contract (API.md, README) found by an audit of the core: listeners that call back
// into the socket mid-transition, ordering of events, timers past their limit, and a few
// behaviours that had no test of their own.
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest'
import { SteadySocket } from '../../src/index'
import { FakeServer } from '../../src/testing/index'
import { record, setup, tick } from './helpers'

const reconnect = { initialDelay: 1000, jitter: 'none' as const }

beforeEach(() => {
  vi.useFakeTimers()
})
afterEach(() => {
  vi.useRealTimers()
  vi.unstubAllGlobals()
})

describe('dispose() is final even when listeners call back in', () => {
  // API: dispose() = close(), then remove every listener, timer and window/document listener;
  // later calls are no-ops. A listener that reacts to the close must not resurrect the socket.
  test('open() from a close listener during dispose() leaves no live socket or timer', async () => {
    const { socket, server } = setup({ reconnect })
    await tick()
    socket.on('close', () => socket.open())
    socket.dispose()
    await tick(20000)
    expect(socket.status).toBe('closed')
    expect(server.live).toHaveLength(0)
    expect(vi.getTimerCount()).toBe(0)
  })

  test('reconnect() from a status listener during dispose() leaves no live socket', async () => {
    const { socket, server } = setup({ reconnect })
    await tick()
    socket.on('status', ({ status }) => {
      if (status === 'closed') socket.reconnect()
    })
    socket.dispose()
    await tick(20000)
    expect(socket.status).toBe('closed')
    expect(server.live).toHaveLength(0)
    expect(vi.getTimerCount()).toBe(0)
  })
})

describe('snapshot stays in sync with the getters', () => {
  // API: getSnapshot() { status, readyState, attempt, ... } changes when one of those changes.
  test('attempt in the snapshot follows reconnect() made while connecting', async () => {
    const { socket, server } = setup(
      { reconnect, connectTimeout: 0 },
      new FakeServer({ mode: 'refuse' }),
    )
    await tick() // initial attempt refused → retry 1 scheduled
    await tick(1000) // retry 1 refused → retry 2 scheduled
    expect(socket.attempt).toBe(2)
    await tick(2000) // retry 2 under way... refused again → attempt 3
    server.mode = 'manual'
    await tick(4000) // retry 3 is now CONNECTING (manual)
    expect(socket.status).toBe('connecting')
    const before = socket.attempt
    expect(before).toBeGreaterThan(0)
    socket.reconnect() // resets the backoff: attempt 0, still connecting
    expect(socket.attempt).toBe(0)
    expect(socket.status).toBe('connecting')
    expect(socket.getSnapshot().attempt).toBe(socket.attempt)
  })

  test('attempt in the snapshot follows reconnect() while a URL provider is pending', async () => {
    const server = new FakeServer({ mode: 'refuse' })
    let hang = false
    const socket = new SteadySocket(
      () => (hang ? new Promise<string>(() => {}) : 'ws://example.test/live'),
      { WebSocket: server.WebSocket, reconnect, connectTimeout: 0, random: () => 1 },
    )
    await tick() // refused → attempt 1
    hang = true
    await tick(1000) // retry 1: the provider hangs, status connecting
    expect(socket.status).toBe('connecting')
    expect(socket.getSnapshot().attempt).toBe(1)
    socket.reconnect()
    expect(socket.attempt).toBe(0)
    expect(socket.getSnapshot().attempt).toBe(0)
    socket.dispose()
  })
})

describe('reconnecting event only when a retry is really scheduled', () => {
  // API: `reconnecting` { attempt, delay } (a retry is scheduled).
  test('close() from a status listener seeing reconnecting suppresses the reconnecting event', async () => {
    const { socket, server } = setup({ reconnect })
    await tick()
    const reconnecting = vi.fn()
    socket.on('status', ({ status }) => {
      if (status === 'reconnecting') socket.close()
    })
    socket.on('reconnecting', reconnecting)
    server.lastConnection!.terminate()
    await tick(20000)
    expect(socket.status).toBe('closed')
    expect(server.connections).toHaveLength(1)
    expect(reconnecting).not.toHaveBeenCalled()
  })
})

describe('every abandoned socket reports a close event', () => {
  // events.ts: `close` fires "for every closed or abandoned socket"; README: on a lost
  // connection, error → close → status → reconnecting.
  test('close() from the error listener of a heartbeat timeout still reports the close of the dead socket', async () => {
    const { socket, server } = setup({
      reconnect,
      heartbeat: { interval: 1000, timeout: 500 },
    })
    await tick()
    const log = record(socket as SteadySocket<unknown, unknown>)
    server.lastConnection!.stall()
    socket.once('error', () => socket.close())
    await tick(1600)
    const names = log.map(([n]) => n)
    expect(names).toContain('error')
    expect(names).toContain('close')
    expect(socket.status).toBe('closed')
  })

  test('close() from the error listener of a connect timeout still reports the close', async () => {
    const { socket } = setup({ reconnect, connectTimeout: 500 }, new FakeServer({ mode: 'manual' }))
    const log = record(socket as SteadySocket<unknown, unknown>)
    socket.once('error', () => socket.close())
    await tick(600)
    const names = log.map(([n]) => n)
    expect(names).toContain('error')
    expect(names).toContain('close')
  })
})

describe('close() while the next connection is held for an abandoned socket', () => {
  // API: close() is final; an `open` event means "connected, after handshake and flush".
  // A close() made while status is `connecting` must not announce an open first.
  test('emits no open event from inside close()', async () => {
    const { socket, server } = setup({
      heartbeat: { interval: 1000, timeout: 500 },
      reconnect: { initialDelay: 100, jitter: 'none' as const },
      connectTimeout: 5000,
    })
    await tick()
    server.lastConnection!.stall()
    socket.send('a')
    await tick(1600) // given up at 1500 holding 'a'; the reconnect opened, queue held
    expect(server.connections).toHaveLength(2)
    expect(socket.status).toBe('connecting')
    const opens = vi.fn()
    const statuses: string[] = []
    socket.on('open', opens)
    socket.on('status', ({ status }) => statuses.push(status))
    socket.close()
    expect(opens).not.toHaveBeenCalled()
    expect(statuses).not.toContain('open')
    expect(socket.status).not.toBe('open')
  })
})

describe('a synchronous handshake that calls back into the socket', () => {
  // API: handshake runs on every open before the flush; close() is final until open();
  // "Never more than one live socket"; `open` means connected after handshake + flush.
  test('close() from a sync handshake: no open event, status does not go back to open', async () => {
    const { socket, server } = setup({
      reconnect,
      handshake: (s) => {
        s.close()
      },
    })
    socket.send('queued')
    const opens = vi.fn()
    socket.on('open', opens)
    await tick(20000)
    expect(opens).not.toHaveBeenCalled()
    expect(socket.status).toBe('closed')
    expect(server.lastConnection!.received).toEqual([])
    expect(socket.queueLength).toBe(1) // close(): queued messages stay queued
    expect(vi.getTimerCount()).toBe(0)
  })

  test('reconnect() from a sync handshake: no write to a CONNECTING socket, one open at the end', async () => {
    let first = true
    const { socket, server } = setup({
      reconnect,
      handshake: (s) => {
        if (first) {
          first = false
          s.reconnect()
        }
      },
    })
    socket.send('queued')
    const opens = vi.fn()
    socket.on('open', opens)
    const errors = vi.fn()
    socket.on('error', errors)
    expect(() => vi.advanceTimersByTime(1)).not.toThrow()
    await tick()
    expect(socket.status).toBe('open')
    expect(opens).toHaveBeenCalledTimes(1)
    expect(server.connections).toHaveLength(2)
    expect(server.connections[1]!.received).toEqual(['queued'])
    expect(server.maxConcurrent).toBe(1)
  })
})

describe('typed events: off()', () => {
  // API: `once(type, fn)` → `off()`; `off(type, fn)`. A user calling off(type, fn) with the fn
  // they passed to once() expects it removed, as with Node's EventEmitter and EventTarget.
  test('off(type, fn) removes a listener added with once()', async () => {
    const { socket } = setup()
    const fn = vi.fn()
    socket.once('open', fn)
    socket.off('open', fn)
    await tick()
    expect(socket.status).toBe('open')
    expect(fn).not.toHaveBeenCalled()
  })
})

describe('WebSocket-compatible listeners behave like EventTarget during dispatch', () => {
  // API: addEventListener/removeEventListener are WebSocket-compatible.
  test('a listener removed by an earlier listener of the same event is not called', async () => {
    const { socket, server } = setup()
    await tick()
    const second = vi.fn()
    socket.addEventListener('message', () => socket.removeEventListener('message', second))
    socket.addEventListener('message', second)
    server.lastConnection!.send('x')
    await tick()
    expect(second).not.toHaveBeenCalled()
  })

  test('a listener added during dispatch is not called for that event', async () => {
    const { socket, server } = setup()
    await tick()
    const added = vi.fn()
    socket.addEventListener('message', () => socket.addEventListener('message', added))
    server.lastConnection!.send('x')
    await tick()
    expect(added).not.toHaveBeenCalled()
  })
})

describe('close-event wasClean', () => {
  // CloseInfo.wasClean: "true when the closing handshake completed; false when the connection
  // was lost or cut". dispose() right after close() cuts the handshake short.
  test('dispose() while our close() waits for the handshake reports wasClean false', async () => {
    const { socket, server } = setup()
    await tick()
    server.lastConnection!.stall() // the close frame cannot get through
    const closes: unknown[] = []
    socket.on('close', (e) => closes.push(e))
    socket.close(4000, 'bye')
    socket.dispose()
    expect(closes).toEqual([{ code: 4000, reason: 'bye', wasClean: false, willReconnect: false }])
  })
})

describe('options: defaults that conflict with a valid user value', () => {
  // API: invalid values throw naming the option. A highWaterMark of 64 KiB is valid; the user
  // never set lowWaterMark.
  test('backpressure.highWaterMark below the default lowWaterMark does not throw', () => {
    const server = new FakeServer()
    expect(
      () =>
        new SteadySocket('ws://example.test', {
          WebSocket: server.WebSocket,
          autoConnect: false,
          backpressure: { highWaterMark: 65536 },
        }),
    ).not.toThrow()
  })
})

describe('option validation', () => {
  // API: invalid values throw a TypeError/RangeError naming the option.
  test('heartbeat.message that is neither a frame nor a function throws naming it', () => {
    const server = new FakeServer()
    expect(
      () =>
        new SteadySocket('ws://example.test', {
          WebSocket: server.WebSocket,
          autoConnect: false,
          heartbeat: { message: 42 as never },
        }),
    ).toThrow(/heartbeat\.message/)
  })
})

describe('dispose(): everything queued is reported', () => {
  // API: queued messages are reported once in a drop event ('disposed'); later send → 'dropped'.
  test('a send from the disposed-drop listener is not left queued in a dead socket', () => {
    const { socket } = setup({ autoConnect: false })
    socket.send('a')
    let result: string | undefined
    socket.once('drop', () => (result = socket.send('late')))
    socket.dispose()
    expect(result).toBe('dropped')
    expect(socket.queueLength).toBe(0)
  })
})

describe('durations beyond the 2^31-1 ms timer limit', () => {
  // Browsers and Node fire a setTimeout longer than 2^31-1 ms (~24.8 days) at once: such a
  // timeout means none, never "now" (options that long throw: options.test.ts). Real timers
  // here: fake timers do not model the overflow.
  const BIG = 2 ** 31 // ~24.9 days
  const wait = (ms: number) => new Promise((r) => setTimeout(r, ms))

  test('opened({ timeout: Infinity }) does not reject at once', async () => {
    vi.useRealTimers()
    const { socket } = setup({}, new FakeServer({ mode: 'manual' }))
    let outcome = 'pending'
    socket.opened({ timeout: Infinity }).then(
      () => (outcome = 'resolved'),
      (e: Error) => (outcome = e.name),
    )
    await wait(30)
    expect(outcome).toBe('pending')
    socket.dispose()
  })

  test('flush({ timeout: 2^31 }) does not reject at once', async () => {
    vi.useRealTimers()
    const { socket } = setup({}, new FakeServer({ mode: 'manual' }))
    socket.send('a')
    let outcome = 'pending'
    socket.flush({ timeout: BIG }).then(
      () => (outcome = 'resolved'),
      (e: Error) => (outcome = e.name),
    )
    await wait(30)
    expect(outcome).toBe('pending')
    socket.clearQueue()
    socket.dispose()
  })
})

describe('flush() across reconnect()', () => {
  // reconnect() gives up on an open socket like the heartbeat does: what it never transmitted
  // comes back at its close event (or the bound), so flush() does not report it as sent.
  test('does not resolve while the old socket still holds a message, then delivers it', async () => {
    const { socket, server } = setup({ reconnect, connectTimeout: 5000 })
    await tick()
    server.lastConnection!.stall()
    expect(socket.send('a')).toBe('sent')
    let outcome = 'pending'
    socket.flush().then(
      () => (outcome = 'resolved'),
      () => (outcome = 'rejected'),
    )
    socket.reconnect()
    await tick()
    expect(socket.status).toBe('connecting') // open underneath, held for the old socket
    expect(outcome).toBe('pending')
    await tick(5000) // the bound: 'a' was never transmitted, so it goes on the new connection
    expect(socket.status).toBe('open')
    expect(server.connections[1]!.received).toEqual(['a'])
    expect(outcome).toBe('resolved')
  })

  test('re-sends nothing the old socket delivered before its close', async () => {
    const { socket, server } = setup({ reconnect, connectTimeout: 5000 })
    await tick()
    const first = server.lastConnection!
    first.stall()
    socket.send('a')
    socket.reconnect()
    await tick()
    first.resume() // the old peer reads 'a', then the close frame
    await tick()
    expect(socket.status).toBe('open')
    expect(first.received).toEqual(['a'])
    expect(server.connections[1]!.received).toEqual([])
    await expect(socket.flush()).resolves.toBeUndefined()
  })
})

describe('behaviour that matches the contract (regression probes)', () => {
  test('maxRetries counts accept-then-close loops: maxRetries + 1 connections, exhausted once', async () => {
    const server = new FakeServer()
    server.onConnection((c) => setTimeout(() => c.close(1011), 5))
    const { socket } = setup({ reconnect: { ...reconnect, maxRetries: 2 } }, server)
    const log = record(socket as SteadySocket<unknown, unknown>)
    await tick(60000)
    expect(server.connections).toHaveLength(3)
    expect(log.filter(([n]) => n === 'exhausted')).toEqual([['exhausted', { attempts: 2 }]])
    const tail = log
      .slice(-3)
      .map(([n, p]) => (n === 'status' ? `status:${(p as { status: string }).status}` : n))
    expect(tail).toEqual(['close', 'status:closed', 'exhausted'])
    expect(socket.status).toBe('closed')
    expect(vi.getTimerCount()).toBe(0)
  })

  test('a lost open connection reports error → close → status → reconnecting', async () => {
    const { socket, server } = setup({ reconnect })
    await tick()
    const log = record(socket as SteadySocket<unknown, unknown>)
    server.lastConnection!.fail()
    await tick()
    expect(log.map(([n]) => n)).toEqual(['error', 'close', 'status', 'reconnecting'])
    expect(log[3]![1]).toEqual({ attempt: 1, delay: 1000 })
  })

  test('close() from open, with heartbeat, stable timer and waiters, leaves no timer once closed', async () => {
    const { socket, server } = setup({ reconnect, heartbeat: true })
    await tick()
    server.lastConnection!.stall()
    socket.send('x')
    const flushed = socket.flush().catch((e: Error) => e.name)
    const opened = socket.opened({ timeout: 60000 })
    await opened
    socket.close()
    server.lastConnection!.resume()
    await tick()
    expect(socket.status).toBe('closed')
    expect(await flushed).toBeUndefined()
    expect(vi.getTimerCount()).toBe(0)
  })

  test('opened() after dispose() rejects with ClosedError at once', async () => {
    const { socket } = setup()
    await tick()
    socket.dispose()
    await expect(socket.opened()).rejects.toMatchObject({ name: 'ClosedError' })
  })

  test('snapshot readyState and status follow the getters through every state', async () => {
    const { socket, server } = setup({ reconnect })
    const check = () => {
      const s = socket.getSnapshot()
      expect([s.status, s.readyState, s.attempt, s.url]).toEqual([
        socket.status,
        socket.readyState,
        socket.attempt,
        socket.url,
      ])
    }
    socket.subscribe(check)
    check()
    await tick()
    server.lastConnection!.terminate()
    await tick(1000)
    socket.close()
    await tick()
    check()
    expect(socket.getSnapshot()).toBe(socket.getSnapshot())
  })

  test('a server close frame with no code (1005) reconnects', async () => {
    const { socket, server } = setup({ reconnect })
    await tick()
    server.lastConnection!.close(1005)
    await tick()
    expect(socket.getSnapshot().lastClose).toMatchObject({ code: 1005 })
    expect(socket.status).toBe('reconnecting')
  })

  test('numeric jitter follows delay × (1 − j·U)', async () => {
    const { socket, server } = setup({
      reconnect: { initialDelay: 1000, factor: 3, jitter: 0.5 },
      random: () => 0.5,
    })
    await tick()
    const delays: number[] = []
    socket.on('reconnecting', ({ delay }) => delays.push(delay))
    server.mode = 'refuse'
    server.lastConnection!.terminate()
    await tick(750)
    await tick(2250)
    expect(delays).toEqual([750, 2250, 6750])
  })
})
