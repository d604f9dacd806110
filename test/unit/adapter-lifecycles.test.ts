// The adapters through app lifecycles, from a second audit against API.md "Adapters", the README
// and the TSDoc: URL changes and logouts while children send, codec class instances (cycles,
// their own state), removed functions, shared sockets under StrictMode, Vue URL changes while
// retrying, Svelte stores through subscribe cycles, and SSR.
import { act, cleanup, render } from '@testing-library/react'
import { derived, get } from 'svelte/store'
import { createElement, StrictMode, useEffect, useLayoutEffect, useState } from 'react'
import { renderToString as reactRenderToString } from 'react-dom/server'
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest'
import {
  createSSRApp,
  defineComponent,
  effectScope,
  h,
  isReactive,
  isShallow,
  nextTick,
  ref,
} from 'vue'
import { renderToString as vueRenderToString } from 'vue/server-renderer'
import { SteadySocket, type Snapshot } from '../../src/index'
import { useSocketState, useSteadySocket, type UseSteadySocketOptions } from '../../src/react'
import { steadySocketStore } from '../../src/svelte'
import { FakeServer } from '../../src/testing/index'
import { useSteadySocket as useVueSocket } from '../../src/vue'
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
  vi.restoreAllMocks()
})

const mount = (props: Props, options?: { strict?: boolean }) => mountHook(server, props, options)

// ---------------------------------------------------------------------------------------------
// React
// ---------------------------------------------------------------------------------------------

describe('React useSteadySocket: send before the socket exists', () => {
  test("React: a child's effect send during a URL change waits for the NEW socket (not the old one)", async () => {
    // TSDoc of `send`: "Before the socket exists (a child's effect runs before this hook's), the
    // message waits and goes to the socket once made ('queued')". README: "send before the socket
    // exists (a child's effect runs before its parent's) waits and goes out first once the socket
    // is made". A child keyed on the room joins the room in its effect.
    const results: unknown[] = []
    function Child({ room, send }: { room: string; send: (d: string) => unknown }) {
      useEffect(() => {
        results.push(send(`join ${room}`))
      }, [room, send])
      return null
    }
    function Parent({ room }: { room: string }) {
      const { send } = useSteadySocket<string, string>(`ws://example.test/${room}`, {
        WebSocket: server.WebSocket,
      })
      return createElement(Child, { key: room, room, send })
    }
    const view = render(createElement(Parent, { room: 'a' }))
    await flush()
    view.rerender(createElement(Parent, { room: 'b' }))
    await flush()
    const [a, b] = server.connections
    expect(a!.url).toBe(URL_A)
    expect(b!.url).toBe(URL_B)
    // 'join b' belongs to room b's socket; it must not go to room a's (about to be disposed).
    expect(a!.received).toEqual(['join a'])
    expect(b!.received).toEqual(['join b'])
    expect(results).toEqual(['queued', 'queued'])
  })

  test("React: after the URL went null and back (logout, login), a child's effect send is queued, not dropped", async () => {
    // TSDoc: send before the socket exists waits ('queued'); 'dropped' only "with a null URL".
    const results: unknown[] = []
    function Child({ send }: { send: (d: string) => unknown }) {
      useEffect(() => {
        results.push(send('hello'))
      }, [send])
      return null
    }
    function Parent({ url }: { url: string | null }) {
      const { send } = useSteadySocket<string, string>(url, { WebSocket: server.WebSocket })
      return url === null ? null : createElement(Child, { send })
    }
    const view = render(createElement(Parent, { url: URL_A }))
    await flush()
    view.rerender(createElement(Parent, { url: null }))
    await flush()
    view.rerender(createElement(Parent, { url: URL_A }))
    await flush()
    expect(server.connections).toHaveLength(2)
    expect(results).toEqual(['queued', 'queued'])
    expect(server.connections[1]!.received).toEqual(['hello'])
  })

  test('React: with share in StrictMode, early sends of two users are each delivered once', async () => {
    function Child({ tag, send }: { tag: string; send: (d: string) => unknown }) {
      useEffect(() => {
        send(tag)
      }, [tag, send])
      return null
    }
    function User({ tag }: { tag: string }) {
      const { send } = useSteadySocket<string, string>(URL_A, {
        WebSocket: server.WebSocket,
        share: true,
      })
      return createElement(Child, { tag, send })
    }
    render(
      createElement(
        StrictMode,
        null,
        createElement(User, { tag: 'x' }),
        createElement(User, { tag: 'y' }),
      ),
    )
    await flush()
    expect(server.connections).toHaveLength(1)
    // StrictMode runs each child's effect twice: x, x, y, y (in some interleaving), no more.
    expect([...server.lastConnection!.received].sort()).toEqual(['x', 'x', 'y', 'y'])
  })
})

