// Listeners that call back into the socket while it is in the middle of a transition: the state
// machine must end in the state the last call asked for, with one live socket at most.
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest'
import { SteadySocket } from '../../src/index'
import { FakeServer } from '../../src/testing/index'
import { setup, tick } from './helpers'

const reconnect = { initialDelay: 1000, jitter: 'none' as const }

beforeEach(() => {
  vi.useFakeTimers()
})
afterEach(() => {
  vi.useRealTimers()
})

describe('calls from inside listeners', () => {
  test('close() from a close listener that announced a reconnect cancels it', async () => {
    const { socket, server } = setup({ reconnect })
    await tick()
    socket.once('close', ({ willReconnect }) => {
      expect(willReconnect).toBe(true)
      socket.close()
    })
    server.lastConnection!.terminate()
    await tick(20000)
    expect(socket.status).toBe('closed')
    expect(server.connections).toHaveLength(1)
    expect(vi.getTimerCount()).toBe(0)
  })

  test('close() from an error listener of a failing attempt leaves it closed', async () => {
    const { socket, server } = setup({ reconnect }, new FakeServer({ mode: 'refuse' }))
    socket.once('error', () => socket.close())
    await tick(20000)
    expect(socket.status).toBe('closed')
    expect(server.connections).toHaveLength(1)
  })

  test('reconnect() from a reconnecting listener connects once, now', async () => {
    const { socket, server } = setup({ reconnect })
    await tick()
    socket.once('reconnecting', () => socket.reconnect())
    server.lastConnection!.terminate()
    await tick()
    expect(socket.status).toBe('open')
    await tick(20000)
    expect(server.connections).toHaveLength(2)
    expect(server.maxConcurrent).toBe(1)
  })

  test('open() from a status listener seeing closed starts one new connection', async () => {
    const { socket, server } = setup({ reconnect: false })
    await tick()
    let reopened = false
    socket.on('status', ({ status }) => {
      if (status === 'closed' && !reopened) {
        reopened = true
        socket.open()
      }
    })
    server.lastConnection!.terminate()
    await tick()
    expect(socket.status).toBe('open')
    expect(server.connections).toHaveLength(2)
    expect(server.maxConcurrent).toBe(1)
  })

  test('open() from the close listener of our own close() reconnects once', async () => {
    const { socket, server } = setup()
    await tick()
    socket.once('close', () => socket.open())
    socket.close()
    await tick()
    expect(socket.status).toBe('open')
    expect(server.connections).toHaveLength(2)
    expect(server.live).toHaveLength(1)
  })

  test('close() from an open listener closes the socket that just opened', async () => {
    const { socket, server } = setup()
    socket.once('open', () => socket.close())
    await tick(20000)
    expect(socket.status).toBe('closed')
    expect(server.connections).toHaveLength(1)
    expect(server.lastConnection!.closeCode).toBe(1000)
  })

  test('dispose() from a message listener stops everything', async () => {
    const { socket, server } = setup({ heartbeat: true, reconnect })
    await tick()
    const later = vi.fn()
    socket.on('message', () => socket.dispose())
    socket.on('message', later)
    server.lastConnection!.send('a')
    server.lastConnection!.send('b')
    await tick(60000)
    expect(socket.status).toBe('closed')
    expect(later).not.toHaveBeenCalled()
    expect(vi.getTimerCount()).toBe(0)
  })

  test('a send from an open listener goes after the queued messages', async () => {
    const { socket, server } = setup()
    socket.send('queued-1')
    socket.send('queued-2')
    socket.once('open', () => socket.send('from-open'))
    await tick()
    expect(server.received).toEqual(['queued-1', 'queued-2', 'from-open'])
  })
})

describe('transitions that overlap', () => {
  test('reconnect() while our close() waits for the closing handshake', async () => {
    const { socket, server } = setup()
    await tick()
    socket.close()
    expect(socket.status).toBe('closing')
    socket.reconnect()
    await tick()
    expect(socket.status).toBe('open')
    expect(server.live).toHaveLength(1)
  })

  test('dispose() while the handshake runs ignores its late result', async () => {
    let release!: () => void
    const { socket, server } = setup({ handshake: () => new Promise<void>((r) => (release = r)) })
    await tick()
    socket.dispose()
    release()
    await tick(20000)
    expect(socket.status).toBe('closed')
    expect(server.connections).toHaveLength(1)
    expect(vi.getTimerCount()).toBe(0)
  })

  test('a handshake that rejects after close() reports nothing', async () => {
    let fail!: (e: Error) => void
    const { socket } = setup({
      reconnect,
      handshake: () => new Promise<void>((_, r) => (fail = r)),
    })
    const errors = vi.fn()
    socket.on('error', errors)
    await tick()
    socket.close()
    fail(new Error('late'))
    await tick(20000)
    expect(errors).not.toHaveBeenCalled()
    expect(socket.status).toBe('closed')
  })

  test('a provider that resolves after reconnect() does not open a second socket', async () => {
    const server = new FakeServer()
    const resolvers: ((url: string) => void)[] = []
    const s2 = new SteadySocket(() => new Promise<string>((r) => resolvers.push(r)), {
      WebSocket: server.WebSocket,
      reconnect,
    })
    await tick()
    s2.reconnect()
    await tick()
    expect(resolvers).toHaveLength(2)
    resolvers[0]!('ws://a.test/old')
    resolvers[1]!('ws://a.test/new')
    await tick()
    expect(server.connections.map((c) => c.url)).toEqual(['ws://a.test/new'])
    expect(s2.status).toBe('open')
    s2.dispose()
  })
})
