/**
 * `steadysocket/testing`: an in-memory WebSocket with a browser's semantics (event order,
 * `bufferedAmount`, close codes, thrown `DOMException`s) and a server to drive it. Importing it
 * reads no global.
 *
 * Events arrive in later tasks through `setTimeout(fn, 0)`, so fake timers control them:
 * `await vi.advanceTimersByTimeAsync(0)` delivers what is queued. A timer set while timers run
 * (a reply to a message sent from `onopen`, a socket opened by a retry timer) is placed 1 ms
 * later by vitest's fake timers, so advance 1 ms more to deliver what such code causes.
 *
 * @example
 * import { afterEach, expect, test, vi } from 'vitest'
 * import { SteadySocket } from 'steadysocket'
 * import { FakeServer } from 'steadysocket/testing'
 *
 * afterEach(() => {
 *   vi.useRealTimers()
 * })
 *
 * test('reconnects after the server drops the connection', async () => {
 *   vi.useFakeTimers()
 *   const server = new FakeServer()
 *   const socket = new SteadySocket('wss://example.test/live', {
 *     WebSocket: server.WebSocket,
 *     reconnect: { initialDelay: 1000, jitter: 'none' },
 *   })
 *   await vi.advanceTimersByTimeAsync(0) // the server accepts: open
 *   expect(socket.status).toBe('open')
 *
 *   server.lastConnection?.terminate() // no closing handshake: close 1006
 *   await vi.advanceTimersByTimeAsync(0)
 *   expect(socket.status).toBe('reconnecting')
 *
 *   // The first retry waits `initialDelay`; its socket opens 1 ms later under fake timers.
 *   await vi.advanceTimersByTimeAsync(1001)
 *   expect(socket.status).toBe('open')
 *   expect(server.connections).toHaveLength(2)
 *   expect(server.maxConcurrent).toBe(1)
 *   socket.close()
 * })
 *
 * @module
 */
export { FakeWebSocket } from './fake-websocket'
export type { FakeBinaryType, FakeListenerOptions } from './fake-websocket'
export { FakeServer } from './fake-server'
export type { FakeConnectionListener, FakeServerMode, FakeServerOptions } from './fake-server'
export { FakeConnection } from './fake-connection'
export type { FakeConnectionState, FakeMessageListener } from './fake-connection'
export type { ServerData } from './data'
export type {
  FakeCloseEvent,
  FakeEvent,
  FakeEventHandler,
  FakeEventListener,
  FakeEventMap,
  FakeMessageEvent,
} from './events'
