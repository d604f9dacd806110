// The adapters' framework-free binding on its own: which socket it holds per key, the changes it
// reports, handlers and lastMessage, sends that wait for their socket, release and sharing.
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest'
import {
  CLOSED_SNAPSHOT,
  createBinding,
  watchSocket,
  type BindingChange,
  type SocketHandlers,
} from '../../src/binding'
import { SteadySocket } from '../../src/index'
import { FakeServer } from '../../src/testing/index'
import { tick } from './helpers'

const URL_A = 'ws://example.test/a'
const URL_B = 'ws://example.test/b'

let server: FakeServer
const bindings: { dispose(): void }[] = []

beforeEach(() => {
  vi.useFakeTimers()
  server = new FakeServer()
})
afterEach(async () => {
  for (const binding of bindings.splice(0)) binding.dispose()
  await tick()
  vi.useRealTimers()
})

/**
 * A binding whose keys are URLs, with a settable wanted key and handlers, recording every change
 * and every socket it made.
 */
function bind({
  wanted = null as string | null,
  handlers = {} as SocketHandlers<string, string>,
} = {}) {
  const changes: BindingChange[] = []
  const made: SteadySocket<string, string>[] = []
  const state = { wanted, handlers }
  const binding = createBinding<string, string>({
    create: (key) => {
      const socket = new SteadySocket<string, string>(key, { WebSocket: server.WebSocket })
      made.push(socket)
      return socket
    },
    wanted: () => state.wanted,
    handlers: () => state.handlers,
    onChange: (change) => changes.push(change),
  })
  bindings.push(binding)
  return { binding, changes, made, state }
}

