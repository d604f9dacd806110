import { mkdirSync, writeFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { compile } from 'svelte/compiler'
import { derived, get, type Readable } from 'svelte/store'
import { afterEach, beforeEach, describe, expect, expectTypeOf, test, vi } from 'vitest'
import { json } from '../../src/index'
import {
  steadySocketStore,
  type SteadySocketStore,
  type SteadySocketStoreValue,
} from '../../src/svelte'
import { FakeServer } from '../../src/testing/index'
import { tick } from './helpers'

const URL_A = 'ws://example.test/a'

let server: FakeServer

beforeEach(() => {
  vi.useFakeTimers()
  server = new FakeServer()
})
afterEach(() => {
  vi.useRealTimers()
})

function store<In = unknown, Out = unknown>(
  options: Parameters<typeof steadySocketStore<In, Out>>[1] = {},
) {
  return steadySocketStore<In, Out>(URL_A, { WebSocket: server.WebSocket, ...options })
}

describe('steadySocketStore', () => {
  test('get() reads the value without making a connection', async () => {
    const feed = store()
    expect(get(feed)).toEqual({ status: 'closed', attempt: 0, lastMessage: undefined })
    await tick()
    expect(server.connections).toHaveLength(0)
  })

  test('opens with the first subscriber and closes with the last', async () => {
    const feed = store()
    const a: SteadySocketStoreValue<unknown>[] = []
    const b: SteadySocketStoreValue<unknown>[] = []
    const offA = feed.subscribe((v) => a.push(v))
    expect(a).toEqual([{ status: 'closed', attempt: 0, lastMessage: undefined }])
    await tick()
    expect(a.at(-1)!.status).toBe('open')
    expect(a.map((v) => v.status)).toEqual(['closed', 'connecting', 'open'])
    const offB = feed.subscribe((v) => b.push(v))
    expect(b).toEqual([a.at(-1)])
    await tick()
    expect(server.connections).toHaveLength(1)
    offA()
    await tick()
    expect(server.lastConnection!.state).toBe('open')
    offB()
    await tick()
    expect(server.lastConnection!.state).toBe('closed')
    expect(server.lastConnection!.closeCode).toBe(1000)
    expect(get(feed).status).toBe('closed')
    // An unsubscribed run is not called again.
    expect(b.at(-1)!.status).toBe('open')
    await tick(60_000)
    expect(server.connections).toHaveLength(1)
  })

  test('reopens with a new first subscriber, on the same socket', async () => {
    const feed = store()
    const off = feed.subscribe(() => {})
    await tick()
    const socket = feed.socket
    off()
    await tick()
    expect(socket.status).toBe('closed')
    const again = feed.subscribe(() => {})
    await tick()
    expect(feed.socket).toBe(socket)
    expect(socket.status).toBe('open')
    expect(server.connections).toHaveLength(2)
    expect(server.maxConcurrent).toBe(1)
    again()
  })

  test('carries the latest message and notifies on every one', async () => {
    const feed = store<{ n: number }, { ask: string }>({ codec: json() })
    const seen: (number | undefined)[] = []
    const off = feed.subscribe((v) => seen.push(v.lastMessage?.n))
    await tick()
    server.lastConnection!.send('{"n":1}')
    server.lastConnection!.send('{"n":2}')
    await tick()
    expect(get(feed).lastMessage).toEqual({ n: 2 })
    expect(seen.filter((n) => n !== undefined)).toEqual([1, 2])
    off()
  })

  test('reports attempt while reconnecting', async () => {
    const feed = store({ reconnect: { initialDelay: 1000, jitter: 'none' } })
    const off = feed.subscribe(() => {})
    await tick()
    server.lastConnection!.terminate()
    await tick()
    expect(get(feed)).toMatchObject({ status: 'reconnecting', attempt: 1 })
    await tick(1000)
    expect(get(feed).status).toBe('open')
    off()
  })

  test('send() before any subscriber queues, and the first subscriber flushes it', async () => {
    const feed = store<string, string>()
    expect(feed.send('hello')).toBe('queued')
    await tick()
    expect(server.connections).toHaveLength(0)
    const off = feed.subscribe(() => {})
    await tick()
    expect(server.lastConnection!.received).toEqual(['hello'])
    off()
  })

  test('close(), open() and reconnect() drive the socket', async () => {
    const feed = store()
    const off = feed.subscribe(() => {})
    await tick()
    feed.close()
    await tick()
    expect(get(feed).status).toBe('closed')
    feed.open()
    await tick()
    expect(get(feed).status).toBe('open')
    feed.reconnect()
    await tick()
    expect(server.connections).toHaveLength(3)
    expect(server.maxConcurrent).toBe(1)
    off()
  })

  test('counts the same function subscribed twice as two subscribers', async () => {
    const feed = store()
    const run = vi.fn()
    const off1 = feed.subscribe(run)
    const off2 = feed.subscribe(run)
    await tick()
    off1()
    off1()
    await tick()
    expect(server.lastConnection!.state).toBe('open')
    off2()
    await tick()
    expect(server.lastConnection!.state).toBe('closed')
  })

  test('with autoConnect false, subscribers do not open it, and what open() opened stays open', async () => {
    const feed = store({ autoConnect: false })
    const off = feed.subscribe(() => {})
    await tick()
    expect(server.connections).toHaveLength(0)
    feed.open()
    await tick()
    expect(get(feed).status).toBe('open')
    off()
    await tick()
    expect(get(feed).status).toBe('open')
    feed.close()
    await tick()
    expect(get(feed).status).toBe('closed')
  })

  test("works with svelte/store's derived()", async () => {
    const feed = store()
    const status = derived(feed, ($feed) => $feed.status)
    const seen: string[] = []
    const off = status.subscribe((s) => seen.push(s))
    await tick()
    expect(seen).toEqual(['closed', 'connecting', 'open'])
    off()
    await tick()
    expect(server.lastConnection!.state).toBe('closed')
  })

  test('types: a Readable of the value, typed by the codec', () => {
    const feed = store<{ price: number }, { ask: string }>({ codec: json() })
    expectTypeOf(feed).toMatchTypeOf<Readable<SteadySocketStoreValue<{ price: number }>>>()
    expectTypeOf(feed.send).parameter(0).toEqualTypeOf<{ ask: string }>()
    expectTypeOf<SteadySocketStore<string>['socket']['status']>().toEqualTypeOf<
      'connecting' | 'open' | 'closing' | 'reconnecting' | 'closed'
    >()
  })
})

describe('$store in compiled Svelte components', () => {
  const cache = resolve(import.meta.dirname, '../../node_modules/.cache/steadysocket-svelte-test')
  // The client runtime (vitest resolves `svelte` to its server build outside a browser).
  const runtime = resolve(import.meta.dirname, '../../node_modules/svelte/src/index-client.js')
  type Runtime = {
    mount(component: unknown, options: { target: Element; props: object }): object
    unmount(app: object): void
    flushSync(): void
  }

  /** Compiles `source` for the client, writes it where vite may import it, and imports it. */
  async function component(name: string, source: string, runes: boolean): Promise<unknown> {
    const { js } = compile(source, { generate: 'client', name, runes })
    mkdirSync(cache, { recursive: true })
    const file = `${cache}/${name}.js`
    writeFileSync(file, js.code)
    return ((await import(/* @vite-ignore */ file)) as { default: unknown }).default
  }

  test.each([
    ['Svelte 5 runes', 'Runes', true, '<script>let { feed } = $props()</script>'],
    ['Svelte 4 syntax', 'Legacy', false, '<script>export let feed</script>'],
  ])('%s: $store renders, opens on mount and closes on unmount', async (_, name, runes, head) => {
    const Feed = await component(
      name,
      `${head}<p>{$feed.status} {$feed.lastMessage ?? ''}</p>`,
      runes as boolean,
    )
    const svelte = (await import(/* @vite-ignore */ runtime)) as Runtime
    const feed = store()
    const target = document.createElement('div')
    const app = svelte.mount(Feed, { target, props: { feed } })
    svelte.flushSync()
    expect(target.textContent).toBe('closed ')
    await tick()
    svelte.flushSync()
    expect(target.textContent).toBe('open ')
    server.lastConnection!.send('hi')
    await tick()
    svelte.flushSync()
    expect(target.textContent).toBe('open hi')
    svelte.unmount(app)
    await tick()
    expect(server.connections).toHaveLength(1)
    expect(server.lastConnection!.state).toBe('closed')
  })
})
