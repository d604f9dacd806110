import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest'
import { json } from '../../src/index'
import { setup, tick } from './helpers'

let reported: ReturnType<typeof vi.fn>
beforeEach(() => {
  vi.useFakeTimers()
  reported = vi.fn()
  vi.stubGlobal('reportError', reported)
})
afterEach(() => {
  vi.useRealTimers()
  vi.unstubAllGlobals()
})

describe('typed events', () => {
  test('on() returns a function that removes the listener', async () => {
    const { socket, server } = setup()
    const fn = vi.fn()
    const off = socket.on('message', fn)
    await tick()
    server.lastConnection!.send('a')
    await tick()
    off()
    server.lastConnection!.send('b')
    await tick()
    expect(fn.mock.calls).toEqual([['a']])
  })

  test('a listener removed by an earlier listener of the same event is not called', async () => {
    const { socket, server } = setup()
    const second = vi.fn()
    socket.on('message', () => socket.off('message', second))
    socket.on('message', second)
    await tick()
    server.lastConnection!.send('a')
    await tick()
    expect(second).not.toHaveBeenCalled()
  })

  test('once() fires a single time', async () => {
    const { socket, server } = setup()
    const fn = vi.fn()
    socket.once('message', fn)
    await tick()
    server.lastConnection!.send('a')
    server.lastConnection!.send('b')
    await tick()
    expect(fn.mock.calls).toEqual([['a']])
  })

  test('off() removes a listener added with on()', async () => {
    const { socket, server } = setup()
    const fn = vi.fn()
    socket.on('message', fn)
    socket.off('message', fn)
    await tick()
    server.lastConnection!.send('a')
    await tick()
    expect(fn).not.toHaveBeenCalled()
  })

  test('emits open with isReconnect false first', async () => {
    const { socket } = setup()
    const fn = vi.fn()
    socket.on('open', fn)
    await tick()
    expect(fn).toHaveBeenCalledWith({ isReconnect: false })
  })
})

describe('a listener that throws', () => {
  test('stops neither the other listeners nor the socket', async () => {
    const { socket, server } = setup()
    const after = vi.fn()
    socket.on('message', () => {
      throw new Error('boom')
    })
    socket.on('message', after)
    await tick()
    server.lastConnection!.send('a')
    server.lastConnection!.send('b')
    await tick()
    expect(after.mock.calls).toEqual([['a'], ['b']])
    expect(socket.status).toBe('open')
    expect(reported).toHaveBeenCalledTimes(2)
    expect(reported.mock.calls[0]![0]).toMatchObject({ message: 'boom' })
  })

  test('in a status listener leaves the state machine consistent', async () => {
    const { socket, server } = setup({ reconnect: { jitter: 'none' } })
    socket.on('status', () => {
      throw new Error('bad listener')
    })
    await tick()
    server.lastConnection!.terminate()
    await tick(1000)
    expect(socket.status).toBe('open')
    expect(server.connections).toHaveLength(2)
  })

  test('is re-thrown in a microtask where there is no reportError', async () => {
    vi.unstubAllGlobals()
    const g = globalThis as { reportError?: unknown }
    const saved = g.reportError
    delete g.reportError
    const thrown: unknown[] = []
    const original = globalThis.queueMicrotask
    globalThis.queueMicrotask = (fn: () => void) =>
      original(() => {
        try {
          fn()
        } catch (e) {
          thrown.push(e)
        }
      })
    try {
      const { socket } = setup()
      socket.on('open', () => {
        throw new Error('late')
      })
      await tick()
      expect(thrown).toEqual([expect.objectContaining({ message: 'late' })])
    } finally {
      globalThis.queueMicrotask = original
      if (saved) g.reportError = saved
    }
  })
})