describe('createBinding', () => {
  test('makes no socket before the first attach', async () => {
    const { binding, made } = bind()
    await tick()
    expect(binding.socket).toBeNull()
    expect(binding.snapshot).toBe(CLOSED_SNAPSHOT)
    expect(made).toHaveLength(0)
    expect(server.connections).toHaveLength(0)
  })

  test('attach makes the socket for the key and reports a socket change', () => {
    const { binding, changes, made } = bind()
    binding.attach(URL_A)
    expect(made).toHaveLength(1)
    expect(binding.socket).toBe(made[0])
    expect(binding.socket?.url).toBe(URL_A)
    expect(changes).toEqual(['socket'])
  })

  test('attach with the same key keeps the socket', async () => {
    const { binding, made } = bind()
    binding.attach(URL_A)
    binding.attach(URL_A)
    await tick()
    expect(made).toHaveLength(1)
    expect(binding.socket?.status).toBe('open')
  })

  test('attach with another key disposes the old socket before making the new one', () => {
    const statusesAtCreate: string[] = []
    const made: SteadySocket[] = []
    const binding = createBinding({
      create: (key) => {
        statusesAtCreate.push(made.at(-1)?.status ?? 'none')
        const socket = new SteadySocket(key, { WebSocket: server.WebSocket })
        made.push(socket)
        return socket
      },
      wanted: () => null,
      handlers: () => ({}),
      onChange: () => {},
    })
    bindings.push(binding)
    binding.attach(URL_A)
    binding.attach(URL_B)
    expect(statusesAtCreate).toEqual(['none', 'closed'])
    expect(binding.socket).toBe(made[1])
  })

  test('attach(null) disposes the socket and leaves none', async () => {
    const { binding, made } = bind()
    binding.attach(URL_A)
    await tick()
    binding.attach(null)
    expect(binding.socket).toBeNull()
    expect(binding.snapshot).toBe(CLOSED_SNAPSHOT)
    expect(made[0]!.status).toBe('closed')
    expect(made[0]!.send('late')).toBe('dropped')
  })

  test('snapshot is the attached socket’s, and its changes are reported', async () => {
    const { binding, changes } = bind()
    binding.attach(URL_A)
    changes.length = 0
    await tick()
    expect(binding.snapshot.status).toBe('open')
    expect(binding.snapshot).toBe(binding.socket?.getSnapshot())
    expect(changes).toContain('snapshot')
    expect(changes).not.toContain('socket')
  })

  test('keeps the latest message and reports each message, equal ones too', async () => {
    const { binding, changes } = bind()
    binding.attach(URL_A)
    await tick()
    changes.length = 0
    server.lastConnection!.send('same')
    server.lastConnection!.send('same')
    await tick()
    expect(binding.lastMessage).toBe('same')
    expect(changes.filter((change) => change === 'message')).toHaveLength(2)
  })

  test('a new socket starts without the last message of the old one', async () => {
    const { binding } = bind()
    binding.attach(URL_A)
    await tick()
    server.lastConnection!.send('from a')
    await tick()
    expect(binding.lastMessage).toBe('from a')
    binding.attach(URL_B)
    expect(binding.lastMessage).toBeUndefined()
  })

  test('calls the handlers read at the event, with the payload and the socket', async () => {
    const first = vi.fn()
    const second = vi.fn()
    const { binding, state } = bind({ handlers: { onMessage: first } })
    binding.attach(URL_A)
    await tick()
    state.handlers = { onMessage: second }
    server.lastConnection!.send('hi')
    await tick()
    expect(first).not.toHaveBeenCalled()
    expect(second).toHaveBeenCalledExactlyOnceWith('hi', binding.socket)
  })

  test('calls onOpen, onError and onClose for the attached socket', async () => {
    const log: string[] = []
    const { binding } = bind({
      handlers: {
        onOpen: (event) => log.push(`open ${event.isReconnect}`),
        onError: (error) => log.push(`error ${error.name}`),
        onClose: (event) => log.push(`close ${event.code}`),
      },
    })
    binding.attach(URL_A)
    await tick()
    server.lastConnection!.fail()
    await tick()
    expect(log).toEqual(['open false', 'error ConnectError', 'close 1006'])
  })

  test('send goes to the attached socket when it is the wanted one', async () => {
    const { binding } = bind({ wanted: URL_A })
    binding.attach(URL_A)
    await tick()
    expect(binding.send('now')).toBe('sent')
    expect(server.lastConnection!.received).toEqual(['now'])
  })

  test('send for a wanted key not attached yet waits, then goes to that socket in order', async () => {
    const { binding, state } = bind({ wanted: URL_A })
    binding.attach(URL_A)
    await tick()
    state.wanted = URL_B
    expect(binding.send('one')).toBe('queued')
    expect(binding.send('two')).toBe('queued')
    binding.attach(URL_B)
    await tick()
    expect(server.connections.map((c) => [c.url, c.received])).toEqual([
      [URL_A, []],
      [URL_B, ['one', 'two']],
    ])
  })

  test('send while no socket is wanted is dropped', () => {
    const { binding } = bind({ wanted: null })
    expect(binding.send('nowhere')).toBe('dropped')
  })

  test('release disposes the socket a microtask later', async () => {
    const { binding } = bind()
    binding.attach(URL_A)
    const socket = binding.socket!
    binding.release()
    expect(socket.status).toBe('connecting')
    await Promise.resolve()
    expect(socket.status).toBe('closed')
  })

  test('attach right after release takes the same socket back', async () => {
    const { binding, made } = bind()
    binding.attach(URL_A)
    binding.release()
    binding.attach(URL_A)
    await tick()
    expect(made).toHaveLength(1)
    expect(binding.socket?.status).toBe('open')
    expect(server.connections).toHaveLength(1)
  })

  test('dispose closes the socket and drops every later send', async () => {
    const { binding, made } = bind({ wanted: URL_A })
    binding.attach(URL_A)
    await tick()
    binding.dispose()
    expect(made[0]!.status).toBe('closed')
    expect(binding.socket).toBeNull()
    expect(binding.send('late')).toBe('dropped')
  })

  test('attach after dispose makes nothing', async () => {
    const { binding, made } = bind()
    binding.dispose()
    binding.attach(URL_A)
    await tick()
    expect(made).toHaveLength(0)
    expect(binding.socket).toBeNull()
  })

  test('open, close and reconnect reach the attached socket', async () => {
    const { binding } = bind()
    binding.open() // no socket yet: nothing happens
    binding.attach(URL_A)
    await tick()
    binding.close(4000, 'bye')
    await tick()
    expect(binding.snapshot.status).toBe('closed')
    expect(server.lastConnection!.closeCode).toBe(4000)
    binding.open()
    await tick()
    expect(binding.snapshot.status).toBe('open')
    binding.reconnect()
    await tick()
    expect(server.connections).toHaveLength(3)
    expect(server.maxConcurrent).toBe(1)
  })
})

