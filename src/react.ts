/**
 * `steadysocket/react`: `useSteadySocket()` and `useSocketState()`, thin hooks over the socket's
 * `subscribe()`/`getSnapshot()`. Importing or server-rendering them reads no browser global.
 *
 * @module
 */
import { useEffect, useInsertionEffect, useState, useSyncExternalStore } from 'react'
import type { RawData } from './codec'
import type { SocketHandlers, Status } from './events'
import type { SendResult } from './flow'
import type { SteadySocketOptions } from './socket'
import { SteadySocket, type Snapshot } from './socket'
import type { UrlSource } from './url'

/**
 * Options of {@link useSteadySocket}: the socket's own options, event handlers and `share`.
 *
 * New identities never reconnect. The socket is recreated only when the URL, `share` or an
 * option changes by value (plain objects in any key order, arrays, strings, numbers, booleans).
 * Functions count by presence: the handlers, and every function inside the options (`handshake`,
 * a URL or `protocols` provider, `codec.encode`/`decode`, `reconnect.shouldReconnect`,
 * `heartbeat.isPong`…), are called from the latest render, so they never go stale; adding or
 * removing one inside the options recreates the socket. `WebSocket` and class instances (a codec
 * class, binary ping data) count by presence too and are used as the creating render passed them.
 */
export type UseSteadySocketOptions<In = RawData, Out = RawData> = SteadySocketOptions<In, Out> &
  SocketHandlers<In, Out> & {
    /**
     * One socket per URL and options across every component that asks for it, closed when the
     * last of them unmounts. The first user's functions (handshake, codec…) serve all of them.
     * Ignored with a URL provider (there is no URL to match before it runs).
     * @default false
     */
    share?: boolean | undefined
  }

/** What {@link useSteadySocket} returns. `send`, `open`, `close` and `reconnect` are stable. */
export type UseSteadySocketResult<In = RawData, Out = RawData> = {
  /** The socket; `null` before the first effect, on the server, and while the URL is `null`. */
  socket: SteadySocket<In, Out> | null
  /** The socket's status; `'closed'` while there is no socket. */
  status: Status
  /** Consecutive failed attempts since the last stable connection. */
  attempt: number
  /** The latest message of the current socket (renders may skip some: use `onMessage` for all). */
  lastMessage: In | undefined
  /**
   * `socket.send()`. Before the socket exists (a child's effect runs before this hook's), the
   * message waits and goes to the socket once made (`'queued'`); with a `null` URL, `'dropped'`.
   */
  send: (data: Out) => SendResult
  /** `socket.open()`. */
  open: () => void
  /** `socket.close(code, reason)`: final until `open()`. */
  close: (code?: number, reason?: string) => void
  /** `socket.reconnect(code, reason)`. */
  reconnect: (code?: number, reason?: string) => void
}

/**
 * A `SteadySocket` owned by the component: created and connected in an effect, closed on unmount,
 * recreated when the URL or the connection options change by value. Exactly one socket under
 * `StrictMode`. `url === null`: no socket.
 *
 * @example
 * const { status, lastMessage, send } = useSteadySocket<ServerMsg, ClientMsg>(url, {
 *   codec: json(),
 *   onMessage: (m) => log.push(m),
 * })
 */
export function useSteadySocket<In = RawData, Out = RawData>(
  url: UrlSource | null,
  options: UseSteadySocketOptions<In, Out> = {},
): UseSteadySocketResult<In, Out> {
  const { onMessage: _m, onOpen: _o, onClose: _c, onError: _e, share: _s, ...rest } = options
  // Shared sockets are found by URL: a provider has none to compare, so its socket stays private.
  const share = !!options.share && typeof url !== 'function'
  const key = url === null ? null : JSON.stringify([share, url, rest], canon)
  const now = { u: url, o: rest, h: options as Handlers, k: key }
  // One mutable box per component (a ref): the latest render, the held entry, early sends and
  // the stable methods.
  const [b] = useState(() => {
    const box = { l: now, e: null, q: [] } as unknown as Box
    box.m = {
      // To the socket of the latest render only: during a URL change (a child's effect runs
      // before this hook's) the old one is going away, and the message waits for the new one.
      send: (data) =>
        box.e?.k === box.l.k
          ? box.e.s.send(data)
          : box.l.k // null for a null URL
            ? (box.q.push(data), 'queued')
            : 'dropped',
      open: () => box.e?.s.open(),
      close: (code, reason) => box.e?.s.close(code, reason),
      reconnect: (code, reason) => box.e?.s.reconnect(code, reason),
    }
    return box
  })
  // Before any effect of this commit: handlers and providers are current by the time they run.
  useInsertionEffect(() => {
    b.l = now
  })
  // The socket, and the latest message with it (so a new socket starts without one).
  const [v, setV] = useState<{ s: SteadySocket<In, Out> | null; m?: In }>({ s: null })

  useEffect(() => {
    const prev = b.e
    const alive = prev?.k === key && prev.n >= 0
    // Unused now (URL change): closed before the new socket connects, so one is live at a time.
    if (prev && !alive) settle(prev)
    if (key === null) {
      b.e = null
      return setV({ s: null })
    }
    let e = alive ? prev : share ? registry?.get(key) : undefined
    if (!e) {
      // (The handlers and the key come along; only `u` and `o` are used.)
      const c = live(now, () => b.l)
      const s = new SteadySocket(c.u as UrlSource, c.o as SteadySocketOptions)
      e = { k: key, s, n: 0 }
      if (share) (registry ??= new Map()).set(key, e)
    }
    const entry = e
    const s = entry.s as SteadySocket<In, Out>
    entry.n++
    b.e = entry
    const offs = EVENTS.map((t) =>
      s.on(t, (p) => {
        if (t === 'message') setV({ s, m: p as In })
        b.l.h[HANDLERS[t]]?.(p, s)
      }),
    )
    for (const m of b.q.splice(0)) s.send(m as Out)
    setV({ s })
    return () => {
      for (const off of offs) off()
      entry.n--
      // StrictMode runs the effect again synchronously: the socket survives if it is taken back.
      queueMicrotask(() => settle(entry))
    }
  }, [key])

  const { status, attempt } = useSocketState(v.s)
  return { socket: v.s, status, attempt, lastMessage: v.m, ...(b.m as Methods<In, Out>) }
}

