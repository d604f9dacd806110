// Edges of the Vue and Svelte adapters, TabSocket's SteadySocket surface and the test kit, found
// by an audit against API.md and the README: URL equality, store subscription cycles, the members
// a TabSocket must share, and browser-faithful fake sockets. (React's are in react.test.ts.)
import { get } from 'svelte/store'
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest'
import { createApp, defineComponent, effectScope, h, nextTick, ref } from 'vue'
import { SteadySocket } from '../../src/index'
import { steadySocketStore, type SteadySocketStoreValue } from '../../src/svelte'
import { TabSocket, type TabSocketOptions } from '../../src/tabs'
import { FakeServer, FakeWebSocket } from '../../src/testing/index'
import { useSteadySocket as useVueSocket } from '../../src/vue'
import { settle, tabGroup } from './fake-tabs'
import { tick } from './helpers'

const URL_A = 'ws://example.test/a'

let server: FakeServer
const made: { dispose(): void }[] = []

beforeEach(() => {
  vi.useFakeTimers()
  server = new FakeServer()
})
afterEach(async () => {
  await tick()
  for (const s of made.splice(0)) s.dispose()
  vi.useRealTimers()
  vi.unstubAllGlobals()
  vi.restoreAllMocks()
})

describe('Vue useSteadySocket', () => {
  test('Vue: a URL ref set to an equal URL (new URL object, same href) does not reconnect', async () => {
    // API.md: "reconnects when the url changes". The URL did not change.
    const url = ref<URL | string | null>(new URL(URL_A))
    const scope = effectScope()
    const r = scope.run(() => useVueSocket(url, { WebSocket: server.WebSocket }))!
    await tick()
    url.value = new URL(URL_A)
    await nextTick()
    await tick()
    expect(server.connections).toHaveLength(1)
    expect(r.status.value).toBe('open')
    scope.stop()
  })

  test('Vue: disposing the scope while connecting leaves no connection', async () => {
    server.mode = 'manual'
    const scope = effectScope()
    const r = scope.run(() => useVueSocket(URL_A, { WebSocket: server.WebSocket }))!
    const s = r.socket.value!
    scope.stop()
    server.lastConnection!.accept()
    await tick(60_000)
    expect(s.status).toBe('closed')
    expect(server.live).toHaveLength(0)
    expect(server.connections).toHaveLength(1)
    expect(r.status.value).toBe('closed')
  })

  test('Vue: a mounted component closes its socket on unmount', async () => {
    const el = document.createElement('div')
    let status: () => string = () => ''
    const App = defineComponent({
      setup() {
        const r = useVueSocket(URL_A, { WebSocket: server.WebSocket })
        status = () => r.status.value
        return () => h('p', r.status.value)
      },
    })
    const app = createApp(App)
    app.mount(el)
    await tick()
    expect(status()).toBe('open')
    app.unmount()
    await tick(60_000)
    expect(server.lastConnection!.state).toBe('closed')
    expect(server.connections).toHaveLength(1)
  })
})

// ---------------------------------------------------------------------------------------------
// Svelte
// ---------------------------------------------------------------------------------------------

function store<In = unknown, Out = unknown>(options: Parameters<typeof steadySocketStore>[1] = {}) {
  return steadySocketStore<In, Out>(URL_A, { WebSocket: server.WebSocket, ...(options as object) })
}

