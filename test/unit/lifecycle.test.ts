import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest'
import { SteadySocket } from '../../src/index'
import { FakeServer } from '../../src/testing/index'
import { record, setup, tick } from './helpers'

const MAX = 10000
const reconnect = { initialDelay: 1000, maxDelay: MAX, jitter: 'none' as const, minUptime: 5000 }

beforeEach(() => {
  vi.useFakeTimers()
})
afterEach(() => {
  vi.useRealTimers()
})

describe('status machine', () => {
  test('is connecting synchronously after construction', () => {
    const { socket } = setup()
    expect(socket.status).toBe('connecting')
    expect(socket.readyState).toBe(SteadySocket.CONNECTING)
    expect(socket.isConnecting).toBe(true)
  })

  test('is connecting synchronously while an async URL provider runs', () => {
    const server = new FakeServer()
    const socket = new SteadySocket(() => new Promise<string>(() => {}), {
      WebSocket: server.WebSocket,
    })
    expect(socket.status).toBe('connecting')
    expect(server.connections).toHaveLength(0)
    socket.close()
  })

  test('stays closed with autoConnect false until open()', async () => {
    const { socket, server } = setup({ autoConnect: false })
    await tick(60000)
    expect(socket.status).toBe('closed')
    expect(socket.readyState).toBe(3)
    expect(server.connections).toHaveLength(0)
    socket.open()
    await tick()
    expect(socket.status).toBe('open')
  })

  test('reports readyState CONNECTING while waiting to reconnect', async () => {
    const { socket, server } = setup({ reconnect })
    await tick()
    server.lastConnection!.terminate()
    await tick()
    expect(socket.status).toBe('reconnecting')
    expect(socket.readyState).toBe(0)
    expect(socket.isReconnecting).toBe(true)
  })

  test('has the constants on the class and the instance', () => {
    const { socket } = setup({ autoConnect: false })
    expect([
      SteadySocket.CONNECTING,
      SteadySocket.OPEN,
      SteadySocket.CLOSING,
      SteadySocket.CLOSED,
    ]).toEqual([0, 1, 2, 3])
    expect([socket.CONNECTING, socket.OPEN, socket.CLOSING, socket.CLOSED]).toEqual([0, 1, 2, 3])
  })

  test('emits status events with the previous status', async () => {
    const { socket, server } = setup({ reconnect })
    const seen: string[] = []
    socket.on('status', ({ status, previous }) => seen.push(`${previous}>${status}`))
    await tick()
    server.lastConnection!.terminate()
    await tick(1000)
    socket.close()
    await tick()
    expect(seen).toEqual([
      'connecting>open',
      'open>reconnecting',
      'reconnecting>connecting',
      'connecting>open',
      'open>closing',
      'closing>closed',
    ])
  })

  test('exposes protocol and extensions of the socket', async () => {
    const server = new FakeServer()
    const socket = new SteadySocket('ws://a.test', {
      WebSocket: server.WebSocket,
      protocols: ['v2', 'v1'],
    })
    await tick()
    expect(socket.protocol).toBe('v2')
    expect(server.lastConnection!.protocols).toEqual(['v2', 'v1'])
    socket.close()
  })

  test('takes protocols as the second argument', async () => {
    const server = new FakeServer()
    const g = globalThis as { WebSocket?: unknown }
    const saved = g.WebSocket
    g.WebSocket = server.WebSocket
    try {
      const socket = new SteadySocket('ws://a.test', 'chat')
      await tick()
      expect(socket.protocol).toBe('chat')
      socket.close()
    } finally {
      g.WebSocket = saved
    }
  })

  test('applies binaryType to every socket, including after reconnects', async () => {
    const { socket, server } = setup({ binaryType: 'arraybuffer', reconnect })
    await tick()
    expect(server.lastConnection!.socket.binaryType).toBe('arraybuffer')
    socket.binaryType = 'blob'
    expect(server.lastConnection!.socket.binaryType).toBe('blob')
    server.lastConnection!.terminate()
    await tick(1000)
    expect(server.connections).toHaveLength(2)
    expect(server.lastConnection!.socket.binaryType).toBe('blob')
  })
})

describe('snapshot', () => {
  test('is referentially stable until something in it changes', async () => {
    const { socket } = setup()
    const a = socket.getSnapshot()
    expect(socket.getSnapshot()).toBe(a)
    await tick()
    const b = socket.getSnapshot()
    expect(b).not.toBe(a)
    expect(b).toMatchObject({
      status: 'open',
      readyState: 1,
      attempt: 0,
      url: 'ws://example.test/live',
    })
    expect(Object.isFrozen(b)).toBe(true)
    socket.send('x')
    expect(socket.getSnapshot()).toBe(b)
  })

  test('notifies subscribers on change, and stops after unsubscribe', async () => {
    const { socket, server } = setup({ reconnect })
    const listener = vi.fn()
    const unsubscribe = socket.subscribe(listener)
    await tick()
    expect(listener).toHaveBeenCalledTimes(1)
    server.lastConnection!.fail()
    await tick()
    const calls = listener.mock.calls.length
    expect(socket.getSnapshot()).toMatchObject({
      status: 'reconnecting',
      attempt: 1,
      lastClose: { code: 1006 },
    })
    expect(socket.getSnapshot().lastError?.name).toBe('ConnectError')
    unsubscribe()
    await tick(1000)
    expect(listener).toHaveBeenCalledTimes(calls)
  })
})

