import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest'
import { SteadySocket } from '../../src/index'
import { FakeServer } from '../../src/testing/index'
import { record, setup, tick } from './helpers'

const reconnect = { initialDelay: 1000, maxDelay: 10000, jitter: 'none' as const, minUptime: 5000 }

beforeEach(() => {
  vi.useFakeTimers()
})
afterEach(() => {
  vi.useRealTimers()
})

/** Delays announced by `reconnecting` events. */
function delays(socket: SteadySocket<unknown, unknown>) {
  const out: number[] = []
  socket.on('reconnecting', ({ delay }) => out.push(delay))
  return out
}

describe('backoff', () => {
  test('the first retry waits about initialDelay and is attempt 1', async () => {
    const { socket, server } = setup({ reconnect })
    const seen = vi.fn()
    socket.on('reconnecting', seen)
    await tick()
    server.lastConnection!.terminate()
    await tick()
    expect(seen).toHaveBeenCalledWith({ attempt: 1, delay: 1000 })
    expect(socket.attempt).toBe(1)
    await vi.advanceTimersByTimeAsync(990)
    expect(server.connections).toHaveLength(1)
    await tick(20)
    expect(server.connections).toHaveLength(2)
  })

  test('delays keep growing in an accept-then-close loop, capped at maxDelay', async () => {
    const server = new FakeServer()
    server.onConnection((c) => setTimeout(() => c.state === 'open' && c.close(1011), 100))
    const { socket } = setup({ reconnect }, server)
    const seen = delays(socket)
    await tick(60000)
    expect(seen.slice(0, 6)).toEqual([1000, 2000, 4000, 8000, 10000, 10000])
    socket.close()
  })

  test('after minUptime of uptime the next delay is back to initialDelay', async () => {
    const { socket, server } = setup({ reconnect }, new FakeServer({ mode: 'refuse' }))
    const seen = delays(socket)
    const stable = vi.fn()
    socket.on('stable', stable)
    await tick(1000 + 2000 + 10) // two refusals: delays 1000, 2000, 4000
    expect(seen).toEqual([1000, 2000, 4000])
    server.mode = 'accept'
    await tick(4000)
    expect(socket.status).toBe('open')
    expect(socket.attempt).toBe(3)
    await tick(5000)
    expect(stable).toHaveBeenCalledTimes(1)
    expect(socket.attempt).toBe(0)
    server.lastConnection!.terminate()
    await tick()
    expect(seen.at(-1)).toBe(1000)
  })

  test('a connection that drops before minUptime counts as failed', async () => {
    const { socket, server } = setup({ reconnect })
    const seen = delays(socket)
    await tick()
    server.lastConnection!.terminate()
    await tick(1000)
    expect(socket.status).toBe('open')
    await tick(4000) // open for 4 s < minUptime
    server.lastConnection!.terminate()
    await tick()
    expect(seen).toEqual([1000, 2000])
    expect(socket.attempt).toBe(2)
  })

  test('jitter stays within bounds with an injected random', async () => {
    const values = [0, 0.5, 0.999]
    const { socket, server } = setup(
      { reconnect: { ...reconnect, jitter: 'full' }, random: () => values.shift() ?? 0.5 },
      new FakeServer({ mode: 'refuse' }),
    )
    const seen = delays(socket)
    await tick(20000)
    expect(seen.slice(0, 3)).toEqual([0, 1000, 4000 * 0.999])
    socket.close()
    expect(server.connections.length).toBeGreaterThan(3)
  })

  test('a custom delay function decides the wait', async () => {
    const { socket } = setup(
      { reconnect: { delay: (n) => n * 100 } },
      new FakeServer({ mode: 'refuse' }),
    )
    const seen = delays(socket)
    await tick(700)
    expect(seen.slice(0, 3)).toEqual([100, 200, 300])
    socket.close()
  })

  test('stable waits the default minUptime when reconnect is off', async () => {
    const { socket } = setup({ reconnect: false })
    const stable = vi.fn()
    socket.on('stable', stable)
    await tick(4900)
    expect(stable).not.toHaveBeenCalled()
    await tick(200)
    expect(stable).toHaveBeenCalledTimes(1)
  })

  test('reconnect: false never retries', async () => {
    const { socket, server } = setup({ reconnect: false })
    await tick()
    server.lastConnection!.terminate()
    await tick(60000)
    expect(socket.status).toBe('closed')
    expect(server.connections).toHaveLength(1)
  })
})

