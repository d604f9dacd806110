import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest'
import type { SteadySocketOptions } from '../../src/index'
import { FakeServer } from '../../src/testing/index'
import { setup, tick } from './helpers'

beforeEach(() => {
  vi.useFakeTimers()
})
afterEach(() => {
  vi.restoreAllMocks()
  vi.useRealTimers()
})

// A long, exact backoff: anything that connects before it did so because of an event.
const SLOW = { initialDelay: 30_000, maxDelay: 30_000, jitter: 'none' } as const

/** An open socket on a fresh server. */
async function opened(options: SteadySocketOptions<unknown, unknown> = {}) {
  const server = new FakeServer()
  const { socket } = setup({ reconnect: SLOW, ...options }, server)
  await tick()
  expect(socket.status).toBe('open')
  return { socket, server, conn: server.lastConnection! }
}

/** An open socket whose connection the server then dropped: it waits 30 s to retry. */
async function waiting(options: SteadySocketOptions<unknown, unknown> = {}) {
  const ctx = await opened(options)
  ctx.conn.terminate()
  await tick()
  expect(ctx.socket.status).toBe('reconnecting')
  expect(ctx.server.connections).toHaveLength(1)
  return ctx
}

const fire = (type: 'online' | 'offline') => window.dispatchEvent(new Event(type))
const pageshow = (persisted: boolean) =>
  window.dispatchEvent(new PageTransitionEvent('pageshow', { persisted }))
const visibility = (state: DocumentVisibilityState) => {
  vi.spyOn(document, 'visibilityState', 'get').mockReturnValue(state)
  document.dispatchEvent(new Event('visibilitychange'))
}
const offlineNavigator = (offline = true) =>
  vi.spyOn(navigator, 'onLine', 'get').mockReturnValue(!offline)

describe('offline and online', () => {
  // Offline is a hint, not a fact (a LAN or loopback server stays reachable): retries go on at
  // maxDelay, never stop, and the reconnecting event's delay is the delay actually waited.
  const FAST = { initialDelay: 100, maxDelay: 5000, jitter: 'none' } as const

  test('an offline event while waiting to reconnect does not stop the retry', async () => {
    const { socket, server } = await waiting()
    offlineNavigator()
    fire('offline')
    await tick(30_000)
    expect(server.connections).toHaveLength(2)
    expect(socket.status).toBe('open')
  })

  test('an online event retries at once', async () => {
    const { socket, server } = await waiting()
    offlineNavigator()
    fire('offline')
    await tick(10_000)
    offlineNavigator(false)
    fire('online')
    expect(server.connections).toHaveLength(2)
    await tick()
    expect(socket.status).toBe('open')
  })

  test('an online event retries at once even without a previous offline event', async () => {
    const { server } = await waiting()
    fire('online')
    expect(server.connections).toHaveLength(2)
  })

  test('retries at maxDelay while navigator.onLine is false, and reports that delay', async () => {
    const { socket, server, conn } = await opened({ reconnect: FAST })
    const retries: unknown[] = []
    socket.on('reconnecting', (r) => retries.push(r))
    offlineNavigator()
    conn.terminate()
    await tick()
    expect(retries).toEqual([{ attempt: 1, delay: 5000 }])
    await tick(4900)
    expect(server.connections).toHaveLength(1)
    await tick(100)
    expect(server.connections).toHaveLength(2)
    expect(socket.status).toBe('open')
  })

  test('keeps retrying while offline and the server refuses', async () => {
    const { socket, server, conn } = await opened({ reconnect: { ...FAST, maxRetries: 2 } })
    const retries: unknown[] = []
    socket.on('reconnecting', (r) => retries.push(r))
    const exhausted = vi.fn()
    socket.on('exhausted', exhausted)
    offlineNavigator()
    server.mode = 'refuse'
    conn.terminate()
    await tick(60_000)
    // 12 retries in 60 s at 5 s each, past maxRetries: the hint may be wrong, so none is final.
    expect(retries.length).toBeGreaterThanOrEqual(11)
    expect(retries.every((r) => (r as { delay: number }).delay === 5000)).toBe(true)
    expect(exhausted).not.toHaveBeenCalled()
    expect(socket.status).toBe('reconnecting')
    server.mode = 'accept'
    await tick(5000)
    expect(socket.status).toBe('open')
  })

  test('an online event ends the wait that began offline', async () => {
    const { socket, server, conn } = await opened()
    offlineNavigator()
    conn.terminate()
    await tick(1000)
    offlineNavigator(false)
    fire('online')
    await tick()
    expect(server.connections).toHaveLength(2)
    expect(socket.status).toBe('open')
  })

  test('an offline event leaves an open socket open', async () => {
    const { socket, server } = await opened()
    offlineNavigator()
    fire('offline')
    await tick(60_000)
    expect(socket.status).toBe('open')
    expect(server.connections).toHaveLength(1)
  })

  test('an online event does nothing to an open socket', async () => {
    const { socket, server } = await opened()
    fire('online')
    await tick()
    expect(socket.status).toBe('open')
    expect(server.connections).toHaveLength(1)
  })

  test('an online event does nothing after close()', async () => {
    const { socket, server } = await opened()
    socket.close()
    await tick()
    fire('online')
    await tick()
    expect(socket.status).toBe('closed')
    expect(server.connections).toHaveLength(1)
  })
})

