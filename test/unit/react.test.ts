import { act, cleanup, render } from '@testing-library/react'
import { createElement, StrictMode, useEffect } from 'react'
import { afterEach, beforeEach, describe, expect, expectTypeOf, test, vi } from 'vitest'
import { json, SteadySocket, type Snapshot } from '../../src/index'
import { useSocketState, useSteadySocket, type UseSteadySocketResult } from '../../src/react'
import { FakeServer } from '../../src/testing/index'
import { tick } from './helpers'
import { flush, mount as mountHook, type Props } from './react-mount'

const URL_A = 'ws://example.test/a'
const URL_B = 'ws://example.test/b'

let server: FakeServer

beforeEach(() => {
  vi.useFakeTimers()
  server = new FakeServer()
})
afterEach(async () => {
  cleanup()
  await act(() => tick())
  vi.useRealTimers()
})

const mount = (props: Props, options?: { strict?: boolean }) => mountHook(server, props, options)

describe('useSteadySocket', () => {
  test('makes exactly one socket and one connection under StrictMode, and keeps it open', async () => {
    const probe = mount({ url: URL_A })
    await flush()
    expect(server.connections).toHaveLength(1)
    expect(server.maxConcurrent).toBe(1)
    expect(probe.last.status).toBe('open')
    expect(probe.last.socket?.status).toBe('open')
    expect(new Set(probe.results.map((r) => r.socket).filter(Boolean)).size).toBe(1)
    await flush(60_000)
    expect(server.connections).toHaveLength(1)
    expect(server.lastConnection!.state).toBe('open')
    expect(probe.text()).toBe('open ')
  })

  test('renders closed without a socket before its effect, then connects', () => {
    const seen: (string | null)[] = []
    function Probe() {
      const { status, socket } = useSteadySocket(URL_A, { WebSocket: server.WebSocket })
      seen.push(`${status}:${socket === null ? 'none' : 'socket'}`)
      return null
    }
    render(createElement(Probe))
    expect(seen[0]).toBe('closed:none')
    expect(seen.at(-1)).toBe('connecting:socket')
    expect(server.connections).toHaveLength(1)
  })

  test('does not reconnect when handlers change identity, and calls the latest ones', async () => {
    const first = vi.fn()
    const probe = mount({ url: URL_A, options: { onMessage: first, onOpen: () => {} } })
    await flush()
    const second = vi.fn()
    for (let i = 0; i < 3; i++) {
      probe.update({ url: URL_A, options: { onMessage: second, onOpen: () => {} } })
      await flush()
    }
    server.lastConnection!.send('hi')
    await flush()
    expect(server.connections).toHaveLength(1)
    expect(first).not.toHaveBeenCalled()
    expect(second).toHaveBeenCalledWith('hi', probe.last.socket)
  })

  test('does not reconnect when option objects change identity but not value', async () => {
    const options = () => ({
      reconnect: { initialDelay: 500, jitter: 'none' as const, maxRetries: Infinity },
      queue: { maxMessages: Infinity },
      protocols: ['chat', 'v2'],
      heartbeat: { interval: 30000, isPong: (raw: unknown) => raw === 'pong' },
      codec: json(),
      handshake: () => {},
    })
    const probe = mount({ url: URL_A, options: options() })
    await flush()
    for (let i = 0; i < 3; i++) {
      probe.update({ url: URL_A, options: options() })
      await flush()
    }
    expect(server.connections).toHaveLength(1)
    expect(probe.last.status).toBe('open')
  })

  test('recreates the socket when a connection option changes by value, one live at a time', async () => {
    const probe = mount({ url: URL_A, options: { protocols: 'v1' } })
    await flush()
    const before = probe.last.socket
    probe.update({ url: URL_A, options: { protocols: 'v2' } })
    await flush()
    expect(server.connections.map((c) => c.protocols[0])).toEqual(['v1', 'v2'])
    expect(server.connections[0]!.state).toBe('closed')
    expect(server.maxConcurrent).toBe(1)
    expect(probe.last.socket).not.toBe(before)
    expect(before?.status).toBe('closed')
    expect(probe.last.status).toBe('open')
  })

  test('calls function options from the latest render (no stale closure, no reconnect)', async () => {
    const sent: string[] = []
    const options = (token: string) => ({
      reconnect: { initialDelay: 100, jitter: 'none' as const },
      handshake: (s: SteadySocket<unknown, unknown>) => void s.send(`auth ${token}`),
    })
    const probe = mount({ url: URL_A, options: options('t1') })
    await flush()
    probe.update({ url: URL_A, options: options('t2') })
    await flush()
    server.lastConnection!.terminate()
    await flush(200)
    for (const c of server.connections) sent.push(...(c.received as string[]))
    expect(sent).toEqual(['auth t1', 'auth t2'])
    expect(server.maxConcurrent).toBe(1)
  })

  test('calls codec methods on the latest codec object, as `this`', async () => {
    // Equal as JSON (functions only), so the same socket throughout.
    const codec = (prefix: string) => ({
      tag: () => prefix,
      encode(this: { tag(): string }, m: unknown) {
        return `${this.tag()}${String(m)}`
      },
      decode: (raw: unknown) => raw,
    })
    const probe = mount({ url: URL_A, options: { codec: codec('1:') } })
    await flush()
    probe.last.send('a')
    probe.update({ url: URL_A, options: { codec: codec('2:') } })
    await flush()
    probe.last.send('b')
    expect(server.connections).toHaveLength(1)
    expect(server.lastConnection!.received).toEqual(['1:a', '2:b'])
  })

  test('reads a URL provider from the latest render on every attempt', async () => {
    // Each render passes a new provider closing over that render's token.
    const props = (token: string): Props => ({
      url: () => `ws://example.test/live?token=${token}`,
      options: { reconnect: { initialDelay: 100, jitter: 'none' } },
    })
    const probe = mount(props('a'))
    await flush()
    probe.update(props('b'))
    await flush()
    expect(server.connections).toHaveLength(1)
    server.lastConnection!.terminate()
    await flush(200)
    expect(server.connections.map((c) => c.url)).toEqual([
      'ws://example.test/live?token=a',
      'ws://example.test/live?token=b',
    ])
  })

  test('reconnects when the URL changes, closing the old socket first', async () => {
    const probe = mount({ url: URL_A })
    await flush()
    server.lastConnection!.send('from a')
    await flush()
    expect(probe.last.lastMessage).toBe('from a')
    probe.update({ url: URL_B })
    await flush()
    expect(server.connections.map((c) => c.url)).toEqual([URL_A, URL_B])
    expect(server.connections[0]!.state).toBe('closed')
    expect(server.connections[0]!.closeCode).toBe(1000)
    expect(server.maxConcurrent).toBe(1)
    expect(server.live).toHaveLength(1)
    expect(probe.last.status).toBe('open')
    expect(probe.last.lastMessage).toBeUndefined()
  })

  test('makes no socket for a null URL, and closes the socket when the URL becomes null', async () => {
    const probe = mount({ url: null })
    await flush()
    expect(server.connections).toHaveLength(0)
    expect(probe.last.socket).toBeNull()
    expect(probe.last.status).toBe('closed')
    expect(probe.last.send('x')).toBe('dropped')
    probe.update({ url: URL_A })
    await flush()
    expect(probe.last.status).toBe('open')
    probe.update({ url: null })
    await flush()
    expect(probe.last.socket).toBeNull()
    expect(probe.last.status).toBe('closed')
    expect(server.live).toHaveLength(0)
    expect(server.connections).toHaveLength(1)
  })

  test('closes the connection on unmount', async () => {
    const probe = mount({ url: URL_A })
    await flush()
    const socket = probe.last.socket!
    probe.unmount()
    await flush()
    expect(server.lastConnection!.state).toBe('closed')
    expect(server.lastConnection!.closeCode).toBe(1000)
    expect(socket.status).toBe('closed')
    expect(socket.send('late')).toBe('dropped')
    await flush(60_000)
    expect(server.connections).toHaveLength(1)
  })

  test('onMessage sees every message of a burst while renders are batched', async () => {
    const N = 1000
    const got: unknown[] = []
    const probe = mount({ url: URL_A, options: { onMessage: (m) => got.push(m) } })
    await flush()
    const renders = probe.results.length
    for (let i = 0; i < N; i++) server.lastConnection!.send(`m${i}`)
    await flush()
    expect(got).toHaveLength(N)
    expect(got[0]).toBe('m0')
    expect(got[N - 1]).toBe(`m${N - 1}`)
    expect(probe.last.lastMessage).toBe(`m${N - 1}`)
    expect(probe.results.length - renders).toBeLessThan(N / 10)
  })

  test('calls onOpen, onClose and onError with the socket', async () => {
    const log: string[] = []
    const probe = mount({
      url: URL_A,
      options: {
        reconnect: { initialDelay: 100, jitter: 'none' },
        onOpen: (e) => log.push(`open ${e.isReconnect}`),
        onClose: (e) => log.push(`close ${e.code} ${e.willReconnect}`),
        onError: (e) => log.push(`error ${e.name}`),
      },
    })
    await flush()
    server.lastConnection!.fail()
    await flush(200)
    expect(log).toEqual(['open false', 'error ConnectError', 'close 1006 true', 'open true'])
    expect(probe.last.status).toBe('open')
  })

  test('returns stable send/open/close/reconnect callbacks', async () => {
    const probe = mount({ url: URL_A })
    await flush()
    probe.update({ url: URL_B })
    await flush()
    const { send, open, close, reconnect } = probe.results[0]!
    expect(probe.results.every((r) => r.send === send && r.open === open)).toBe(true)
    expect(probe.results.every((r) => r.close === close && r.reconnect === reconnect)).toBe(true)
    expect(send('to b')).toBe('sent')
    expect(server.lastConnection!.received).toEqual(['to b'])
    close()
    await flush()
    expect(probe.last.status).toBe('closed')
    open()
    await flush()
    expect(probe.last.status).toBe('open')
    reconnect()
    await flush()
    expect(server.connections).toHaveLength(4)
    expect(server.maxConcurrent).toBe(1)
  })

  test("queues a child's send that runs before the hook's effect, in order", async () => {
    function Child({ send }: { send: (data: string) => unknown }) {
      useEffect(() => {
        send('first')
        send('second')
      }, [send])
      return null
    }
    function Parent() {
      const { send } = useSteadySocket<string, string>(URL_A, { WebSocket: server.WebSocket })
      return createElement(Child, { send })
    }
    render(createElement(StrictMode, null, createElement(Parent)))
    await flush()
    // StrictMode runs the child's effect twice.
    expect(server.lastConnection!.received).toEqual(['first', 'second', 'first', 'second'])
    expect(server.connections).toHaveLength(1)
  })

  test('with autoConnect false, connects only on open()', async () => {
    const probe = mount({ url: URL_A, options: { autoConnect: false } })
    await flush(1000)
    expect(server.connections).toHaveLength(0)
    expect(probe.last.socket).not.toBeNull()
    probe.last.open()
    await flush()
    expect(probe.last.status).toBe('open')
  })

  describe('share', () => {
    test('gives one ref-counted socket per URL across components, closed with the last user', async () => {
      const a = mount({ url: URL_A, options: { share: true } })
      const b = mount({ url: URL_A, options: { share: true } })
      await flush()
      expect(server.connections).toHaveLength(1)
      expect(a.last.socket).toBe(b.last.socket)
      expect(a.last.status).toBe('open')
      a.unmount()
      await flush()
      expect(server.lastConnection!.state).toBe('open')
      expect(b.last.status).toBe('open')
      b.unmount()
      await flush()
      expect(server.lastConnection!.state).toBe('closed')
      expect(server.connections).toHaveLength(1)
    })

    test('delivers messages to every user and makes a new socket after the last left', async () => {
      const got: string[] = []
      const a = mount({ url: URL_A, options: { share: true, onMessage: () => got.push('a') } })
      const b = mount({ url: URL_A, options: { share: true, onMessage: () => got.push('b') } })
      await flush()
      server.lastConnection!.send('x')
      await flush()
      expect(got.sort()).toEqual(['a', 'b'])
      expect(a.last.lastMessage).toBe('x')
      expect(b.last.lastMessage).toBe('x')
      a.unmount()
      b.unmount()
      await flush()
      const c = mount({ url: URL_A, options: { share: true } })
      await flush()
      expect(server.connections).toHaveLength(2)
      expect(server.maxConcurrent).toBe(1)
      expect(c.last.status).toBe('open')
    })

    test('keeps sockets of different URLs or options apart, and unshared ones private', async () => {
      mount({ url: URL_A, options: { share: true } })
      mount({ url: URL_B, options: { share: true } })
      mount({ url: URL_A, options: { share: true, protocols: 'other' } })
      mount({ url: URL_A })
      mount({ url: URL_A })
      await flush()
      expect(server.connections).toHaveLength(5)
    })

    test('keeps sockets with URL providers private', async () => {
      mount({ url: () => URL_A, options: { share: true } })
      mount({ url: () => URL_B, options: { share: true } })
      await flush()
      expect(server.connections.map((c) => c.url)).toEqual([URL_A, URL_B])
    })

    test('a user that switches URL releases the shared socket it left', async () => {
      const a = mount({ url: URL_A, options: { share: true } })
      await flush()
      a.update({ url: URL_B, options: { share: true } })
      await flush()
      expect(server.connections.map((c) => [c.url, c.state])).toEqual([
        [URL_A, 'closed'],
        [URL_B, 'open'],
      ])
      expect(server.maxConcurrent).toBe(1)
    })
  })
})