describe('maxRetries', () => {
  test('gives up once with the right count when every attempt emits error and close', async () => {
    const { socket, server } = setup(
      { reconnect: { ...reconnect, maxRetries: 3 } },
      new FakeServer({ mode: 'refuse' }),
    )
    const log = record(socket)
    await tick(60000)
    const exhausted = log.filter(([n]) => n === 'exhausted')
    expect(exhausted).toEqual([['exhausted', { attempts: 3 }]])
    expect(log.filter(([n]) => n === 'error')).toHaveLength(4)
    expect(log.filter(([n]) => n === 'close')).toHaveLength(4)
    expect(
      log
        .filter(([n]) => n === 'close')
        .map(([, c]) => (c as { willReconnect: boolean }).willReconnect),
    ).toEqual([true, true, true, false])
    expect(server.connections).toHaveLength(4) // the first connection and 3 retries
    expect(socket.status).toBe('closed')
    expect(log.at(-1)![0]).toBe('exhausted')
  })

  test('maxRetries 0 gives up after the first failure', async () => {
    const { socket } = setup(
      { reconnect: { ...reconnect, maxRetries: 0 } },
      new FakeServer({ mode: 'refuse' }),
    )
    const exhausted = vi.fn()
    socket.on('exhausted', exhausted)
    await tick(60000)
    expect(exhausted).toHaveBeenCalledWith({ attempts: 0 })
  })

  test('reconnect() recovers after giving up, with a fresh backoff', async () => {
    const server = new FakeServer({ mode: 'refuse' })
    const { socket } = setup({ reconnect: { ...reconnect, maxRetries: 2 } }, server)
    await tick(60000)
    expect(socket.status).toBe('closed')
    server.mode = 'accept'
    socket.reconnect()
    expect(socket.attempt).toBe(0)
    await tick()
    expect(socket.status).toBe('open')
  })

  test('open() after giving up starts again from attempt 0', async () => {
    const server = new FakeServer({ mode: 'refuse' })
    const { socket } = setup({ reconnect: { ...reconnect, maxRetries: 1 } }, server)
    const seen = delays(socket)
    await tick(60000)
    socket.open()
    await tick()
    expect(socket.attempt).toBe(1)
    expect(seen.at(-1)).toBe(1000)
    socket.close()
  })
})

describe('close codes', () => {
  test.each([1002, 1003, 1007, 1008, 1009, 1010])('%i from the server stops', async (code) => {
    const { socket, server } = setup({ reconnect })
    await tick()
    const close = vi.fn()
    socket.on('close', close)
    server.lastConnection!.close(code)
    await tick(60000)
    expect(close).toHaveBeenCalledWith({ code, reason: '', wasClean: true, willReconnect: false })
    expect(socket.status).toBe('closed')
    expect(server.connections).toHaveLength(1)
  })

  test.each([1000, 1001, 1011, 1012, 1013, 1014, 3000, 4000])(
    '%i from the server reconnects',
    async (code) => {
      const { socket, server } = setup({ reconnect })
      await tick()
      server.lastConnection!.close(code, 'bye')
      await tick()
      expect(socket.status).toBe('reconnecting')
      expect(socket.getSnapshot().lastClose).toEqual({ code, reason: 'bye', wasClean: true })
      await tick(1000)
      expect(server.connections).toHaveLength(2)
    },
  )

  test('1006 (connection lost) reconnects', async () => {
    const { socket, server } = setup({ reconnect })
    await tick()
    server.lastConnection!.terminate()
    await tick()
    expect(socket.status).toBe('reconnecting')
  })

  test('our own close() sends 1000, not 1005, and reports it', async () => {
    const { socket, server } = setup()
    await tick()
    const close = vi.fn()
    socket.on('close', close)
    socket.close()
    await tick()
    expect(server.lastConnection!.closeCode).toBe(1000)
    expect(close).toHaveBeenCalledWith({
      code: 1000,
      reason: '',
      wasClean: true,
      willReconnect: false,
    })
  })

  test('close() sends the given code and reason', async () => {
    const { socket, server } = setup()
    await tick()
    socket.close(4001, 'logout')
    await tick()
    expect(server.lastConnection!.closeCode).toBe(4001)
    expect(server.lastConnection!.closeReason).toBe('logout')
  })

  test.each([999, 1001, 1005, 1006, 2999, 5000, 3000.5])('close(%d) throws like native', (code) => {
    const { socket } = setup()
    expect(() => socket.close(code)).toThrow(
      expect.objectContaining({ name: 'InvalidAccessError' }),
    )
    expect(socket.status).toBe('connecting')
  })

  test('close() with a reason over 123 bytes throws', () => {
    const { socket } = setup()
    expect(() => socket.close(1000, 'é'.repeat(62))).toThrow(
      expect.objectContaining({ name: 'SyntaxError' }),
    )
  })

  test('shouldReconnect replaces the policy and sees the attempt', async () => {
    const shouldReconnect = vi.fn((close: { code: number }) => close.code === 1008)
    const { socket, server } = setup({ reconnect: { ...reconnect, shouldReconnect } })
    await tick()
    server.lastConnection!.close(1008)
    await tick()
    expect(shouldReconnect).toHaveBeenCalledWith(
      { code: 1008, reason: '', wasClean: true },
      { attempt: 0 },
    )
    expect(socket.status).toBe('reconnecting')
    await tick(1000)
    server.lastConnection!.close(1000)
    await tick()
    expect(socket.status).toBe('closed')
  })

  test('a throwing shouldReconnect falls back to the default policy and is reported', async () => {
    const reported = vi.fn()
    vi.stubGlobal('reportError', reported)
    try {
      const { socket, server } = setup({
        reconnect: {
          ...reconnect,
          shouldReconnect: () => {
            throw new Error('oops')
          },
        },
      })
      await tick()
      server.lastConnection!.close(1001)
      await tick()
      expect(socket.status).toBe('reconnecting')
      expect(reported).toHaveBeenCalledWith(expect.objectContaining({ message: 'oops' }))
    } finally {
      vi.unstubAllGlobals()
    }
  })
})