describe('Svelte steadySocketStore', () => {
  test('Svelte: close() right after the first subscribe keeps it closed', async () => {
    // README/source: close() "stays closed until open() or a new first subscriber".
    const feed = store()
    const off = feed.subscribe(() => {})
    feed.close()
    await tick()
    expect(get(feed).status).toBe('closed')
    expect(server.connections).toHaveLength(0)
    off()
  })

  test('Svelte: get(store) does not close a socket opened with open() and no subscriber', async () => {
    // source: open() is "socket.open(), subscribers or not"; README: get(store) alone connects
    // nothing (a read, not a lifecycle change).
    const feed = store()
    feed.open()
    await tick()
    expect(feed.socket.status).toBe('open')
    expect(get(feed).status).toBe('open')
    await tick()
    expect(feed.socket.status).toBe('open')
    expect(server.lastConnection!.state).toBe('open')
  })

  test('Svelte: every subscriber ends on the latest value when a subscriber changes state re-entrantly', async () => {
    // Svelte store contract: each subscriber's last call has the store's current value.
    const feed = store()
    const seen: SteadySocketStoreValue<unknown>[] = []
    // A closes the socket as soon as it sees it connecting: close() while CONNECTING makes the
    // status 'closed' synchronously, inside the notification of 'connecting'.
    const offA = feed.subscribe((v) => {
      if (v.status === 'connecting') feed.close()
    })
    const offB = feed.subscribe((v) => seen.push(v))
    await tick()
    expect(get(feed).status).toBe('closed')
    // Never a stale value after a newer one.
    const order = seen.map((v) => v.status)
    expect(order.lastIndexOf('connecting')).toBeLessThan(order.lastIndexOf('closed'))
    expect(seen.at(-1)).toEqual(get(feed))
    offA()
    offB()
  })

  test('Svelte: a subscriber removed during a notification is not called by it', async () => {
    const feed = store()
    const late = vi.fn()
    let offB: () => void = () => {}
    const offA = feed.subscribe((v) => {
      if (v.status === 'connecting') offB()
    })
    offB = feed.subscribe(late)
    late.mockClear()
    await tick()
    expect(late).not.toHaveBeenCalled()
    offA()
  })

  test('Svelte: a subscribe/unsubscribe cycle that ends with a subscriber re-opens on the same socket', async () => {
    const feed = store()
    const off1 = feed.subscribe(() => {})
    await tick()
    const socket = feed.socket
    off1()
    const off2 = feed.subscribe(() => {})
    await tick()
    expect(feed.socket).toBe(socket)
    expect(get(feed).status).toBe('open')
    expect(server.live).toHaveLength(1)
    off2()
  })
})

// ---------------------------------------------------------------------------------------------
// TabSocket
// ---------------------------------------------------------------------------------------------

const group = (n: number, options: TabSocketOptions<string, string> = {}) =>
  tabGroup(URL_A, made, n, options, server)

describe('TabSocket has the SteadySocket surface', () => {
  test('Tabs: without Web Locks it is a plain SteadySocket: protocol, extensions, binaryType, clearQueue', async () => {
    // API.md: "TabSocket: the SteadySocket surface ... a plain SteadySocket where those APIs are
    // missing"; State: "url, protocol, extensions, binaryType as native ...; binaryType is settable";
    // Methods: clearQueue() "removes and returns the queued messages".
    const tab = new TabSocket<string, string>(URL_A, {
      WebSocket: server.WebSocket,
      protocols: 'chat',
      autoConnect: false,
    })
    made.push(tab)
    const t = tab as unknown as Record<string, unknown> & { clearQueue?: () => unknown[] }
    expect(tab.send('queued-1')).toBe('queued')
    expect(typeof t.clearQueue).toBe('function')
    expect(t.clearQueue?.()).toEqual(['queued-1'])
    expect(tab.queueLength).toBe(0)
    tab.open()
    await tick()
    expect(tab.status).toBe('open')
    expect(t.protocol).toBe('chat')
    expect(t.extensions).toBe('')
    expect(t.binaryType).toBe('blob')
    t.binaryType = 'arraybuffer'
    server.lastConnection!.send(new Uint8Array([1, 2]))
    const got: unknown[] = []
    tab.on('message', (m) => got.push(m))
    await tick()
    expect(got[0]).toBeInstanceOf(ArrayBuffer)
  })

  test('Tabs: the leader of a group has clearQueue() and the protocol of the shared socket', async () => {
    const g = group(2, { protocols: 'chat' })
    await settle()
    const follower = g.sockets.find((s) => !s.isLeader)! as unknown as Record<string, unknown>
    const leader = g.sockets.find((s) => s.isLeader)! as unknown as Record<string, unknown>
    expect(typeof leader.clearQueue).toBe('function')
    expect(leader.protocol).toBe('chat')
    expect(follower.protocol).toBe('chat')
  })

  test('Tabs: a follower in a group with autoConnect false is closed, opened() rejects at once, open() joins', async () => {
    const g = group(1)
    await settle()
    const late = g.add({ autoConnect: false })
    expect(late.status).toBe('closed')
    expect(late.readyState).toBe(3)
    await expect(late.opened()).rejects.toThrow(/closed/)
    expect(late.send('early')).toBe('queued')
    late.open()
    await settle()
    expect(late.status).toBe('open')
    expect(server.received).toEqual(['early'])
    expect(server.connections).toHaveLength(1)
  })

  test('Tabs: a follower mirrors reconnecting: readyState 0, isReconnecting, attempt', async () => {
    const g = group(2)
    await settle()
    const follower = g.sockets.find((s) => !s.isLeader)!
    server.lastConnection!.terminate()
    await settle()
    expect(follower.status).toBe('reconnecting')
    expect(follower.readyState).toBe(0)
    expect(follower.isReconnecting).toBe(true)
    expect(follower.attempt).toBe(1)
    expect(follower.getSnapshot()).toMatchObject({
      status: 'reconnecting',
      attempt: 1,
      readyState: 0,
    })
  })

  test('Tabs: close() validates codes like native, in leader and follower', async () => {
    const g = group(2)
    await settle()
    for (const s of g.sockets) {
      expect(() => s.close(1005)).toThrow()
      expect(() => s.close(2000)).toThrow()
      expect(s.status).toBe('open')
    }
  })

  test('Tabs: a follower close() reports the code given, then opened() rejects; dispose() is final', async () => {
    const g = group(2)
    await settle()
    const follower = g.sockets.find((s) => !s.isLeader)!
    const closes: unknown[] = []
    follower.on('close', (c) => closes.push(c))
    follower.close(4001, 'bye')
    expect(closes).toEqual([{ code: 4001, reason: 'bye', wasClean: true, willReconnect: false }])
    await expect(follower.opened()).rejects.toThrow()
    follower.dispose()
    follower.dispose()
    expect(follower.send('x')).toBe('dropped')
    follower.open()
    await settle()
    expect(follower.status).toBe('closed')
  })
})

