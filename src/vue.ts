/**
 * `steadysocket/vue`: the `useSteadySocket()` composable, a thin layer over the socket's
 * `subscribe()`. Importing it reads no browser global; server rendering creates no socket.
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
import type { RawData } from './codec'
import type { SocketHandlers, Status } from './events'
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
  const { onMessage, onOpen, onClose, onError, ...rest } = options
  const socket = shallowRef<SteadySocket<In, Out> | null>(null)
  const status = shallowRef<Status>('closed')
  const attempt = shallowRef(0)
  const data = shallowRef<In | undefined>()
  // During server rendering the socket would connect from the server: make none.
  const ssr = hasInjectionContext() && inject(ssrContextKey, null) != null
  let offs: (() => void)[] = []
  // The URL the socket was made for (by value), and sends made for a newer URL before the
  // watcher made its socket (it runs before the next render, not at once).
  const key = () => {
    const u = toValue(url)
    return u == null ? null : String(u)
  }
  let current: string | null | undefined
  let early: Out[] = []

  const start = (u: string | null) => {
    current = u
    // The old socket goes first (detached: its late close is ignored), then the new one connects.
    for (const off of offs) off()
    offs = []
    socket.value?.dispose()
    socket.value = null
    data.value = undefined
    if (u === null || ssr) {
      status.value = 'closed'
      attempt.value = 0
      return
    }
    const s = new SteadySocket<In, Out>(u, rest)
    const sync = () => {
      const snap = s.getSnapshot()
      status.value = snap.status
      attempt.value = snap.attempt
    }
    offs = [
      s.subscribe(sync),
      s.on('message', (m) => {
        data.value = m
        onMessage?.(m, s)
      }),
      s.on('open', (e) => onOpen?.(e, s)),
      s.on('close', (e) => onClose?.(e, s)),
      s.on('error', (e) => onError?.(e, s)),
    ]
    socket.value = s
    sync()
    for (const d of early.splice(0)) s.send(d)
  }
  // By value: a getter or ref that yields an equal URL again (a new URL object) is no change.
  watch(key, start, { immediate: true })
  if (scoped)
    onScopeDispose(() => {
      start(null)
      current = undefined // closed for good: nothing waits for a next socket
      early = []
    })

  return {
    socket,
    status,
    attempt,
    data,
    send: (d) => {
      const k = key()
      if (current === undefined || ssr || k === current) return socket.value?.send(d) ?? 'dropped'
      if (k === null) return 'dropped'
      early.push(d)
      return 'queued'
    },
    open: () => socket.value?.open(),
    close: (code, reason) => socket.value?.close(code, reason),
    reconnect: (code, reason) => socket.value?.reconnect(code, reason),
  }
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