describe('close() is final in every state', () => {
  async function expectNoNewSocket(socket: SteadySocket<unknown, unknown>, server: FakeServer) {
    const before = server.connections.length
    await tick(10 * MAX)
    expect(server.connections).toHaveLength(before)
    expect(socket.status).toBe('closed')
    expect(vi.getTimerCount()).toBe(0)
  }

  test('while connecting', async () => {
    const { socket, server } = setup({ reconnect }, new FakeServer({ mode: 'manual' }))
    socket.close()
    expect(socket.status).toBe('closed')
    await expectNoNewSocket(socket, server)
  })

  test('while open', async () => {
    const { socket, server } = setup({ reconnect })
    await tick()
    socket.close()
    await expectNoNewSocket(socket, server)
  })

  test('while waiting to reconnect', async () => {
    const { socket, server } = setup({ reconnect })
    await tick()
    server.lastConnection!.terminate()
    await tick()
    expect(socket.status).toBe('reconnecting')
    socket.close()
    await expectNoNewSocket(socket, server)
  })

  test('while closing', async () => {
    const { socket, server } = setup({ reconnect })
    await tick()
    socket.close()
    expect(socket.status).toBe('closing')
    socket.close()
    await expectNoNewSocket(socket, server)
  })

  test('while an async URL provider is pending', async () => {
    const server = new FakeServer()
    let resolve!: (url: string) => void
    const socket = new SteadySocket(() => new Promise<string>((r) => (resolve = r)), {
      WebSocket: server.WebSocket,
      reconnect,
    })
    await tick()
    socket.close()
    resolve('ws://a.test')
    await expectNoNewSocket(socket, server)
  })

  test('while the handshake runs', async () => {
    let release!: () => void
    const { socket, server } = setup({
      reconnect,
      handshake: () => new Promise<void>((r) => (release = r)),
    })
    await tick()
    expect(socket.status).toBe('connecting')
    socket.close()
    release()
    await expectNoNewSocket(socket, server)
  })

  test('when the server then closes with a retryable code', async () => {
    const { socket, server } = setup({ reconnect })
    await tick()
    socket.close()
    server.lastConnection!.close(1012)
    await expectNoNewSocket(socket, server)
  })
})

describe('one live socket at most', () => {
  test('when error and close fire together', async () => {
    const { socket, server } = setup({ reconnect })
    await tick()
    const errors = vi.fn()
    socket.on('error', errors)
    server.lastConnection!.fail() // error, then close 1006
    await tick(5 * MAX)
    expect(errors).toHaveBeenCalledTimes(1)
    expect(server.connections).toHaveLength(2)
    expect(server.maxConcurrent).toBe(1)
  })

  test('when reconnect() is called twice', async () => {
    const { socket, server } = setup({ reconnect })
    await tick()
    socket.reconnect()
    socket.reconnect()
    await tick(5 * MAX)
    expect(server.live).toHaveLength(1)
    expect(server.maxConcurrent).toBe(1)
    expect(socket.status).toBe('open')
  })

  test('when reconnect() is called while connecting', async () => {
    const { socket, server } = setup({ reconnect }, new FakeServer({ mode: 'manual' }))
    socket.reconnect()
    expect(server.live).toHaveLength(1)
    expect(server.connections).toHaveLength(2)
    server.lastConnection!.accept()
    await tick()
    expect(socket.status).toBe('open')
  })

  test('when open() is called during a wait', async () => {
    const { socket, server } = setup({ reconnect })
    await tick()
    server.lastConnection!.terminate()
    await tick()
    socket.open()
    socket.open()
    await tick(5 * MAX)
    expect(server.connections).toHaveLength(2)
    expect(server.maxConcurrent).toBe(1)
  })

  test('when open() is called while open or connecting', async () => {
    const { socket, server } = setup()
    socket.open()
    await tick()
    socket.open()
    await tick()
    expect(server.connections).toHaveLength(1)
  })

  test('when open() follows close() while the close handshake is running', async () => {
    const { socket, server } = setup()
    await tick()
    socket.close()
    socket.open()
    await tick()
    expect(socket.status).toBe('open')
    expect(server.live).toHaveLength(1)
    expect(server.maxConcurrent).toBe(1)
  })
})