describe('React useSteadySocket: options by value, functions from the latest render', () => {
  test('React: a codec class instance holding a circular structure (e.g. a protobuf root) can be passed', async () => {
    // TSDoc: "WebSocket and class instances (a codec class, binary ping data) are used as the
    // creating render passed them". A protobufjs-style codec holds types that point back at their
    // parent: comparing options "as JSON" must not make the hook throw.
    class ProtoCodec {
      root: { nested: Record<string, unknown> }
      constructor() {
        this.root = { nested: {} }
        this.root.nested.Msg = { parent: this.root }
      }
      encode(m: unknown) {
        return String(m)
      }
      decode(raw: unknown) {
        return raw
      }
    }
    const codec = new ProtoCodec()
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {})
    let probe: ReturnType<typeof mount> | undefined
    expect(() => {
      probe = mount({ url: URL_A, options: { codec } })
    }).not.toThrow()
    await flush()
    expect(probe?.last.status).toBe('open')
    expect(server.connections).toHaveLength(1)
    errors.mockRestore()
  })

  test('React: the same codec instance, whose own state changes as it works, never reconnects', async () => {
    // README: "New object or callback identities on every render never reconnect"; TSDoc: class
    // instances "are used as the creating render passed them". Here not even the identity
    // changes: one module-level codec instance that counts what it encoded.
    class CountingCodec {
      encoded = 0
      encode(m: unknown) {
        this.encoded++
        return String(m)
      }
      decode(raw: unknown) {
        return raw
      }
    }
    const codec = new CountingCodec()
    const probe = mount({ url: URL_A, options: { codec } })
    await flush()
    expect(probe.last.send('one')).toBe('sent')
    probe.update({ url: URL_A, options: { codec } }) // same instance, any re-render
    await flush()
    expect(server.connections).toHaveLength(1)
    expect(server.connections[0]!.state).toBe('open')
  })

  test('React: a shouldReconnect removed in the latest render is no longer called (no stale function)', async () => {
    // README: every function inside the options is "called from the latest render, so they never
    // see stale props or state". Removing one is a change of the options (functions count by
    // presence): the socket is recreated without it, and the default policy applies.
    const stop = vi.fn(() => false)
    const probe = mount({
      url: URL_A,
      options: { reconnect: { initialDelay: 100, jitter: 'none', shouldReconnect: stop } },
    })
    await flush()
    probe.update({ url: URL_A, options: { reconnect: { initialDelay: 100, jitter: 'none' } } })
    await flush()
    expect(server.connections).toHaveLength(2) // recreated without the function
    server.lastConnection!.terminate()
    await flush(500)
    expect(stop).not.toHaveBeenCalled()
    expect(server.connections).toHaveLength(3)
    expect(probe.last.status).toBe('open')
  })

  test('React: protocols arrays and nested options are compared by value', async () => {
    const probe = mount({
      url: URL_A,
      options: { protocols: ['a', 'b'], reconnect: { maxDelay: 9000 } },
    })
    await flush()
    probe.update({ url: URL_A, options: { protocols: ['a', 'b'], reconnect: { maxDelay: 9000 } } })
    await flush()
    expect(server.connections).toHaveLength(1)
    probe.update({ url: URL_A, options: { protocols: ['a', 'c'], reconnect: { maxDelay: 9000 } } })
    await flush()
    expect(server.connections.map((c) => c.protocols)).toEqual([
      ['a', 'b'],
      ['a', 'c'],
    ])
    probe.update({ url: URL_A, options: { protocols: ['a', 'c'], reconnect: { maxDelay: 8000 } } })
    await flush()
    expect(server.connections).toHaveLength(3)
    expect(server.maxConcurrent).toBe(1)
    expect(server.live).toHaveLength(1)
    expect(probe.last.status).toBe('open')
  })

  test('React: shouldReconnect and a protocols provider come from the latest render', async () => {
    const opts = (allow: boolean, proto: string): UseSteadySocketOptions<unknown, unknown> => ({
      protocols: () => proto,
      reconnect: { initialDelay: 100, jitter: 'none', shouldReconnect: () => allow },
    })
    const probe = mount({ url: URL_A, options: opts(true, 'p1') })
    await flush()
    probe.update({ url: URL_A, options: opts(true, 'p2') })
    await flush()
    server.lastConnection!.terminate()
    await flush(200)
    expect(server.connections.map((c) => c.protocols[0])).toEqual(['p1', 'p2'])
    probe.update({ url: URL_A, options: opts(false, 'p3') })
    await flush()
    server.lastConnection!.terminate()
    await flush(1000)
    expect(server.connections).toHaveLength(2)
    expect(probe.last.status).toBe('closed')
  })

  test('React: a new socket after an option change starts without lastMessage', async () => {
    const probe = mount({ url: URL_A, options: { connectTimeout: 5000 } })
    await flush()
    server.lastConnection!.send('old')
    await flush()
    expect(probe.last.lastMessage).toBe('old')
    probe.update({ url: URL_A, options: { connectTimeout: 6000 } })
    await flush()
    expect(server.connections).toHaveLength(2)
    expect(probe.last.lastMessage).toBeUndefined()
    expect(probe.last.status).toBe('open')
  })
})

