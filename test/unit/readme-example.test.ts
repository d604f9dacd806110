// The README's "Testing your app" example, verbatim, run against the built package (the
// `steadysocket` name resolves to dist/ through the exports map): if it breaks, users' tests do.
import { afterEach, expect, test, vi } from 'vitest'
import { SteadySocket } from 'steadysocket'
import { FakeServer } from 'steadysocket/testing'

afterEach(() => vi.useRealTimers())

test('my app reconnects after the server drops it', async () => {
  vi.useFakeTimers()
  const server = new FakeServer()
  const socket = new SteadySocket('wss://example.test/live', {
    WebSocket: server.WebSocket,
    reconnect: { initialDelay: 1000, jitter: 'none' },
  })
  await vi.advanceTimersByTimeAsync(1) // the server accepts
  expect(socket.status).toBe('open')

  server.lastConnection!.terminate() // no closing handshake: close 1006
  await vi.advanceTimersByTimeAsync(1)
  expect(socket.status).toBe('reconnecting')

  await vi.advanceTimersByTimeAsync(1010)
  expect(socket.status).toBe('open')
  expect(server.maxConcurrent).toBe(1)
  socket.dispose()
})