describe('createBinding: shared sockets', () => {
  test('bindings attaching a key as shared use one socket', () => {
    const a = bind()
    const b = bind()
    a.binding.attach(URL_A, true)
    b.binding.attach(URL_A, true)
    expect(a.made).toHaveLength(1)
    expect(b.made).toHaveLength(0)
    expect(b.binding.socket).toBe(a.binding.socket)
  })

  test('a shared socket is disposed only when its last user releases it', async () => {
    const a = bind()
    const b = bind()
    a.binding.attach(URL_A, true)
    b.binding.attach(URL_A, true)
    const socket = a.binding.socket!
    a.binding.release()
    await tick()
    expect(socket.status).toBe('open')
    b.binding.release()
    await tick()
    expect(socket.status).toBe('closed')
  })

  test('after the last user left, the next shared attach makes a new socket', async () => {
    const a = bind()
    a.binding.attach(URL_A, true)
    a.binding.release()
    await tick()
    const b = bind()
    b.binding.attach(URL_A, true)
    await tick()
    expect(b.made).toHaveLength(1)
    expect(b.binding.socket).not.toBe(a.binding.socket)
    expect(b.binding.snapshot.status).toBe('open')
  })

  test('a private socket with a shared socket’s key is neither shared nor unshares it', async () => {
    const shared = bind()
    const own = bind()
    shared.binding.attach(URL_A, true)
    own.binding.attach(URL_A)
    expect(own.binding.socket).not.toBe(shared.binding.socket)
    own.binding.release()
    await tick()
    const late = bind()
    late.binding.attach(URL_A, true)
    expect(late.made).toHaveLength(0)
    expect(late.binding.socket).toBe(shared.binding.socket)
  })

  test('each user sees its own handlers for the shared socket', async () => {
    const got: string[] = []
    const a = bind({ handlers: { onMessage: (m) => got.push(`a ${m}`) } })
    const b = bind({ handlers: { onMessage: (m) => got.push(`b ${m}`) } })
    a.binding.attach(URL_A, true)
    b.binding.attach(URL_A, true)
    await tick()
    server.lastConnection!.send('x')
    await tick()
    expect(got.sort()).toEqual(['a x', 'b x'])
  })

  test('a user that released a socket another still holds hears nothing more from it', async () => {
    const onMessage = vi.fn()
    const leaving = bind({ handlers: { onMessage } })
    const staying = bind()
    leaving.binding.attach(URL_A, true)
    staying.binding.attach(URL_A, true)
    await tick()
    leaving.changes.length = 0
    leaving.binding.release()
    server.lastConnection!.send('after')
    await tick()
    expect(staying.binding.lastMessage).toBe('after')
    expect(onMessage).not.toHaveBeenCalled()
    expect(leaving.changes).toEqual([])
  })

  test('a user that moved to another key hears nothing more from the socket it left', async () => {
    const onMessage = vi.fn()
    const moving = bind({ handlers: { onMessage } })
    const staying = bind()
    moving.binding.attach(URL_A, true)
    staying.binding.attach(URL_A, true)
    await tick()
    moving.binding.attach(URL_B, true)
    await tick()
    moving.changes.length = 0
    server.connections[0]!.send('on a')
    await tick()
    expect(staying.binding.lastMessage).toBe('on a')
    expect(onMessage).not.toHaveBeenCalled()
    expect(moving.changes).toEqual([])
  })
})

describe('watchSocket', () => {
  test('reports messages and snapshot changes until stopped', async () => {
    const socket = new SteadySocket<string, string>(URL_A, { WebSocket: server.WebSocket })
    const changes: string[] = []
    const watch = watchSocket(socket, (change) => changes.push(change))
    await tick()
    server.lastConnection!.send('one')
    await tick()
    expect(changes).toEqual(['snapshot', 'message'])
    expect(watch.lastMessage).toBe('one')
    watch.stop()
    server.lastConnection!.send('two')
    await tick()
    expect(changes).toEqual(['snapshot', 'message'])
    expect(watch.lastMessage).toBe('one')
    socket.dispose()
  })

  test('calls a handler as a method of the handlers object', async () => {
    const socket = new SteadySocket<string, string>(URL_A, { WebSocket: server.WebSocket })
    const onOpen = vi.fn()
    const handlers: SocketHandlers<string, string> = { onOpen }
    watchSocket(
      socket,
      () => {},
      () => handlers,
    )
    await tick()
    expect(onOpen).toHaveBeenCalledOnce()
    expect(onOpen.mock.contexts[0]).toBe(handlers)
    socket.dispose()
  })
})
