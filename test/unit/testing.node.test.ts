// @vitest-environment node
import { afterEach, expect, it, vi } from 'vitest'

const BROWSER_GLOBALS = ['window', 'document', 'navigator', 'location', 'WebSocket', 'EventTarget']

afterEach(() => {
  vi.useRealTimers()
  vi.unstubAllGlobals()
  vi.restoreAllMocks()
})

it('reads no browser global and calls no Math.random on import', async () => {
  const touched: string[] = []
  const fromTesting = () => (new Error().stack ?? '').includes('/src/testing/')
  const saved = BROWSER_GLOBALS.map(
    (name) => [name, Object.getOwnPropertyDescriptor(globalThis, name)] as const,
  )
  for (const name of BROWSER_GLOBALS) {
    Object.defineProperty(globalThis, name, {
      configurable: true,
      get: () => {
        if (fromTesting()) touched.push(name)
        return undefined
      },
    })
  }
  const random = vi.spyOn(Math, 'random').mockImplementation(() => {
    if (fromTesting()) touched.push('Math.random')
    return 0.5
  })
  try {
    vi.resetModules()
    await import('../../src/testing')
  } finally {
    for (const [name, descriptor] of saved) {
      if (descriptor) Object.defineProperty(globalThis, name, descriptor)
      else Reflect.deleteProperty(globalThis, name)
    }
    random.mockRestore()
  }
  expect(touched).toEqual([])
})

it('works without WebSocket, EventTarget, Event, MessageEvent or CloseEvent globals', async () => {
  for (const name of ['WebSocket', 'EventTarget', 'Event', 'MessageEvent', 'CloseEvent']) {
    vi.stubGlobal(name, undefined)
  }
  vi.useFakeTimers()
  const { FakeServer } = await import('../../src/testing')
  const server = new FakeServer()
  // An echo server; the client sends text only.
  server.onConnection((c) => c.onMessage((data) => c.send(data as string)))
  const socket = new server.WebSocket('ws://127.0.0.1/echo')
  const log: string[] = []
  socket.onopen = () => socket.send('ping')
  socket.onmessage = (event) => {
    log.push(String(event.data))
    socket.close()
  }
  socket.onclose = (event) => log.push(`close ${event.code}`)
  // Each reply is a timer set while timers run, which fake timers place 1 ms later.
  await vi.advanceTimersByTimeAsync(10)
  expect(log).toEqual(['ping', 'close 1005'])
})
