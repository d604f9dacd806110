import { CompatTarget } from './compat'
import type { Emitter, Status } from './events'

/**
 * What `SteadySocket` and `TabSocket` share: the WebSocket-compatible surface, the `readyState`
 * constants, the status getters (all derived from `status`) and typed `on`/`once`/`off`.
 */
export abstract class SocketSurface<E extends Record<string, unknown>> extends CompatTarget {
  /** `readyState` while connecting or waiting to reconnect (0), as `WebSocket.CONNECTING`. */
  static readonly CONNECTING = 0
  /** `readyState` while open (1), as `WebSocket.OPEN`. */
  static readonly OPEN = 1
  /** `readyState` while our `close()` waits for the closing handshake (2), as `WebSocket.CLOSING`. */
  static readonly CLOSING = 2
  /** `readyState` once `closed`: it will not connect on its own (3), as `WebSocket.CLOSED`. */
  static readonly CLOSED = 3
  /** `readyState` while connecting or waiting to reconnect (0), as `WebSocket.CONNECTING`. */
  readonly CONNECTING = 0
  /** `readyState` while open (1), as `WebSocket.OPEN`. */
  readonly OPEN = 1
  /** `readyState` while our `close()` waits for the closing handshake (2), as `WebSocket.CLOSING`. */
  readonly CLOSING = 2
  /** `readyState` once `closed`: it will not connect on its own (3), as `WebSocket.CLOSED`. */
  readonly CLOSED = 3

  readonly #ev: Emitter<E>

  constructor(ev: Emitter<E>) {
    super()
    this.#ev = ev
  }

  /** `'connecting' | 'open' | 'closing' | 'reconnecting' | 'closed'`. */
  abstract get status(): Status

  /** 0–3 like the native one; CONNECTING while connecting or waiting to reconnect. */
  get readyState(): 0 | 1 | 2 | 3 {
    return (STATES.indexOf(this.status) + 1) as 0 | 1 | 2 | 3
  }
  /** `status === 'connecting'`: an attempt is under way (URL provider, native connect, handshake). */
  get isConnecting(): boolean {
    return this.status === 'connecting'
  }
  /** `status === 'open'`: connected and past the handshake; `send()` writes unless backpressure queues. */
  get isOpen(): boolean {
    return this.status === 'open'
  }
  /** `status === 'closing'`: our `close()` waits for the closing handshake. */
  get isClosing(): boolean {
    return this.status === 'closing'
  }
  /** `status === 'reconnecting'`: waiting for the backoff timer. */
  get isReconnecting(): boolean {
    return this.status === 'reconnecting'
  }
  /** `status === 'closed'`: it will not connect on its own until `open()` or `reconnect()`. */
  get isClosed(): boolean {
    return this.status === 'closed'
  }

  /** Listens to a typed event; returns a function that removes the listener. */
  on<K extends keyof E>(type: K, fn: (payload: E[K]) => void): () => void {
    return this.#ev.on(type, fn)
  }

  /** Like `on`, removed after the first call. */
  once<K extends keyof E>(type: K, fn: (payload: E[K]) => void): () => void {
    return this.#ev.once(type, fn)
  }

  /** Removes a listener added with `on` or `once`. */
  off<K extends keyof E>(type: K, fn: (payload: E[K]) => void): void {
    this.#ev.off(type, fn)
  }
}

// readyState 1, 2 and 3; every other status (connecting, reconnecting) is 0.
const STATES: Status[] = ['open', 'closing', 'closed']
