import type { RawData } from './codec'
import { call, createEmitter } from './events'
import type { SteadySocketError } from './errors'

/** The events of the WebSocket-compatible surface (plain objects: no global `Event` needed). */
export type CompatEventMap = {
  /** Like the native `open` event, on every (re)connect, after the handshake and the queue flush. */
  open: {
    /** Always `'open'`. */
    type: 'open'
  }
  /** Like the native `message` event, raw: every frame (pongs aside), decodable or not. */
  message: {
    /** Always `'message'`. */
    type: 'message'
    /** The raw frame as received, not decoded by the codec. */
    data: RawData
  }
  /** Like the native `error` event, plus the error. */
  error: {
    /** Always `'error'`. */
    type: 'error'
    /** What failed: one of the {@link SteadySocketError} subclasses. */
    error: SteadySocketError
  }
  /** Like the native `close` event; fires for every closed or abandoned socket, reconnect or not. */
  close: {
    /** Always `'close'`. */
    type: 'close'
    /**
     * Close code: the server's (1005 when its frame had none), 1006 when the connection was lost or
     * abandoned (timeout, heartbeat, handshake), or the one our `close()`/`reconnect()` sent.
     */
    code: number
    /** Close reason: the server's, ours, or a note such as `'heartbeat timeout'`; `''` when none. */
    reason: string
    /** `true` when the closing handshake completed; for our `reconnect()`, `true` when the socket was open (reported at once). */
    wasClean: boolean
  }
}
type WithTarget<T> = T & { target: CompatTarget; currentTarget: CompatTarget }
/** A listener of the WebSocket-compatible surface: a function or a `{ handleEvent }` object. */
export type CompatListener<K extends keyof CompatEventMap> =
  | ((event: WithTarget<CompatEventMap[K]>) => void)
  | {
      /** Called with each event, as with a native listener object. */
      handleEvent(event: WithTarget<CompatEventMap[K]>): void
    }

type Events = { [K in keyof CompatEventMap]: WithTarget<CompatEventMap[K]> }

/**
 * `onopen`/`onmessage`/`onerror`/`onclose` and `addEventListener`, so the socket drops in where a
 * `WebSocket` was. Works without a global `EventTarget`/`Event` (React Native, workers, old Node).
 */
export class CompatTarget {
  /** Like `WebSocket.onopen`. */
  onopen: ((event: WithTarget<CompatEventMap['open']>) => void) | null = null
  /** Like `WebSocket.onmessage`: `event.data` is the raw frame, not decoded. */
  onmessage: ((event: WithTarget<CompatEventMap['message']>) => void) | null = null
  /** Like `WebSocket.onerror`; `event.error` is the `SteadySocketError`. */
  onerror: ((event: WithTarget<CompatEventMap['error']>) => void) | null = null
  /** Like `WebSocket.onclose`. */
  onclose: ((event: WithTarget<CompatEventMap['close']>) => void) | null = null
  // The listeners, each wrapped in a function (carrying it as `fn`) that calls it as native does.
  #compat = createEmitter<Events>()

  /** Like `WebSocket.addEventListener`; supports `{ once: true }`. */
  addEventListener<K extends keyof CompatEventMap>(
    type: K,
    listener: CompatListener<K> | null,
    options?: boolean | { once?: boolean },
  ): void {
    if (!listener || this.#compat.has(type, listener)) return
    const once = (options as { once?: unknown } | undefined)?.once === true
    const w = (event: Events[K]) => {
      if (once) this.removeEventListener(type, listener)
      if (typeof listener === 'function') listener.call(this, event)
      else listener.handleEvent(event)
    }
    w.fn = listener
    this.#compat.on(type, w)
  }

  /** Like `WebSocket.removeEventListener`. */
  removeEventListener<K extends keyof CompatEventMap>(
    type: K,
    listener: CompatListener<K> | null,
  ): void {
    this.#compat.off(type, listener as never)
  }

  /** Whether anything listens on the compatible surface (lets the hot path skip building events). @internal */
  protected _hasCompat(type: keyof CompatEventMap): boolean {
    return this[HANDLER[type]] !== null || this.#compat.has(type)
  }

  /** @internal */
  protected _dispatchCompat<K extends keyof CompatEventMap>(init: CompatEventMap[K]): void {
    const type = init.type as K
    // Object.assign, not a spread with two more keys: V8 (Node 20) took 2 µs per event for that.
    const event = Object.assign({ target: this, currentTarget: this }, init) as never as Events[K]
    // Called with `this` = the socket, as native handlers are; what is not a function is ignored.
    const prop = this[HANDLER[type]] as ((e: typeof event) => void) | null
    if (typeof prop === 'function') call(prop, event, this)
    // Like EventTarget: listeners added during dispatch wait for the next event, and one removed
    // by an earlier listener is not called.
    this.#compat.emit(type, event)
  }

  /** @internal */
  protected _clearCompat(): void {
    this.#compat.clear()
    this.onopen = this.onmessage = this.onerror = this.onclose = null
  }
}

// The `on*` property of each event, as constants: the message hot path builds no strings.
const HANDLER = {
  open: 'onopen',
  message: 'onmessage',
  error: 'onerror',
  close: 'onclose',
} as const
