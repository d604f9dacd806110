import { afterEach, beforeEach, describe, expect, expectTypeOf, test, vi } from 'vitest'
import {
  createSSRApp,
  defineComponent,
  effectScope,
  h,
  markRaw,
  nextTick,
  reactive,
  ref,
  toRaw,
  watch,
} from 'vue'
import { renderToString } from 'vue/server-renderer'
import { json, SteadySocket, type Status } from '../../src/index'
import { FakeServer } from '../../src/testing/index'
import { useSteadySocket, type UseSteadySocketResult } from '../../src/vue'
import { tick } from './helpers'

const URL_A = 'ws://example.test/a'
const URL_B = 'ws://example.test/b'

let server: FakeServer

beforeEach(() => {
  vi.useFakeTimers()
  server = new FakeServer()
})
afterEach(() => {
  vi.useRealTimers()
  vi.restoreAllMocks()
  vi.unstubAllEnvs()
})

/** Runs the composable in a fresh effect scope. */
function inScope<In = unknown, Out = unknown>(
  url: Parameters<typeof useSteadySocket>[0],
  options: Parameters<typeof useSteadySocket<In, Out>>[1] = {},
) {
  const scope = effectScope()
  const result = scope.run(() =>
    useSteadySocket<In, Out>(url, { WebSocket: server.WebSocket, ...options }),
  )!
  return { scope, ...result }
}