describe('React useSteadySocket: StrictMode and share', () => {
  test('React: a URL set by a layout effect during the StrictMode mount keeps one live socket', async () => {
    function App() {
      const [url, setUrl] = useState<string>(URL_A)
      useLayoutEffect(() => setUrl(URL_B), [])
      const { status } = useSteadySocket(url, { WebSocket: server.WebSocket })
      return createElement('p', null, status)
    }
    render(createElement(StrictMode, null, createElement(App)))
    await flush()
    expect(server.maxConcurrent).toBe(1)
    expect(server.live.map((c) => c.url)).toEqual([URL_B])
    await flush(60_000)
    expect(server.live.map((c) => c.url)).toEqual([URL_B])
  })

  test('React: two shared users switching URL together in StrictMode end on one socket', async () => {
    const seen: (SteadySocket<unknown, unknown> | null)[][] = [[], []]
    function User({ i, url }: { i: number; url: string }) {
      const { socket } = useSteadySocket(url, { WebSocket: server.WebSocket, share: true })
      seen[i]!.push(socket)
      return null
    }
    const tree = (url: string) =>
      createElement(
        StrictMode,
        null,
        createElement(User, { i: 0, url }),
        createElement(User, { i: 1, url }),
      )
    const view = render(tree(URL_A))
    await flush()
    view.rerender(tree(URL_B))
    await flush()
    expect(server.connections.map((c) => [c.url, c.state])).toEqual([
      [URL_A, 'closed'],
      [URL_B, 'open'],
    ])
    expect(seen[0]!.at(-1)).toBe(seen[1]!.at(-1))
    view.unmount()
    await flush()
    expect(server.live).toHaveLength(0)
  })

  test('React: a shared user leaving while another mounts in the same commit hands the socket over', async () => {
    function User() {
      useSteadySocket(URL_A, { WebSocket: server.WebSocket, share: true })
      return null
    }
    function Page({ which }: { which: 'x' | 'y' }) {
      return createElement(User, { key: which })
    }
    const view = render(createElement(StrictMode, null, createElement(Page, { which: 'x' })))
    await flush()
    view.rerender(createElement(StrictMode, null, createElement(Page, { which: 'y' })))
    await flush()
    expect(server.connections).toHaveLength(1)
    expect(server.lastConnection!.state).toBe('open')
  })
})