describe('a replaced socket', () => {
  test('delivers nothing, changes nothing, schedules nothing, throws nothing', async () => {
    const { socket, server } = setup({ reconnect })
    await tick()
    const old = server.lastConnection!
    socket.reconnect()
    await tick()
    expect(socket.status).toBe('open')
    const log = record(socket)
    const snapshot = socket.getSnapshot()
    const timers = vi.getTimerCount()
    // The old native socket is told it received a message and then closed abnormally.
    old.socket.onmessage?.({ data: 'late' } as never)
    old.socket.onerror?.({} as never)
    old.socket.onclose?.({ code: 1006, reason: '', wasClean: false } as never)
    await tick()
    expect(log).toEqual([])
    expect(socket.getSnapshot()).toBe(snapshot)
    expect(vi.getTimerCount()).toBe(timers)
    expect(server.connections).toHaveLength(2)
  })

  test('that was abandoned by connectTimeout has its late events swallowed', async () => {
    const { socket, server } = setup(
      { reconnect, connectTimeout: 500 },
      new FakeServer({ mode: 'manual' }),
    )
    const log = record(socket)
    await tick(500)
    expect(log.map(([n]) => n)).toEqual(['error', 'close', 'status', 'reconnecting'])
    expect(log[0]![1]).toMatchObject({ name: 'ConnectTimeoutError' })
    log.length = 0
    server.connections[0]!.socket.onopen?.({} as never)
    await tick()
    expect(log).toEqual([])
    expect(socket.status).toBe('reconnecting')
  })
})

describe('dispose()', () => {
  const windowSpy = () => {
    const added = new Set<string>()
    const add = vi.spyOn(window, 'addEventListener')
    const remove = vi.spyOn(window, 'removeEventListener')
    const dadd = vi.spyOn(document, 'addEventListener')
    const dremove = vi.spyOn(document, 'removeEventListener')
    return () => {
      for (const [type] of [...add.mock.calls, ...dadd.mock.calls]) added.add(String(type))
      const removed = new Set([...remove.mock.calls, ...dremove.mock.calls].map(([t]) => String(t)))
      vi.restoreAllMocks()
      return [...added].filter((t) => !removed.has(t))
    }
  }

  test.each(['connecting', 'open', 'reconnecting', 'closing', 'closed'] as const)(
    'while %s leaves no timers and no window/document listeners',
    async (state) => {
      const leftover = windowSpy()
      const { socket, server } = setup(
        { reconnect, heartbeat: true, autoConnect: state !== 'closed' },
        new FakeServer({ mode: state === 'connecting' ? 'manual' : 'accept' }),
      )
      if (state !== 'connecting' && state !== 'closed') await tick()
      if (state === 'reconnecting') {
        server.lastConnection!.terminate()
        await tick()
      }
      if (state === 'closing') socket.close()
      expect(socket.status).toBe(state)
      socket.dispose()
      expect(socket.status).toBe('closed')
      await tick(10 * MAX)
      expect(vi.getTimerCount()).toBe(0)
      expect(leftover()).toEqual([])
    },
  )

  test('is idempotent and silences the socket', async () => {
    const { socket, server } = setup()
    await tick()
    const listener = vi.fn()
    socket.on('message', listener)
    socket.dispose()
    socket.dispose()
    expect(socket.send('x')).toBe('dropped')
    socket.open()
    await tick()
    expect(server.connections).toHaveLength(1)
    expect(listener).not.toHaveBeenCalled()
  })

  test('works with the using keyword protocol', async () => {
    const { socket } = setup()
    await tick()
    socket[Symbol.dispose]()
    expect(socket.status).toBe('closed')
  })
})

describe('opened()', () => {
  test('resolves at once when open', async () => {
    const { socket } = setup()
    await tick()
    await expect(socket.opened()).resolves.toBeUndefined()
  })

  test('resolves at the next open', async () => {
    const { socket } = setup()
    const p = socket.opened()
    await tick()
    await expect(p).resolves.toBeUndefined()
  })

  test('rejects at once when closed', async () => {
    const { socket } = setup({ autoConnect: false })
    await expect(socket.opened()).rejects.toMatchObject({ name: 'ClosedError' })
  })

  test('rejects when the socket becomes closed', async () => {
    const { socket } = setup({}, new FakeServer({ mode: 'manual' }))
    const p = socket.opened()
    socket.close()
    await expect(p).rejects.toMatchObject({ name: 'ClosedError' })
  })

  test('rejects on timeout and leaves no timer', async () => {
    const { socket } = setup({ connectTimeout: 0 }, new FakeServer({ mode: 'manual' }))
    const p = socket.opened({ timeout: 300 })
    const assertion = expect(p).rejects.toMatchObject({ name: 'TimeoutError' })
    await tick(300)
    await assertion
    socket.close()
    await tick()
    expect(vi.getTimerCount()).toBe(0)
  })

  test('throws for a bad timeout', () => {
    const { socket } = setup()
    expect(() => socket.opened({ timeout: -1 })).toThrow(TypeError)
  })
})
