import type { FakeWebSocket } from './fake-websocket'
import { reportLater } from './data'

/** What every event passed to a {@link FakeWebSocket} listener carries. */
export type FakeEvent<T extends string = string> = {
  /** `'open'`, `'message'`, `'error'` or `'close'`. */
  readonly type: T
  /** The socket the event happened on. */
  readonly target: FakeWebSocket
  /** The socket whose listener is running: always `target`, sockets have no propagation. */
  readonly currentTarget: FakeWebSocket
}

/** A `message` event: `data` is a string, or a `Blob`/`ArrayBuffer` as `binaryType` says. */
export type FakeMessageEvent = FakeEvent<'message'> & {
  /** The message: text, or binary in the form `binaryType` asked for when it arrived. */
  readonly data: string | ArrayBuffer | Blob
  /** The origin of the socket's URL (`ws://host:port`), as on a native `MessageEvent`. */
  readonly origin: string
  /** Always `''` for WebSocket messages. */
  readonly lastEventId: string
  /** Always `null` for WebSocket messages. */
  readonly source: null
  /** Always empty for WebSocket messages. */
  readonly ports: readonly never[]
}

/** A `close` event. */
export type FakeCloseEvent = FakeEvent<'close'> & {
  /** The close code: the peer's, 1005 when its close frame had none, 1006 when there was none. */
  readonly code: number
  /** The close reason ('' when none). */
  readonly reason: string
  /** `true` when the closing handshake completed. */
  readonly wasClean: boolean
}

/** Event type → event object, as with the native `WebSocketEventMap`. */
export type FakeEventMap = {
  /** The server accepted: the socket is OPEN. */
  open: FakeEvent<'open'>
  /** A message from the server. */
  message: FakeMessageEvent
  /** The connection failed (refused, aborted, or a protocol error); `close` 1006 follows. */
  error: FakeEvent<'error'>
  /** The socket is CLOSED. */
  close: FakeCloseEvent
}

/** A listener: a function, or an object with `handleEvent`, as `addEventListener` accepts. */
export type FakeEventListener<E> =
  | ((event: E) => void)
  | {
      /** Called with each event, as on a native listener object. */
      handleEvent(event: E): void
    }

/** The type of an `on*` property's value (besides `null`). */
export type FakeEventHandler<E> = (event: E) => void

type Entry = {
  callback: FakeEventListener<never>
  once: boolean
  isHandler: boolean
  capture: boolean
}

/**
 * The listener lists of one socket. Like browsers, an `on*` handler keeps the slot it got when
 * first set, and a listener removed during a dispatch is not called by that dispatch.
 */
export class Listeners {
  readonly #lists = new Map<string, Entry[]>()

  // Like the DOM, a registration is (callback, capture): the same function with and without
  // capture is two listeners.
  add(type: string, callback: FakeEventListener<never>, once: boolean, capture = false): void {
    if (this.#find(type, callback, capture)) return
    this.#list(type).push({ callback, once, isHandler: false, capture })
  }

  remove(type: string, callback: FakeEventListener<never>, capture = false): void {
    const entry = this.#find(type, callback, capture)
    if (entry) this.#delete(type, entry)
  }

  handler<E>(type: string): FakeEventHandler<E> | null {
    const entry = this.#list(type).find((e) => e.isHandler)
    return (entry?.callback as FakeEventHandler<E> | undefined) ?? null
  }

  setHandler(type: string, callback: FakeEventHandler<never> | null): void {
    const entry = this.#list(type).find((e) => e.isHandler)
    if (typeof callback !== 'function') {
      if (entry) this.#delete(type, entry)
    } else if (entry) entry.callback = callback
    else this.#list(type).push({ callback, once: false, isHandler: true, capture: false })
  }

  dispatch(event: FakeEvent): void {
    const list = this.#list(event.type)
    for (const entry of [...list]) {
      if (!list.includes(entry)) continue
      if (entry.once) this.#delete(event.type, entry)
      const callback = entry.callback as FakeEventListener<FakeEvent>
      try {
        if (typeof callback === 'function') callback.call(event.currentTarget, event)
        else callback.handleEvent(event)
      } catch (error) {
        // Like a browser: the other listeners still run, and the error surfaces as uncaught.
        reportLater(error)
      }
    }
  }

  #find(type: string, callback: FakeEventListener<never>, capture: boolean): Entry | undefined {
    return this.#list(type).find(
      (e) => !e.isHandler && e.callback === callback && e.capture === capture,
    )
  }

  #list(type: string): Entry[] {
    let list = this.#lists.get(type)
    if (!list) this.#lists.set(type, (list = []))
    return list
  }

  #delete(type: string, entry: Entry): void {
    const list = this.#list(type)
    list.splice(list.indexOf(entry), 1)
  }
}