describe('useSteadySocket: edges', () => {
  test('React: an option object with the same value but another key order does not reconnect', async () => {
    // API.md: "new handler or option-object identities never reconnect (only url/protocols/
    // connection options by value)". Same value, keys spread in another order.
    const probe = mount({
      url: URL_A,
      options: { reconnect: { initialDelay: 500, maxDelay: 9000 }, connectTimeout: 5000 },
    })
    await flush()
    probe.update({
      url: URL_A,
      options: { connectTimeout: 5000, reconnect: { maxDelay: 9000, initialDelay: 500 } },
    })
    await flush()
    expect(server.connections).toHaveLength(1)
    expect(probe.last.status).toBe('open')
  })

  test('React: a URL object and the equal string are the same URL (no reconnect)', async () => {
    const probe = mount({ url: new URL(URL_A) })
    await flush()
    probe.update({ url: new URL(URL_A) })
    await flush()
    probe.update({ url: URL_A })
    await flush()
    expect(server.connections).toHaveLength(1)
    expect(probe.last.status).toBe('open')
  })

  test('React: unmount while connecting leaves no connection and never opens', async () => {
    server.mode = 'manual'
    const probe = mount({ url: URL_A })
    await flush()
    expect(server.connections).toHaveLength(1)
    const socket = probe.last.socket!
    probe.unmount()
    await flush()
    expect(socket.status).toBe('closed')
    server.lastConnection!.accept() // too late: the client gave up
    await flush(60_000)
    expect(server.live).toHaveLength(0)
    expect(server.connections).toHaveLength(1)
  })

  test('React: share under StrictMode gives one socket for two components, closed with the last', async () => {
    const a = mount({ url: URL_A, options: { share: true } })
    const b = mount({ url: URL_A, options: { share: true } })
    await flush()
    expect(server.connections).toHaveLength(1)
    expect(a.last.socket).toBe(b.last.socket)
    b.unmount()
    await flush()
    expect(server.lastConnection!.state).toBe('open')
    a.unmount()
    await flush()
    expect(server.lastConnection!.state).toBe('closed')
    expect(server.connections).toHaveLength(1)
  })

  test('React: close() from the hook survives re-renders with new option identities', async () => {
    const opts = () => ({ reconnect: { initialDelay: 100 }, onOpen: () => {} })
    const probe = mount({ url: URL_A, options: opts() })
    await flush()
    probe.last.close(4000, 'user')
    await flush()
    for (let i = 0; i < 3; i++) {
      probe.update({ url: URL_A, options: opts() })
      await flush(1000)
    }
    expect(probe.last.status).toBe('closed')
    expect(server.connections).toHaveLength(1)
    expect(server.lastConnection!.closeCode).toBe(4000)
  })

  test('React: a handler removed in a later render is no longer called', async () => {
    const onMessage = vi.fn()
    const probe = mount({ url: URL_A, options: { onMessage } })
    await flush()
    probe.update({ url: URL_A, options: {} })
    await flush()
    server.lastConnection!.send('x')
    await flush()
    expect(onMessage).not.toHaveBeenCalled()
    expect(probe.last.lastMessage).toBe('x')
  })
})