/**
 * The socket's state snapshot `{ status, readyState, attempt, url, lastClose, lastError }`,
 * re-rendering when it changes (`useSyncExternalStore`). A closed snapshot for `null`.
 *
 * @example
 * const { status, lastError } = useSocketState(socket)
 */
export function useSocketState(
  socket: Pick<SteadySocket, 'getSnapshot' | 'subscribe'> | null | undefined,
): Snapshot {
  // Both are bound per socket, so stable for React.
  const get = socket ? socket.getSnapshot : closed
  return useSyncExternalStore(socket ? socket.subscribe : none, get, get)
}

/** A socket and its users (`n`; -1 once disposed). */
type Entry = { k: string; s: SteadySocket<unknown, unknown>; n: number }
type Dict = Record<string, unknown>
type Handler = (payload: unknown, socket: unknown) => void
type Handlers = Partial<Record<'onOpen' | 'onClose' | 'onError' | 'onMessage', Handler>>
type Methods<In = unknown, Out = unknown> = Pick<
  UseSteadySocketResult<In, Out>,
  'send' | 'open' | 'close' | 'reconnect'
>
type Box = {
  l: { u: UrlSource | null; o: object; h: Handlers; k: string | null }
  e: Entry | null
  q: unknown[]
  m: Methods
}

const HANDLERS = {
  open: 'onOpen',
  close: 'onClose',
  error: 'onError',
  message: 'onMessage',
} as const
const EVENTS = Object.keys(HANDLERS) as (keyof typeof HANDLERS)[]

/**
 * The options as the socket key sees them (a JSON replacer): plain objects with sorted keys
 * (another key order is no change), arrays and primitives by value; a function or any other
 * object (a codec class, binary ping data) by presence only: adding or removing one recreates the
 * socket, a new identity or a change inside it does not (and a cycle in it does not matter).
 */
function canon(_: string, v: unknown): unknown {
  if ((v as object | null)?.constructor !== Object)
    return Array.isArray(v) || v !== Object(v) ? v : 1
  const sorted: Dict = {}
  for (const k of Object.keys(v as Dict).sort()) sorted[k] = (v as Dict)[k]
  return sorted
}

/** Shared sockets by key; made on the first `share: true`, so importing creates nothing. */
let registry: Map<string, Entry> | undefined

// Read-only by its type (not frozen: every byte of an adapter counts).
const CLOSED: Snapshot = {
  status: 'closed',
  readyState: 3,
  attempt: 0,
  url: '',
  lastClose: null,
  lastError: null,
}
const closed = (): Snapshot => CLOSED
/** `subscribe` without a socket: nothing to listen to; returns a no-op unsubscribe. */
const none = (): (() => void) => closed

/** Disposes an entry nobody took back (`n` = -1 marks it gone). */
function settle(e: Entry): void {
  if (e.n !== 0) return
  e.n = -1
  // Its key says share (or not): a private socket's key is never in the registry, and a shared
  // one is replaced there only after it was removed.
  registry?.delete(e.k)
  e.s.dispose()
}

/**
 * A copy of `o` (plain objects copied deeply) whose functions call their counterpart in the
 * latest render (`get()`, with it as `this`), or themselves while it has none there (a render
 * that removes one changes the key, so that lasts until the socket is recreated). `WebSocket`
 * is a constructor: kept as is.
 */
function live(o: Dict, get: () => unknown): Dict {
  const out: Dict = {}
  for (const k in o) {
    const v = o[k]
    const at = (): unknown => (get() as Dict | undefined)?.[k]
    out[k] =
      typeof v === 'function' && k !== 'WebSocket'
        ? (...args: unknown[]): unknown => ((at() || v) as typeof v).apply(get(), args)
        : (v as Dict | undefined)?.constructor === Object
          ? live(v as Dict, at)
          : v
  }
  return out
}