describe('WebSocket-compatible surface', () => {
  test('on* properties receive raw events', async () => {
    const { socket, server } = setup({ codec: json() })
    const seen: string[] = []
    socket.onopen = (e) => seen.push(e.type)
    socket.onmessage = (e) => seen.push(`message:${String(e.data)}`)
    socket.onclose = (e) => seen.push(`close:${e.code}`)
    socket.onerror = (e) => seen.push(`error:${e.error.name}`)
    await tick()
    server.lastConnection!.send('{"a":1}')
    await tick()
    server.lastConnection!.fail()
    await tick()
    expect(seen).toEqual(['open', 'message:{"a":1}', 'error:ConnectError', 'close:1006'])
    socket.close()
  })

  test('onmessage sees a frame the codec could not decode, raw, like a native socket', async () => {
    const { socket, server } = setup({ codec: json() })
    const raw: unknown[] = []
    const typed = vi.fn()
    socket.onmessage = (e) => raw.push(e.data)
    socket.on('message', typed)
    await tick()
    server.lastConnection!.send('not json')
    await tick()
    expect(raw).toEqual(['not json'])
    expect(typed).not.toHaveBeenCalled()
  })

  test('addEventListener supports functions, handleEvent objects and once', async () => {
    const { socket, server } = setup()
    const fn = vi.fn()
    const obj = { handleEvent: vi.fn() }
    const once = vi.fn()
    socket.addEventListener('message', fn)
    socket.addEventListener('message', fn) // a duplicate is ignored, as with EventTarget
    socket.addEventListener('message', obj)
    socket.addEventListener('message', once, { once: true })
    await tick()
    server.lastConnection!.send('a')
    server.lastConnection!.send('b')
    await tick()
    expect(fn).toHaveBeenCalledTimes(2)
    expect(obj.handleEvent).toHaveBeenCalledTimes(2)
    expect(once).toHaveBeenCalledTimes(1)
    expect(fn.mock.calls[0]![0]).toMatchObject({ type: 'message', data: 'a', target: socket })
    socket.removeEventListener('message', fn)
    server.lastConnection!.send('c')
    await tick()
    expect(fn).toHaveBeenCalledTimes(2)
  })

  test('works without global EventTarget, Event and MessageEvent', async () => {
    vi.stubGlobal('EventTarget', undefined)
    vi.stubGlobal('Event', undefined)
    vi.stubGlobal('MessageEvent', undefined)
    vi.stubGlobal('CloseEvent', undefined)
    const { socket, server } = setup()
    const got: unknown[] = []
    socket.addEventListener('message', (e) => got.push(e.data))
    socket.onclose = (e) => got.push(e.code)
    await tick()
    server.lastConnection!.send('x')
    await tick()
    socket.close()
    await tick()
    expect(got).toEqual(['x', 1000])
  })
})

describe('codecs', () => {
  type Msg = { n: number }
  test('json() encodes sends and decodes messages', async () => {
    const { socket, server } = setup<Msg, Msg>({ codec: json<Msg>() })
    const got: Msg[] = []
    socket.on('message', (m) => got.push(m))
    socket.send({ n: 1 })
    await tick()
    expect(server.received).toEqual(['{"n":1}'])
    server.lastConnection!.send('{"n":2}')
    await tick()
    expect(got).toEqual([{ n: 2 }])
  })

  test('a frame that fails to decode is a DecodeError with the raw data; the socket stays up', async () => {
    const { socket, server } = setup<Msg, Msg>({ codec: json<Msg>() })
    const errors: unknown[] = []
    const got: Msg[] = []
    socket.on('error', (e) => errors.push(e))
    socket.on('message', (m) => got.push(m))
    await tick()
    server.lastConnection!.send('not json')
    server.lastConnection!.send(new Uint8Array([1, 2]).buffer)
    server.lastConnection!.send('{"n":3}')
    await tick()
    expect(errors).toHaveLength(2)
    expect(errors[0]).toMatchObject({ name: 'DecodeError', data: 'not json' })
    expect((errors[0] as Error).cause).toBeInstanceOf(SyntaxError)
    expect(errors[1]).toMatchObject({
      name: 'DecodeError',
      message: expect.stringContaining('binary'),
    })
    expect(got).toEqual([{ n: 3 }])
    expect(socket.status).toBe('open')
  })

  test('raw mode passes frames through untouched', async () => {
    const { socket, server } = setup({ binaryType: 'arraybuffer' })
    const got: unknown[] = []
    socket.on('message', (m) => got.push(m))
    await tick()
    const buf = new Uint8Array([7]).buffer
    server.lastConnection!.send(buf)
    await tick()
    expect(got[0]).toBeInstanceOf(ArrayBuffer)
    expect(new Uint8Array(got[0] as ArrayBuffer)).toEqual(new Uint8Array([7]))
  })
})

test('the error event carries a SteadySocketError with a clear message', async () => {
  const { socket, server } = setup()
  const errors: Error[] = []
  socket.on('error', (e) => errors.push(e))
  await tick()
  server.lastConnection!.fail()
  await tick()
  expect(errors[0]!.message).toContain('ws://example.test/live')
  expect(errors[0]).toBeInstanceOf(Error)
  socket.close()
})