describe('visibility', () => {
  test('becoming visible retries a waiting socket at once', async () => {
    const { socket, server } = await waiting()
    visibility('visible')
    expect(server.connections).toHaveLength(2)
    await tick()
    expect(socket.status).toBe('open')
  })

  test('becoming hidden does not retry', async () => {
    const { server } = await waiting()
    visibility('hidden')
    await tick(1000)
    expect(server.connections).toHaveLength(1)
  })

  test('becoming visible does not retry while the browser is offline', async () => {
    const { server } = await waiting()
    offlineNavigator()
    visibility('visible')
    await tick(1000)
    expect(server.connections).toHaveLength(1)
  })

  test('becoming visible probes an open socket with a ping', async () => {
    const { conn } = await opened({ heartbeat: { interval: 30_000, timeout: 5000 } })
    await tick(1000)
    visibility('visible')
    expect(conn.received).toEqual(['ping'])
  })

  test('a probe on becoming visible times out when nothing answers', async () => {
    const { socket } = await opened({ heartbeat: { interval: 30_000, timeout: 5000 } })
    const errors: unknown[] = []
    socket.on('error', (e) => errors.push(e))
    await tick(1000)
    visibility('visible')
    await tick(5000)
    expect(errors).toHaveLength(1)
    expect(socket.status).toBe('reconnecting')
  })

  test('becoming visible sends nothing to an open socket without heartbeat', async () => {
    const { socket, conn } = await opened()
    visibility('visible')
    await tick(1000)
    expect(conn.received).toEqual([])
    expect(socket.status).toBe('open')
  })
})

describe('pageshow', () => {
  test('a persisted pageshow retries a waiting socket at once', async () => {
    const { server } = await waiting()
    pageshow(true)
    expect(server.connections).toHaveLength(2)
  })

  test('a persisted pageshow probes an open socket with a ping', async () => {
    const { conn } = await opened({ heartbeat: { interval: 30_000, timeout: 5000 } })
    pageshow(true)
    expect(conn.received).toEqual(['ping'])
  })

  test('a pageshow that is not persisted does nothing', async () => {
    const { server } = await waiting()
    pageshow(false)
    await tick(1000)
    expect(server.connections).toHaveLength(1)
  })

  test('a pageshow that is not persisted does not probe', async () => {
    const { conn } = await opened({ heartbeat: { interval: 30_000, timeout: 5000 } })
    pageshow(false)
    await tick(1000)
    expect(conn.received).toEqual([])
  })
})