describe('React useSocketState / SSR', () => {
  test('React: useSocketState follows a socket swap and falls back to closed for null', async () => {
    const a = new SteadySocket(URL_A, { WebSocket: server.WebSocket })
    const b = new SteadySocket(URL_B, { WebSocket: server.WebSocket, autoConnect: false })
    const seen: Snapshot[] = []
    function Probe({ s }: { s: SteadySocket | null }) {
      seen.push(useSocketState(s))
      return null
    }
    const view = render(createElement(Probe, { s: a }))
    await flush()
    expect(seen.at(-1)!.status).toBe('open')
    view.rerender(createElement(Probe, { s: b }))
    expect(seen.at(-1)).toBe(b.getSnapshot())
    // Changes of the old socket no longer matter; those of the new one do.
    a.close()
    b.open()
    await flush()
    expect(seen.at(-1)!.url).toBe(URL_B)
    expect(seen.at(-1)!.status).toBe('open')
    view.rerender(createElement(Probe, { s: null }))
    expect(seen.at(-1)!.status).toBe('closed')
    a.dispose()
    b.dispose()
  })

  test('React: renderToString with share and a URL provider makes no socket and calls no provider', () => {
    const provider = vi.fn(() => URL_A)
    const handshake = vi.fn()
    function App() {
      const a = useSteadySocket(URL_A, { WebSocket: server.WebSocket, share: true, handshake })
      const b = useSteadySocket(provider, { WebSocket: server.WebSocket })
      return createElement('p', null, `${a.status} ${b.status} ${a.send('x')}`)
    }
    const html = reactRenderToString(createElement(StrictMode, null, createElement(App)))
    expect(html).toBe('<p>closed closed queued</p>')
    expect(server.connections).toHaveLength(0)
    expect(provider).not.toHaveBeenCalled()
    expect(handshake).not.toHaveBeenCalled()
  })
})

// ---------------------------------------------------------------------------------------------
// Vue
// ---------------------------------------------------------------------------------------------

function inScope<In = unknown, Out = unknown>(
  url: Parameters<typeof useVueSocket>[0],
  options: Parameters<typeof useVueSocket<In, Out>>[1] = {},
) {
  const scope = effectScope()
  const result = scope.run(() =>
    useVueSocket<In, Out>(url, { WebSocket: server.WebSocket, ...options }),
  )!
  return { scope, ...result }
}

describe('Vue useSteadySocket', () => {
  test('Vue: socket and data are shallow; onOpen, onClose, onError get the socket', async () => {
    const log: string[] = []
    const r = inScope<{ deep: { n: number } }, unknown>(URL_A, {
      codec: { encode: (m) => JSON.stringify(m), decode: (raw) => JSON.parse(raw as string) },
      reconnect: { initialDelay: 100, jitter: 'none' },
      onOpen: (e, s) => log.push(`open ${e.isReconnect} ${s === r.socket.value}`),
      onClose: (e, s) => log.push(`close ${e.code} ${s === r.socket.value}`),
      onError: (e, s) => log.push(`error ${e.name} ${s === r.socket.value}`),
    })
    expect(isShallow(r.socket)).toBe(true)
    expect(isShallow(r.data)).toBe(true)
    await tick()
    server.lastConnection!.send('{"deep":{"n":1}}')
    await tick()
    expect(r.data.value).toEqual({ deep: { n: 1 } })
    expect(isReactive(r.data.value)).toBe(false)
    server.lastConnection!.fail()
    await tick(200)
    expect(log).toEqual([
      'open false true',
      'error ConnectError true',
      'close 1006 true',
      'open true true',
    ])
    r.scope.stop()
  })

  test('Vue: a URL change while the old socket waits to retry cancels that retry', async () => {
    const url = ref(URL_A)
    const r = inScope(url, { reconnect: { initialDelay: 1000, jitter: 'none' } })
    await tick()
    server.lastConnection!.terminate()
    await tick()
    expect(r.status.value).toBe('reconnecting')
    expect(r.attempt.value).toBe(1)
    url.value = URL_B
    await nextTick()
    expect(r.attempt.value).toBe(0)
    await tick(5000)
    expect(server.connections.map((c) => c.url)).toEqual([URL_A, URL_B])
    expect(r.status.value).toBe('open')
    r.scope.stop()
  })

  test('Vue: onMessage sees every message of the new socket after a URL change', async () => {
    const got: unknown[] = []
    const url = ref(URL_A)
    const r = inScope(url, { onMessage: (m) => got.push(m) })
    await tick()
    const old = server.lastConnection!
    url.value = URL_B
    await nextTick()
    await tick()
    for (let i = 0; i < 50; i++) server.lastConnection!.send(`m${i}`)
    await tick()
    expect(got).toHaveLength(50)
    expect(r.data.value).toBe('m49')
    expect(old.state).toBe('closed')
    r.scope.stop()
  })

  test('Vue: server rendering a nested component with a ref URL makes no socket and no warning', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    const Child = defineComponent({
      setup() {
        const url = ref<string | null>(URL_A)
        const { status, socket, send } = useVueSocket(url, { WebSocket: server.WebSocket })
        return () => h('i', `${status.value} ${socket.value === null} ${send('x')}`)
      },
    })
    const App = defineComponent({ setup: () => () => h('div', [h(Child)]) })
    const html = await vueRenderToString(createSSRApp(App))
    expect(html).toBe('<div><i>closed true dropped</i></div>')
    expect(server.connections).toHaveLength(0)
    expect(warn).not.toHaveBeenCalled()
  })
})

