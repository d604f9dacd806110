/**
 * `steadysocket/react`: `useSteadySocket()` and `useSocketState()`, thin hooks over the adapters'
 * shared binding and the socket's `subscribe()`/`getSnapshot()`. Importing or server-rendering
 * them reads no browser global.
 *
 * @module
 */
import { useEffect, useInsertionEffect, useRef, useState, useSyncExternalStore } from 'react'
import { CLOSED_SNAPSHOT, createBinding, type SocketHandlers } from './binding'
import type { RawData } from './codec'
import type { Status } from './events'
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
  const {
    onMessage: _onMessage,
    onOpen: _onOpen,
    onClose: _onClose,
    onError: _onError,
    share: _share,
    ...socketOptions
  } = options
  // Shared sockets are found by URL: a provider has none to compare, so its socket stays private.
  const share = !!options.share && typeof url !== 'function'
  const key = url === null ? null : JSON.stringify([share, url, socketOptions], canonical)
  const render: Render<In, Out> = { url, options: socketOptions, handlers: options, key }
  const latest = useRef(render)
  // Before any effect of this commit: handlers, providers and the wanted key are current by the
  // time a child's effect sends or the socket calls back.
  useInsertionEffect(() => {
    latest.current = render
  })
  // The socket, and the latest message with it (so a new socket starts without one).
  const [view, setView] = useState<View<In, Out>>(NO_SOCKET)
  const [binding] = useState(() =>
    createBinding<In, Out>({
      wanted: () => latest.current.key,
      handlers: () => latest.current.handlers,
      create: () => {
        // Made in an effect, when `latest` is the render that asked for this key.
        const { url, options } = latest.current
        const made = followLatest({ url, options }, () => latest.current)
        return new SteadySocket(made.url as UrlSource, made.options as SteadySocketOptions<In, Out>)
      },
      onChange: (change) => {
        if (change !== 'snapshot')
          setView({ socket: binding.socket, lastMessage: binding.lastMessage })
      },
    }),
  )

  useEffect(() => {
    binding.attach(key, share)
    // StrictMode runs the effect again at once: the socket survives if it is taken back.
    return binding.release
  }, [key])

  const { status, attempt } = useSocketState(view.socket)
  const { send, open, close, reconnect } = binding
  return {
    socket: view.socket,
    status,
    attempt,
    lastMessage: view.lastMessage,
    send,
    open,
    close,
    reconnect,
  }
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
  const get = socket ? socket.getSnapshot : closedSnapshot
  return useSyncExternalStore(socket ? socket.subscribe : noSubscription, get, get)
}

/** What one render asked for. */
type Render<In, Out> = {
  url: UrlSource | null
  options: SteadySocketOptions<In, Out>
  handlers: SocketHandlers<In, Out>
  key: string | null
}
type View<In, Out> = { socket: SteadySocket<In, Out> | null; lastMessage: In | undefined }
type Dict = Record<string, unknown>

const NO_SOCKET: View<never, never> = { socket: null, lastMessage: undefined }
const closedSnapshot = (): Snapshot => CLOSED_SNAPSHOT
/** `subscribe` without a socket: nothing to listen to; returns a no-op unsubscribe. */
const noSubscription = (): (() => void) => closedSnapshot

/**
 * The options as the socket key sees them (a JSON replacer): plain objects with sorted keys
 * (another key order is no change), arrays and primitives by value; a function or any other
 * object (a codec class, binary ping data) by presence only: adding or removing one recreates the
 * socket, a new identity or a change inside it does not (and a cycle in it does not matter).
 */
function canonical(_key: string, value: unknown): unknown {
  if ((value as object | null)?.constructor !== Object)
    return Array.isArray(value) || value !== Object(value) ? value : 1
  const sorted: Dict = {}
  for (const name of Object.keys(value as Dict).sort()) sorted[name] = (value as Dict)[name]
  return sorted
}

/**
 * A copy of `value` (plain objects copied deeply) whose functions call their counterpart in the
 * latest render (`latest()`, with it as `this`), or themselves while it has none there (a render
 * that removes one changes the key, so that lasts until the socket is recreated). `WebSocket`
 * is a constructor: kept as is.
 */
function followLatest(value: Dict, latest: () => unknown): Dict {
  const copy: Dict = {}
  for (const name in value) {
    const field = value[name]
    const current = (): unknown => (latest() as Dict | undefined)?.[name]
    copy[name] =
      typeof field === 'function' && name !== 'WebSocket'
        ? (...args: unknown[]): unknown =>
            ((current() || field) as typeof field).apply(latest(), args)
        : (field as Dict | undefined)?.constructor === Object
          ? followLatest(field as Dict, current)
          : field
  }
  return copy
}
