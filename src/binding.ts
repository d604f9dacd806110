// The framework-free part of the adapters (`steadysocket/react`, `/vue`, `/svelte`): which socket a
// component or store uses, its event handlers, its latest message, sends made before its socket
// exists, and sockets shared by key. Only the adapters import it; the core exports its types only.
import type { RawData } from './codec'
import type { SteadySocketError } from './errors'
import type { SteadySocketEvents } from './events'
import type { SendResult } from './flow'
import type { Snapshot, SteadySocket } from './socket'

/** Event callbacks the framework adapters accept beside the socket's options; each gets the socket too. */
export type SocketHandlers<In = RawData, Out = RawData> = {
  /** Called for every message, even when the framework batches updates of the latest message. */
  onMessage?: ((message: In, socket: SteadySocket<In, Out>) => void) | undefined
  /** Called on every open (after the handshake and the queue flush). */
  onOpen?:
    | ((event: SteadySocketEvents<In, Out>['open'], socket: SteadySocket<In, Out>) => void)
    | undefined
  /** Called whenever a native socket closed or was abandoned. */
  onClose?:
    | ((event: SteadySocketEvents<In, Out>['close'], socket: SteadySocket<In, Out>) => void)
    | undefined
  /** Called with every runtime error (`ConnectError`, `DecodeError`, …). */
  onError?: ((error: SteadySocketError, socket: SteadySocket<In, Out>) => void) | undefined
}

/**
 * What changed, so an adapter updates only what it shows: the attached socket (made, replaced,
 * or gone), the socket's snapshot, or `lastMessage` (on every message, even an equal one).
 */
export type BindingChange = 'socket' | 'snapshot' | 'message'

/** The snapshot of no socket (read-only by its type). */
export const CLOSED_SNAPSHOT: Snapshot = {
  status: 'closed',
  readyState: 3,
  attempt: 0,
  url: '',
  lastClose: null,
  lastError: null,
}

/** An adapter's listeners on one socket, from {@link watchSocket}. */
export type SocketWatch<In> = {
  /** The latest message since the watch began. */
  readonly lastMessage: In | undefined
  /** Removes the listeners. */
  stop(): void
}

/**
 * Listens to `socket` for an adapter: `onChange` after every snapshot change and every message
 * (kept as `lastMessage` first), then the handler for each open, close, error and message, read
 * from `handlers()` at the event so the latest ones are called.
 */
export function watchSocket<In, Out>(
  socket: SteadySocket<In, Out>,
  onChange: (change: Exclude<BindingChange, 'socket'>) => void,
  handlers?: () => SocketHandlers<In, Out>,
): SocketWatch<In> {
  let lastMessage: In | undefined
  const stops = [
    socket.subscribe(() => onChange('snapshot')),
    ...EVENTS.map((type) =>
      socket.on(type, (payload) => {
        if (type === 'message') {
          lastMessage = payload as In
          onChange('message')
        }
        // Called as a method, as the user wrote it in their options object.
        handlers?.()[HANDLER_NAMES[type]]?.(payload as never, socket)
      }),
    ),
  ]
  return {
    get lastMessage() {
      return lastMessage
    },
    stop() {
      for (const stop of stops) stop()
    },
  }
}

/** What an adapter tells {@link createBinding}: functions, called when needed. */
export type BindingSource<In, Out> = {
  /** Makes the socket for `key`. Called once per key attached (once across users for a shared one). */
  create(key: string): SteadySocket<In, Out>
  /**
   * The key the adapter wants a socket for right now (`null`: none). A send for a key whose socket
   * is not attached yet waits for it; a send while this is `null` is dropped.
   */
  wanted(): string | null
  /** The handlers to call, read at every event (so the latest render's are used). */
  handlers(): SocketHandlers<In, Out>
  /** Called after every change the adapter may show. */
  onChange(change: BindingChange): void
}

/**
 * An adapter's hold on the socket for a key (one that may change: a URL, a URL and options).
 * Its functions need no `this`: they can be handed out as they are.
 */