describe('useSteadySocket (vue)', () => {
  test('connects at once and mirrors status, attempt and data in refs', async () => {
    const onMessage = vi.fn()
    const { scope, socket, status, attempt, data } = inScope(URL_A, {
      reconnect: { initialDelay: 100, jitter: 'none' },
      onMessage,
    })
    expect(status.value).toBe('connecting')
    expect(socket.value?.url).toBe(URL_A)
    await tick()
    expect(status.value).toBe('open')
    server.lastConnection!.send('one')
    server.lastConnection!.send('two')
    await tick()
    expect(data.value).toBe('two')
    expect(onMessage.mock.calls.map((c) => c[0])).toEqual(['one', 'two'])
    server.lastConnection!.terminate()
    await tick()
    expect(status.value).toBe('reconnecting')
    expect(attempt.value).toBe(1)
    scope.stop()
  })

  test('reconnects when the URL ref changes, disposing the old socket first', async () => {
    const url = ref<string | null>(URL_A)
    const { scope, socket, status, data } = inScope(url)
    await tick()
    const first = socket.value!
    server.lastConnection!.send('from a')
    await tick()
    expect(data.value).toBe('from a')
    url.value = URL_B
    await nextTick()
    expect(first.status).toBe('closed')
    expect(socket.value).not.toBe(first)
    expect(data.value).toBeUndefined()
    await tick()
    expect(server.connections.map((c) => [c.url, c.state])).toEqual([
      [URL_A, 'closed'],
      [URL_B, 'open'],
    ])
    expect(server.maxConcurrent).toBe(1)
    expect(status.value).toBe('open')
    scope.stop()
  })

  test("ignores the old socket's late close: no second connection, no status flicker", async () => {
    server.mode = 'manual'
    const url = ref(URL_A)
    const { scope, status } = inScope(url, { reconnect: { initialDelay: 0, jitter: 'none' } })
    const statuses: Status[] = []
    scope.run(() => watch(status, (s) => statuses.push(s), { flush: 'sync' }))
    const old = server.lastConnection!
    url.value = URL_B
    await nextTick()
    // The old connection answers late, then dies: nothing of it may reach the new socket.
    old.accept()
    old.terminate()
    await tick(1000)
    expect(server.connections).toHaveLength(2)
    expect(server.lastConnection!.url).toBe(URL_B)
    server.lastConnection!.accept()
    await tick()
    expect(status.value).toBe('open')
    expect(server.connections).toHaveLength(2)
    expect(statuses).toEqual(['open'])
    scope.stop()
  })

  test('follows a getter and accepts a plain string', async () => {
    const room = ref('a')
    const a = inScope(() => `ws://example.test/${room.value}`)
    const b = inScope(URL_B)
    await tick()
    room.value = 'c'
    await nextTick()
    await tick()
    expect(server.connections.map((c) => c.url)).toEqual([
      'ws://example.test/a',
      URL_B,
      'ws://example.test/c',
    ])
    expect(a.status.value).toBe('open')
    expect(b.status.value).toBe('open')
    a.scope.stop()
    b.scope.stop()
  })

  test('a null URL means no socket; switching to null closes it', async () => {
    const url = ref<string | null>(null)
    const { scope, socket, status, send } = inScope(url)
    await tick()
    expect(socket.value).toBeNull()
    expect(status.value).toBe('closed')
    expect(send('x')).toBe('dropped')
    url.value = URL_A
    await nextTick()
    await tick()
    expect(status.value).toBe('open')
    url.value = null
    await nextTick()
    await tick()
    expect(socket.value).toBeNull()
    expect(status.value).toBe('closed')
    expect(server.lastConnection!.state).toBe('closed')
    scope.stop()
  })

  test('closes the socket when the scope is disposed', async () => {
    const { scope, socket } = inScope(URL_A)
    await tick()
    const s = socket.value!
    scope.stop()
    await tick()
    expect(s.status).toBe('closed')
    expect(server.lastConnection!.state).toBe('closed')
    expect(server.lastConnection!.closeCode).toBe(1000)
    expect(socket.value).toBeNull()
    await tick(60_000)
    expect(server.connections).toHaveLength(1)
  })

  test('send, open, close and reconnect reach the current socket', async () => {
    const { scope, status, send, open, close, reconnect } = inScope<string, string>(URL_A)
    expect(send('early')).toBe('queued')
    await tick()
    expect(send('now')).toBe('sent')
    expect(server.lastConnection!.received).toEqual(['early', 'now'])
    close()
    await tick()
    expect(status.value).toBe('closed')
    open()
    await tick()
    expect(status.value).toBe('open')
    reconnect()
    await tick()
    expect(server.connections).toHaveLength(3)
    expect(server.maxConcurrent).toBe(1)
    scope.stop()
  })

  test('warns when called outside an effect scope, and not inside one', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    const { scope } = inScope(URL_A)
    expect(warn).not.toHaveBeenCalled()
    const { close } = useSteadySocket(URL_A, { WebSocket: server.WebSocket })
    close()
    expect(warn).toHaveBeenCalledTimes(1)
    expect(String(warn.mock.calls[0]![0])).toMatch(/outside an effect scope/)
    scope.stop()
  })

  test('does not warn in production', () => {
    vi.stubEnv('NODE_ENV', 'production')
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    const { close } = useSteadySocket(URL_A, { WebSocket: server.WebSocket })
    close()
    expect(warn).not.toHaveBeenCalled()
  })

  test('makes no socket during server rendering', async () => {
    let seen: SteadySocket<unknown, unknown> | null | undefined
    const App = defineComponent({
      setup() {
        const { socket, status } = useSteadySocket(URL_A, { WebSocket: server.WebSocket })
        seen = socket.value
        return () => h('p', status.value)
      },
    })
    const html = await renderToString(createSSRApp(App))
    expect(html).toBe('<p>closed</p>')
    expect(seen).toBeNull()
    expect(server.connections).toHaveLength(0)
  })

  test('types follow the codec', () => {
    type Ret = UseSteadySocketResult<{ price: number }, { ask: string }>
    expectTypeOf<Ret['data']['value']>().toEqualTypeOf<{ price: number } | undefined>()
    expectTypeOf<Ret['send']>().parameter(0).toEqualTypeOf<{ ask: string }>()
    const scope = effectScope()
    scope.run(() => {
      const r = useSteadySocket<{ price: number }, { ask: string }>(URL_A, {
        WebSocket: server.WebSocket,
        codec: json(),
      })
      // @ts-expect-error the status ref is read-only
      r.status.value = 'open'
    })
    scope.stop()
  })

  test('a socket kept in reactive state works when marked raw, and fails fast when deeply proxied', async () => {
    // The README's FAQ: like a native WebSocket, a SteadySocket cannot live behind a deep proxy.
    const state = reactive({
      raw: markRaw(new SteadySocket<string, string>(URL_A, { WebSocket: server.WebSocket })),
      deep: new SteadySocket<string, string>(URL_B, { WebSocket: server.WebSocket }),
    })
    await tick()
    expect(state.raw.status).toBe('open')
    expect(state.raw.send('hello')).toBe('sent')
    expect(() => state.deep.send('hello')).toThrow(TypeError)
    state.raw.dispose()
    toRaw(state).deep.dispose()
  })

  test('a send right after the URL changed, in the same tick, goes to the new socket', async () => {
    const url = ref<string | null>(URL_A)
    const { scope, send } = inScope<string, string>(url)
    await tick()
    url.value = URL_B
    expect(send('for b')).toBe('queued') // the watcher has not made B's socket yet
    await nextTick()
    await tick()
    expect(server.connections.map((c) => [c.url, c.received])).toEqual([
      [URL_A, []],
      [URL_B, ['for b']],
    ])
    url.value = null
    expect(send('nowhere')).toBe('dropped')
    scope.stop()
    expect(send('after')).toBe('dropped')
  })
})