// ---------------------------------------------------------------------------------------------
// Vue
// ---------------------------------------------------------------------------------------------

describe('useSocketState', () => {
  test('follows a socket made elsewhere, re-rendering on every change', async () => {
    const socket = new SteadySocket('ws://example.test/own', {
      WebSocket: server.WebSocket,
      reconnect: { initialDelay: 100, jitter: 'none' },
    })
    const seen: Snapshot[] = []
    function Probe() {
      const snapshot = useSocketState(socket)
      seen.push(snapshot)
      return null
    }
    render(createElement(StrictMode, null, createElement(Probe)))
    expect(seen.at(-1)!.status).toBe('connecting')
    await flush()
    expect(seen.at(-1)!.status).toBe('open')
    server.lastConnection!.fail()
    await flush()
    expect(seen.at(-1)).toMatchObject({ status: 'reconnecting', attempt: 1 })
    expect(seen.at(-1)!.lastError?.name).toBe('ConnectError')
    expect(seen.at(-1)).toBe(socket.getSnapshot())
    socket.dispose()
  })

  test('gives a closed snapshot for null', () => {
    let snapshot: Snapshot | undefined
    function Probe() {
      snapshot = useSocketState(null)
      return null
    }
    render(createElement(Probe))
    expect(snapshot).toEqual({
      status: 'closed',
      readyState: 3,
      attempt: 0,
      url: '',
      lastClose: null,
      lastError: null,
    })
  })

  test('types follow the socket', () => {
    expectTypeOf(useSocketState).returns.toEqualTypeOf<Snapshot>()
    type Result = UseSteadySocketResult<{ price: number }, { ask: string }>
    expectTypeOf<Result['lastMessage']>().toEqualTypeOf<{ price: number } | undefined>()
    expectTypeOf<Result['send']>().parameter(0).toEqualTypeOf<{ ask: string }>()
  })
})
