// What the resumable-session suites share: a `resumable()` server on a real `ws` server on
// 127.0.0.1:0, clients with `ws` injected, the fault proxy between them, a seeded PRNG, and the
// one accessor of the client's internal byte count. Everything started is closed by `stopAll()`.
import { WebSocket, WebSocketServer } from 'ws'
import { SteadySocket, type SteadySocketOptions } from '../../src/index'
import { resumable } from '../../src/server/index'
import type { ResumableOptions, Session } from '../../src/server/index'
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.mjs'
import { waitFor } from '../support/fault-server.mjs'

export type { Session }

export type Resumable = {
  wss: WebSocketServer
  server: ReturnType<typeof resumable>
  port: number
  /** Every session the server emitted, in order. */
  sessions: Session[]
  /** `end` reasons by session id. */
  ends: Map<string, string>
  /** Stops the process-equivalent: `server.close()`, every connection terminated, `wss.close()`. */
  stop(): Promise<void>
}

const stops: (() => unknown)[] = []

/** Closes everything the kit started, newest first. Call from `afterEach`. */
export async function stopAll(): Promise<void> {
  for (const stop of stops.splice(0).reverse()) await stop()
}

/** A `resumable()` server over a fresh `WebSocketServer` on 127.0.0.1:0. */
export async function startResumable(options: Partial<ResumableOptions> = {}): Promise<Resumable> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 })
  await new Promise<void>((resolve, reject) => {
    wss.once('listening', resolve)
    wss.once('error', reject)
  })
  const server = resumable(wss, { window: 120_000, maxBytes: 65536, ...options })
  const r: Resumable = {
    wss,
    server,
    port: (wss.address() as { port: number }).port,
    sessions: [],
    ends: new Map(),
    async stop() {
      if (stopped) return
      stopped = true
      server.close()
      for (const client of wss.clients) client.terminate()
      await new Promise((resolve) => wss.close(resolve))
    },
  }
  let stopped = false
  server.on('session', (session: Session) => {
    r.sessions.push(session)
    session.on('end', (reason) => r.ends.set(session.id, reason))
  })
  stops.push(() => r.stop())
  return r
}

export async function startProxy(target: number): Promise<FaultProxy> {
  const proxy = await startFaultProxy({ target })
  stops.push(() => proxy.close())
  return proxy
}

/** A client with `ws` injected, small non-zero backoff, disposed by `stopAll()`. */
export function client<In = string, Out = string>(
  url: string,
  options: SteadySocketOptions<In, Out> = {},
): SteadySocket<In, Out> {
  const socket = new SteadySocket<In, Out>(url, {
    WebSocket,
    resume: { maxBytes: 65536 },
    reconnect: { initialDelay: 10, maxDelay: 200 },
    ...options,
  })
  stops.push(() => socket.dispose())
  return socket
}

/**
 * The client's unacknowledged payload bytes (an internal: the one place to change if it moves).
 * `undefined` when the socket has no such count, which the callers treat as a failure.
 */
export function clientUnacked(socket: SteadySocket<never, never> | object): number | undefined {
  const bytes = (socket as { _resume?: { bytes?: unknown } | null })._resume?.bytes
  return typeof bytes === 'number' ? bytes : undefined
}

/** Seed from `env[name]` when set (to replay a run), else a fresh one. */
export function seedFrom(name: string): number {
  const value = process.env[name]
  if (value !== undefined && value !== '') {
    const seed = Number(value)
    if (!Number.isInteger(seed)) throw new Error(`${name} must be an integer, got ${value}`)
    return seed
  }
  return Math.floor(Math.random() * 2 ** 31)
}

/** A small seeded PRNG (mulberry32, shared with the benchmarks): the same seed, the same faults. */
export { seeded as mulberry32 } from '../../bench/lib/stats.mjs'

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

/** `waitFor` whose failure message is written when it fails (with the state at that moment). */
export function until<T>(check: () => T, timeout: number, explain: () => string) {
  return waitFor(check, { timeout }).catch(() => {
    throw new Error(explain())
  })
}