export type Binding<In, Out> = {
  /** The socket last attached; `null` before the first `attach()`, for a `null` key and after `dispose()`. */
  readonly socket: SteadySocket<In, Out> | null
  /** The attached socket's snapshot; a closed one while there is no socket. */
  readonly snapshot: Snapshot
  /** The latest message of the attached socket; `undefined` again after every `attach()`. */
  readonly lastMessage: In | undefined
  /**
   * Uses the socket for `key` (`null`: none): keeps the current one if it has that key and is not
   * disposed yet; else disposes the current one unless another user holds it, then takes (with
   * `shared`, from the sockets shared by key) or makes the new one. Sends that waited go to it,
   * oldest first.
   */
  attach(key: string | null, shared?: boolean): void
  /**
   * Stops listening and gives up this user's hold on the socket, which is disposed a microtask
   * later unless `attach()` takes it back first (React's StrictMode runs effects twice).
   */
  release(): void
  /** Disposes what this binding holds, at once and for good: later sends are dropped. */
  dispose(): void
  /**
   * `socket.send()` when the attached socket is the wanted one; otherwise the message waits for
   * the wanted key's socket (`'queued'`), or is dropped when no socket is wanted.
   */
  send(data: Out): SendResult
  /** `socket.open()` of the attached socket, if any. */
  open(): void
  /** `socket.close(code, reason)` of the attached socket, if any. */
  close(code?: number, reason?: string): void
  /** `socket.reconnect(code, reason)` of the attached socket, if any. */
  reconnect(code?: number, reason?: string): void
}

/** Makes an adapter's {@link Binding}; it attaches nothing until told to. */
export function createBinding<In = RawData, Out = RawData>(
  source: BindingSource<In, Out>,
): Binding<In, Out> {
  /** The entry last attached; kept after `release()` so that `attach()` can take it back. */
  let entry: Entry<In, Out> | null = null
  /** Set while this binding holds `entry` (counts among its users). */
  let watch: SocketWatch<In> | undefined
  /** Sends made for a key whose socket is not attached yet. */
  let waiting: Out[] = []
  let disposed = false

  /** Stops holding `entry`; says whether it was held. */
  const letGo = (): boolean => {
    if (!watch || !entry) return false
    watch.stop()
    watch = undefined
    entry.users--
    return true
  }

  const attach = (key: string | null, shared = false): void => {
    if (disposed) return
    const previous = entry
    letGo()
    const keep = previous?.key === key && !previous.disposed
    // Disposed before the new socket is made, so only one is live at a time.
    if (previous && !keep) settle(previous)
    if (key === null) entry = null
    else if (!keep) {
      entry = (shared && (sharedSockets?.get(key) as Entry<In, Out> | undefined)) || {
        key,
        socket: source.create(key),
        users: 0,
        disposed: false,
      }
      if (shared) (sharedSockets ??= new Map()).set(key, entry as Entry<unknown, unknown>)
    }
    if (entry) {
      entry.users++
      watch = watchSocket(entry.socket, source.onChange, source.handlers)
      for (const data of waiting.splice(0)) entry.socket.send(data)
    }
    source.onChange('socket')
  }

  return {
    get socket() {
      return entry?.socket ?? null
    },
    get snapshot() {
      return entry?.socket.getSnapshot() ?? CLOSED_SNAPSHOT
    },
    get lastMessage() {
      return watch?.lastMessage
    },
    attach,
    release() {
      const released = entry
      if (letGo() && released) queueMicrotask(() => settle(released))
    },
    dispose() {
      attach(null)
      waiting = []
      disposed = true
    },
    send(data) {
      if (disposed) return 'dropped'
      const key = source.wanted()
      if (entry?.key === key) return entry.socket.send(data)
      if (key === null) return 'dropped'
      waiting.push(data)
      return 'queued'
    },
    open: () => entry?.socket.open(),
    close: (code, reason) => entry?.socket.close(code, reason),
    reconnect: (code, reason) => entry?.socket.reconnect(code, reason),
  }
}

/** A socket and how many bindings hold it. */
type Entry<In, Out> = {
  key: string
  socket: SteadySocket<In, Out>
  users: number
  disposed: boolean
}

const HANDLER_NAMES = {
  open: 'onOpen',
  close: 'onClose',
  error: 'onError',
  message: 'onMessage',
} as const
const EVENTS = Object.keys(HANDLER_NAMES) as (keyof typeof HANDLER_NAMES)[]

/** Shared sockets by key; made on the first shared attach, so importing creates nothing. */
let sharedSockets: Map<string, Entry<unknown, unknown>> | undefined

/** Disposes an entry nobody holds (any more), once. */
function settle<In, Out>(entry: Entry<In, Out>): void {
  if (entry.users !== 0 || entry.disposed) return
  entry.disposed = true
  // A private socket's key may equal a shared one's: remove only this entry.
  if (sharedSockets?.get(entry.key) === (entry as Entry<unknown, unknown>))
    sharedSockets.delete(entry.key)
  entry.socket.dispose()
}
