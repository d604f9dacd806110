import mitt from 'mitt'
import type { Handler } from 'mitt'
import type { RawData } from './codec'
import type { SteadySocketError } from './errors'

/** `'connecting' | 'open' | 'closing' | 'reconnecting' | 'closed'`: see the README's status machine. */
export type Status = 'connecting' | 'open' | 'closing' | 'reconnecting' | 'closed'

/** A close, as passed to `shouldReconnect` and kept in the snapshot's `lastClose`. */
export type CloseInfo = {
  /**
   * Close code: the server's (1005 when its frame had none), 1006 when the connection was lost or
   * abandoned, or (in `lastClose` only) the one our `close()`/`reconnect()` sent.
   */
  code: number
  /** Close reason: the server's, ours, or a note such as `'heartbeat timeout'`; `''` when none. */
  reason: string
  /** `true` when the closing handshake completed; `false` when the connection was lost or cut. */
  wasClean: boolean
}

/**
 * Why messages were dropped: a full queue (`'overflow'`), a `queue.ttl` expiry (`'expired'`), no
 * queue (`'disabled'`), `dispose()` (`'disposed'`), or the WebSocket implementation's `send()`
 * threw for a queued message when its turn came (`'refused'`; the error is re-thrown
 * asynchronously).
 */
export type DropReason = 'overflow' | 'expired' | 'disabled' | 'disposed' | 'refused'

/** Every event and its payload: the single source of event names. */
export type SteadySocketEvents<In = RawData, Out = RawData> = {
  /** Connected, after the handshake and the queue flush. */
  open: {
    /** `false` on this socket's first open; `true` on every later one, even after `close()` + `open()`. */
    isReconnect: boolean
  }
  /** An inbound frame, decoded by the codec (pongs excluded when `heartbeat.isPong` is set). */
  message: In
  /** A native socket closed or was abandoned (also after our own `close()`). */
  close: {
    /**
     * Close code: the server's (1005 when its frame had none), 1006 when the connection was lost or
     * abandoned (timeout, heartbeat, handshake), or the one our `close()`/`reconnect()` sent.
     */
    code: number
    /** Close reason: the server's, ours, or a note such as `'heartbeat timeout'`; `''` when none. */
    reason: string
    /** `true` when the closing handshake completed; for our `reconnect()`, `true` when the socket was open (reported at once). */
    wasClean: boolean
    /** `true` when a retry is scheduled next (a `reconnecting` event follows). */
    willReconnect: boolean
  }
  /** A runtime failure: one of the {@link SteadySocketError} subclasses. */
  error: SteadySocketError
  /** A retry is scheduled. */
  reconnecting: {
    /** The retry's number, 1-based: consecutive failed attempts so far. */
    attempt: number
    /** ms until the retry: after jitter, or from `reconnect.delay`; `maxDelay` while offline (`online` retries at once). */
    delay: number
  }
  /** Open for `reconnect.minUptime` ms (5000 with `reconnect: false`); `attempt` is back to 0. */
  stable: Record<string, never>
  /** Gave up after `reconnect.maxRetries` failed retries; status is now `closed`. */
  exhausted: {
    /** The retries made. */
    attempts: number
  }
  /**
   * With `resume`: the session, on every open before `open`. `resumed: false` after an earlier
   * session means the server no longer had it: `unconfirmed` are that session's messages it never
   * acknowledged (not re-sent), and what it sent meanwhile may be missing.
   */
  session: {
    /** The session's id. */
    id: string
    /** `true`: the session goes on, nothing lost; `false`: a new session. */
    resumed: boolean
    /** Messages of the previous session the server never acknowledged, oldest first. */
    unconfirmed: Out[]
  }
  /** Every status change. */
  status: {
    /** The new status. */
    status: Status
    /** The status before this change. */
    previous: Status
  }
  /** Messages that will not be sent. */
  drop: {
    /** The dropped messages, as passed to `send()` (before encoding), oldest first. */
    messages: Out[]
    /** Why: a full queue, a `queue.ttl` expiry, no queue, `dispose()`, or a native refusal. */
    reason: DropReason
  }
  /**
   * After a `send()` returned `'queued'` (backpressure, or the socket was not open): the queue
   * emptied and the native buffer is at or below `backpressure.lowWaterMark`.
   */
  drain: Record<string, never>
}

/** The typed emitter every socket owns; listeners that throw are isolated and re-reported. */
export type Emitter<E extends Record<string, unknown>> = {
  on<K extends keyof E>(type: K, fn: (payload: E[K]) => void): () => void
  once<K extends keyof E>(type: K, fn: (payload: E[K]) => void): () => void
  off<K extends keyof E>(type: K, fn: (payload: E[K]) => void): void
  emit<K extends keyof E>(type: K, payload: E[K]): void
  /** Whether `fn` (or, without it, any listener) listens to `type`; `fn` matches what once() wraps. */
  has(type: keyof E, fn?: unknown): boolean
  clear(): void
}

export function createEmitter<E extends Record<string, unknown>>(): Emitter<E> {
  type Fn = Handler<E[keyof E]> & { fn?: unknown }
  const m = mitt<E>()
  const all = m.all as Map<keyof E, Fn[]>
  const on = (type: keyof E, fn: Fn) => {
    m.on(type, fn)
    return () => m.off(type, fn)
  }
  return {
    on: on as Emitter<E>['on'],
    once(type, fn) {
      const w: Fn = (payload) => {
        off()
        fn(payload as E[typeof type])
      }
      w.fn = fn
      const off = on(type, w)
      return off
    },
    // Also removes a listener added with once(), by the function given to it.
    off(type, fn) {
      const list = all.get(type)
      const i = list ? list.findIndex((h) => h === fn || h.fn === fn) : -1
      if (i >= 0) list!.splice(i, 1)
    },
    // mitt's own emit stops at the first listener that throws; this one calls every listener.
    emit(type, payload) {
      const list = all.get(type)
      if (!list || list.length === 0) return
      if (list.length === 1) return call(list[0]!, payload)
      // Like EventTarget: a listener removed by an earlier one (or by dispose()) is not called.
      for (const fn of list.slice())
        if (all.get(type) === list && list.includes(fn)) call(fn, payload)
    },
    has: (type, fn) => !!all.get(type)?.some((h) => !fn || h === fn || h.fn === fn),
    clear: () => all.clear(),
  }
}

/** Calls a listener; a throw is re-raised asynchronously so it reaches the console and error trackers. */
export function call<T>(fn: (payload: T) => void, payload: T, self?: unknown): void {
  try {
    fn.call(self, payload)
  } catch (error) {
    reportLater(error)
  }
}

/** Re-raises `error` asynchronously: it reaches the console and error trackers, not the caller. */
export function reportLater(error: unknown): void {
  if (typeof reportError === 'function') reportError(error)
  else
    queueMicrotask(() => {
      throw error
    })
}