describe('FakeWebSocket', () => {
  test('Fake: protocols null is stringified like WebIDL does ("null"), not a TypeError', () => {
    const ws = new server.WebSocket(URL_A, null as never)
    expect(server.lastConnection!.protocols).toEqual(['null'])
    ws.close()
  })

  test('Fake: close(1004/1005/1015) throws InvalidAccessError, state unchanged', async () => {
    const ws = new server.WebSocket(URL_A)
    await tick()
    for (const code of [1004, 1005, 1015]) {
      let err: unknown
      try {
        ws.close(code)
      } catch (e) {
        err = e
      }
      expect((err as DOMException).name).toBe('InvalidAccessError')
    }
    expect(ws.readyState).toBe(FakeWebSocket.OPEN)
    ws.close()
  })

  test('Fake: readyState is CLOSED at error and close; error only when the connection fails', async () => {
    const ws = new server.WebSocket(URL_A)
    await tick()
    const log: string[] = []
    ws.onerror = () => log.push(`error rs=${ws.readyState}`)
    ws.onclose = (e) => log.push(`close ${e.code} ${e.wasClean} rs=${ws.readyState}`)
    server.lastConnection!.fail()
    await tick()
    expect(log).toEqual(['error rs=3', 'close 1006 false rs=3'])
  })

  test('Fake: the close event after a server close carries its code, reason and wasClean', async () => {
    const ws = new server.WebSocket(URL_A)
    await tick()
    const log: string[] = []
    ws.addEventListener('close', (e) => log.push(`${e.code} ${e.reason} ${e.wasClean}`))
    ws.addEventListener('error', () => log.push('error'))
    server.lastConnection!.close(4001, 'go')
    await tick()
    expect(log).toEqual(['4001 go true'])
  })

  test('Fake: SteadySocket.close() reaches a FakeServer with the code, never 1005', async () => {
    const socket = new SteadySocket(URL_A, { WebSocket: server.WebSocket })
    made.push(socket)
    await tick()
    const closes: number[] = []
    socket.on('close', (c) => closes.push(c.code))
    socket.close()
    await tick()
    expect(server.lastConnection!.closeCode).toBe(1000)
    expect(closes).toEqual([1000])
  })
})
