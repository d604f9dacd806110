/**
 * `steadysocket/vue`: the `useSteadySocket()` composable, a thin layer over the adapters' shared
 * binding (the socket per URL, its handlers and latest message). Importing it reads no browser
 * global; server rendering creates no socket.
 *
 * @module
 */
import {
  getCurrentScope,
  hasInjectionContext,
  inject,
  onScopeDispose,
  shallowRef,
  ssrContextKey,
  toValue,
  watch,
  type MaybeRefOrGetter,
  type Ref,
  type ShallowRef,
} from 'vue'
import { createBinding, type SocketHandlers } from './binding'
import type { RawData } from './codec'
import type { Status } from './events'
import type { SendResult } from './flow'
import type { SteadySocketOptions } from './socket'
import { SteadySocket } from './socket'

/** Options of {@link useSteadySocket}: the socket's own options plus event handlers. */
export type UseSteadySocketOptions<In = RawData, Out = RawData> = SteadySocketOptions<In, Out> &
  SocketHandlers<In, Out>

/** What {@link useSteadySocket} returns: read-only refs plus the socket's methods. */
export type UseSteadySocketResult<In = RawData, Out = RawData> = {
  /** The current socket; `null` while the URL is `null` and on the server. */
  socket: Readonly<ShallowRef<SteadySocket<In, Out> | null>>
  /** The socket's status; `'closed'` while there is no socket. */
  status: Readonly<Ref<Status>>
  /** Consecutive failed attempts since the last stable connection. */
  attempt: Readonly<Ref<number>>
  /** The latest message of the current socket (shallow: not made deeply reactive). */
  data: Readonly<ShallowRef<In | undefined>>
  /** `socket.send()`; `'dropped'` while there is no socket. */
  send: (data: Out) => SendResult
  /** `socket.open()`. */
  open: () => void
  /** `socket.close(code, reason)`: final until `open()`. */
  close: (code?: number, reason?: string) => void
  /** `socket.reconnect(code, reason)`. */
  reconnect: (code?: number, reason?: string) => void
}

/**
 * A `SteadySocket` tied to the current effect scope (a component's `setup()`, or `effectScope()`):
 * made at once, replaced when `url` changes (the old one is disposed first), disposed with the
 * scope. `null` as the URL: no socket. Options are read once.
 *
 * @example
 * const room = ref('general')
 * const { status, data, send } = useSteadySocket(() => `wss://example.com/rooms/${room.value}`, {
 *   codec: json(),
 * })
 */
export function useSteadySocket<In = RawData, Out = RawData>(
  url: MaybeRefOrGetter<string | URL | null>,
  options: UseSteadySocketOptions<In, Out> = {},
): UseSteadySocketResult<In, Out> {
  const scoped = getCurrentScope() !== undefined
  if (!scoped && dev()) {
    console.warn(
      'steadysocket/vue: useSteadySocket() was called outside an effect scope (setup() or ' +
        'effectScope()): nothing will close the socket; call close() yourself.',
    )
  }
  const {
    onMessage: _onMessage,
    onOpen: _onOpen,
    onClose: _onClose,
    onError: _onError,
    ...socketOptions
  } = options
  const socket = shallowRef<SteadySocket<In, Out> | null>(null)
  const status = shallowRef<Status>('closed')
  const attempt = shallowRef(0)
  const data = shallowRef<In | undefined>()
  // During server rendering the socket would connect from the server: make none.
  const ssr = hasInjectionContext() && inject(ssrContextKey, null) != null
  // The URL by value: a getter or ref that yields an equal URL again (a new URL object) is no change.
  const urlKey = () => {
    const value = toValue(url)
    return value == null || ssr ? null : String(value)
  }
  const binding = createBinding<In, Out>({
    // Read at the call: a send right after the URL changed, before the watcher made the new
    // socket (it runs before the next render, not at once), waits for that socket.
    wanted: urlKey,
    handlers: () => options,
    create: (key) => new SteadySocket<In, Out>(key, socketOptions),
    // Refs skip equal values, so each is set on every change.
    onChange: () => {
      const snapshot = binding.snapshot
      socket.value = binding.socket
      data.value = binding.lastMessage
      status.value = snapshot.status
      attempt.value = snapshot.attempt
    },
  })
  // The old socket is disposed first (detached: its late close is ignored), then the new one connects.
  watch(urlKey, (key) => binding.attach(key), { immediate: true })
  // Closed for good: nothing waits for a next socket.
  if (scoped) onScopeDispose(binding.dispose)

  const { send, open, close, reconnect } = binding
  return { socket, status, attempt, data, send, open, close, reconnect }
}

// Bundlers replace `process.env.NODE_ENV`; where nothing did and there is no `process`, warn.
declare const process: { env: Record<string, string | undefined> }
function dev(): boolean {
  try {
    return process.env.NODE_ENV !== 'production'
  } catch {
    return true
  }
}