describe('listeners', () => {
  // Going offline needs no listener: the socket asks navigator.onLine when it schedules a retry.
  const WINDOW_EVENTS = ['online', 'pageshow']

  function spies() {
    const add = vi.spyOn(window, 'addEventListener')
    const remove = vi.spyOn(window, 'removeEventListener')
    const docAdd = vi.spyOn(document, 'addEventListener')
    const docRemove = vi.spyOn(document, 'removeEventListener')
    const types = (spy: typeof add | typeof docAdd) => spy.mock.calls.map((c) => c[0]).sort()
    return { add, remove, docAdd, docRemove, types }
  }

  test('attaches none while closed before open()', () => {
    const s = spies()
    setup({ autoConnect: false })
    expect(s.add).not.toHaveBeenCalled()
    expect(s.docAdd).not.toHaveBeenCalled()
  })

  test('attaches window and document listeners when connecting', () => {
    const s = spies()
    setup()
    expect(s.types(s.add)).toEqual([...WINDOW_EVENTS].sort())
    expect(s.types(s.docAdd)).toEqual(['visibilitychange'])
  })

  test('attaches them on open() after autoConnect false', () => {
    const s = spies()
    const { socket } = setup({ autoConnect: false })
    socket.open()
    expect(s.types(s.add)).toEqual([...WINDOW_EVENTS].sort())
    expect(s.types(s.docAdd)).toEqual(['visibilitychange'])
  })

  test('attaches them once across reconnects', async () => {
    const s = spies()
    const { socket, server } = setup({ reconnect: { initialDelay: 1000, jitter: 'none' } })
    await tick()
    server.lastConnection!.terminate()
    await tick(1000)
    expect(socket.status).toBe('open')
    expect(s.add).toHaveBeenCalledTimes(WINDOW_EVENTS.length)
    expect(s.docAdd).toHaveBeenCalledTimes(1)
    expect(s.remove).not.toHaveBeenCalled()
  })

  test('removes the same listeners on close()', async () => {
    const s = spies()
    const { socket } = setup()
    await tick()
    socket.close()
    await tick()
    expect(socket.status).toBe('closed')
    expect(s.remove.mock.calls).toEqual(s.add.mock.calls.map(([type, fn]) => [type, fn]))
    expect(s.docRemove.mock.calls).toEqual(s.docAdd.mock.calls.map(([type, fn]) => [type, fn]))
  })

  test('removes them on dispose()', async () => {
    const s = spies()
    const { socket } = setup()
    await tick()
    socket.dispose()
    expect(s.types(s.remove)).toEqual([...WINDOW_EVENTS].sort())
    expect(s.types(s.docRemove)).toEqual(['visibilitychange'])
  })

  test('removes them when a close code ends reconnection', async () => {
    const s = spies()
    const { socket, server } = setup()
    await tick()
    server.lastConnection!.close(1008, 'policy')
    await tick()
    expect(socket.status).toBe('closed')
    expect(s.types(s.remove)).toEqual([...WINDOW_EVENTS].sort())
    expect(s.types(s.docRemove)).toEqual(['visibilitychange'])
  })

  test('removes them on dispose() while waiting to reconnect', async () => {
    const s = spies()
    const { socket, server } = setup()
    await tick()
    server.lastConnection!.terminate()
    await tick()
    expect(socket.status).toBe('reconnecting')
    socket.dispose()
    expect(s.types(s.remove)).toEqual([...WINDOW_EVENTS].sort())
    expect(s.types(s.docRemove)).toEqual(['visibilitychange'])
  })

  test('a disposed socket ignores online and visibility events', async () => {
    const { socket, server } = await waiting()
    socket.dispose()
    fire('online')
    visibility('visible')
    pageshow(true)
    await tick(60_000)
    expect(server.connections).toHaveLength(1)
  })

  test('watchNetwork: false attaches none', async () => {
    const s = spies()
    const { socket } = setup({ watchNetwork: false })
    await tick()
    expect(socket.status).toBe('open')
    expect(s.add).not.toHaveBeenCalled()
    expect(s.docAdd).not.toHaveBeenCalled()
  })

  test('watchNetwork: false ignores online and visibility events', async () => {
    const { server } = await waiting({ watchNetwork: false })
    fire('online')
    visibility('visible')
    pageshow(true)
    await tick(1000)
    expect(server.connections).toHaveLength(1)
  })

  test('watchNetwork: false keeps its backoff on navigator.onLine false', async () => {
    const { socket, server, conn } = await opened({
      watchNetwork: false,
      reconnect: { initialDelay: 100, maxDelay: 5000, jitter: 'none' },
    })
    const retries: unknown[] = []
    socket.on('reconnecting', (r) => retries.push(r))
    offlineNavigator()
    conn.terminate()
    await tick(100)
    expect(retries).toEqual([{ attempt: 1, delay: 100 }])
    expect(server.connections).toHaveLength(2)
  })
})