describe('reconnect()', () => {
  test('closes the current socket with the code and connects now', async () => {
    const { socket, server } = setup({ reconnect })
    await tick()
    const first = server.lastConnection!
    const close = vi.fn()
    socket.on('close', close)
    socket.reconnect(4000, 'switch')
    await tick()
    expect(first.closeCode).toBe(4000)
    expect(close).toHaveBeenCalledWith({
      code: 4000,
      reason: 'switch',
      wasClean: true,
      willReconnect: true,
    })
    expect(server.connections).toHaveLength(2)
    expect(socket.status).toBe('open')
  })

  test('while connecting reports the abandoned attempt as not clean', async () => {
    const { socket } = setup({ reconnect }, new FakeServer({ mode: 'manual' }))
    const close = vi.fn()
    socket.on('close', close)
    socket.reconnect()
    expect(close).toHaveBeenCalledWith({
      code: 1000,
      reason: '',
      wasClean: false,
      willReconnect: true,
    })
    socket.close()
  })

  test('during a backoff wait connects at once with a reset attempt counter', async () => {
    const { socket, server } = setup({ reconnect }, new FakeServer({ mode: 'refuse' }))
    await tick(2500)
    expect(socket.attempt).toBe(2)
    server.mode = 'accept'
    socket.reconnect()
    await tick()
    expect(socket.status).toBe('open')
    expect(socket.attempt).toBe(0)
  })

  test('marks the next open as a reconnect', async () => {
    const { socket } = setup()
    const opens: boolean[] = []
    socket.on('open', ({ isReconnect }) => opens.push(isReconnect))
    await tick()
    socket.reconnect()
    await tick()
    expect(opens).toEqual([false, true])
  })
})

describe('providers', () => {
  test('a URL provider runs before every attempt', async () => {
    const server = new FakeServer()
    let n = 0
    const socket = new SteadySocket(() => `ws://a.test/?token=${++n}`, {
      WebSocket: server.WebSocket,
      reconnect,
    })
    await tick()
    server.lastConnection!.terminate()
    await tick(1000)
    expect(server.connections.map((c) => c.url)).toEqual([
      'ws://a.test/?token=1',
      'ws://a.test/?token=2',
    ])
    expect(socket.url).toBe('ws://a.test/?token=2')
  })

  test('an async protocols provider runs before every attempt', async () => {
    const server = new FakeServer()
    const socket = new SteadySocket('ws://a.test', {
      WebSocket: server.WebSocket,
      protocols: async () => ['v3'],
    })
    await tick()
    expect(socket.protocol).toBe('v3')
  })

  test.each([
    [
      'throws',
      () => {
        throw new Error('no token')
      },
    ],
    ['rejects', () => Promise.reject(new Error('no token'))],
    ['returns a bad scheme', () => 'ftp://a.test'],
  ])('a provider that %s is a failed attempt, then the normal backoff', async (_, provider) => {
    const server = new FakeServer()
    const socket = new SteadySocket(provider as () => string, {
      WebSocket: server.WebSocket,
      reconnect,
    })
    const log = record(socket)
    await tick()
    expect(log.map(([n]) => n)).toEqual(['error', 'status', 'reconnecting'])
    expect(log[0]![1]).toMatchObject({ name: 'ProviderError' })
    expect(socket.status).toBe('reconnecting')
    expect(server.connections).toHaveLength(0)
    socket.close()
  })

  test('a provider that hangs is cut by connectTimeout', async () => {
    const server = new FakeServer()
    const socket = new SteadySocket(() => new Promise<string>(() => {}), {
      WebSocket: server.WebSocket,
      reconnect,
      connectTimeout: 2000,
    })
    const errors: string[] = []
    socket.on('error', (e) => errors.push(e.name))
    await tick(2000)
    expect(errors).toEqual(['ConnectTimeoutError'])
    expect(socket.status).toBe('reconnecting')
    socket.close()
  })
})

describe('connectTimeout', () => {
  test('abandons a socket stuck in CONNECTING and retries', async () => {
    const server = new FakeServer({ mode: 'manual' })
    const { socket } = setup({ reconnect, connectTimeout: 3000 }, server)
    await vi.advanceTimersByTimeAsync(2990)
    expect(socket.status).toBe('connecting')
    await tick(10)
    expect(socket.status).toBe('reconnecting')
    expect(server.connections[0]!.socket.readyState).toBeGreaterThanOrEqual(2)
    await tick(1000)
    expect(server.connections).toHaveLength(2)
    expect(server.maxConcurrent).toBe(1)
  })

  test('0 waits forever', async () => {
    const { socket } = setup({ connectTimeout: 0 }, new FakeServer({ mode: 'manual' }))
    await tick(600000)
    expect(socket.status).toBe('connecting')
    socket.close()
  })
})
