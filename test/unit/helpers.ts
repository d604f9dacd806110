import { vi } from 'vitest'
import { SteadySocket, type SteadySocketOptions } from '../../src/index'
import { FakeServer } from '../../src/testing/index'

/** A socket on a fresh FakeServer, with deterministic jitter unless the test says otherwise. */
export function setup<In = unknown, Out = unknown>(
  options: SteadySocketOptions<In, Out> = {},
  server = new FakeServer(),
) {
  const socket = new SteadySocket<In, Out>('ws://example.test/live', {
    WebSocket: server.WebSocket,
    random: () => 1,
    ...options,
  })
  return { socket, server }
}

/**
 * Advances fake time by `ms`, then lets the fake server's queued events through.
 */
export async function tick(ms = 0): Promise<void> {
  await vi.advanceTimersByTimeAsync(ms)
  // A fake event may queue the next one (accept → open), and a 0 ms timer set while the fake
  // clock ticks is due 1 ms later: let a few such hops through (3 ms of fake time at most).
  for (let i = 0; i < 3; i++) await vi.advanceTimersByTimeAsync(1)
}

/** Records every event of a socket, in order, as `[name, payload]`. */
export function record(socket: SteadySocket<unknown, unknown>) {
  const log: [string, unknown][] = []
  const names = [
    'open',
    'message',
    'close',
    'error',
    'reconnecting',
    'stable',
    'exhausted',
    'status',
    'drop',
    'drain',
    'session',
  ] as const
  for (const name of names) socket.on(name, (payload: unknown) => log.push([name, payload]))
  return log
}