// ---------------------------------------------------------------------------------------------
// Svelte
// ---------------------------------------------------------------------------------------------

function store(options: Parameters<typeof steadySocketStore>[1] = {}) {
  return steadySocketStore(URL_A, { WebSocket: server.WebSocket, ...(options as object) })
}

describe('Svelte steadySocketStore', () => {
  test('Svelte: opens exactly a microtask after the first subscriber, not synchronously', async () => {
    const feed = store()
    const off = feed.subscribe(() => {})
    expect(server.connections).toHaveLength(0)
    expect(get(feed).status).toBe('closed')
    await Promise.resolve()
    expect(feed.socket.status).toBe('connecting')
    expect(get(feed).status).toBe('connecting')
    off()
    await tick()
    expect(server.live).toHaveLength(0)
  })

  test('Svelte: the socket getter makes the socket lazily, once, without connecting', async () => {
    const feed = store()
    const s = feed.socket
    expect(feed.socket).toBe(s)
    await tick()
    expect(server.connections).toHaveLength(0)
    const off = feed.subscribe(() => {})
    await tick()
    expect(feed.socket).toBe(s)
    expect(s.status).toBe('open')
    off()
    await tick()
    expect(s.status).toBe('closed')
  })

  test('Svelte: the last subscriber leaving while a retry waits stops all retries', async () => {
    const feed = store({ reconnect: { initialDelay: 1000, jitter: 'none' } })
    const off = feed.subscribe(() => {})
    await tick()
    server.lastConnection!.terminate()
    await tick()
    expect(get(feed)).toMatchObject({ status: 'reconnecting', attempt: 1 })
    off()
    await tick(60_000)
    expect(server.connections).toHaveLength(1)
    expect(get(feed).status).toBe('closed')
  })

  test('Svelte: derived() over two stores, and get() of an open store, see live values', async () => {
    const a = store()
    const b = steadySocketStore(URL_B, { WebSocket: server.WebSocket })
    const both = derived([a, b], ([$a, $b]) => `${$a.status}/${$b.status}`)
    const seen: string[] = []
    const off = both.subscribe((v) => seen.push(v))
    await tick()
    expect(seen.at(-1)).toBe('open/open')
    expect(get(a).status).toBe('open')
    expect(server.live).toHaveLength(2)
    off()
    await tick()
    expect(server.live).toHaveLength(0)
  })

  test('Svelte: open() then close() hands lifecycle back to subscribers', async () => {
    const feed = store()
    feed.open()
    feed.close()
    const off = feed.subscribe(() => {})
    await tick()
    expect(get(feed).status).toBe('open')
    off()
    await tick()
    expect(get(feed).status).toBe('closed')
    expect(server.live).toHaveLength(0)
  })
})
