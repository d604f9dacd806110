import type { RawData } from '../codec'
import { byteLength, domError, later, snapshot, toFrame } from './data'
import { Listeners } from './events'
import { connectorOf } from './link'
import type { Control, Peer } from './link'
import { checkProtocols, clampUint16, resolveUrl } from './validate'
import type {
  FakeCloseEvent,
  FakeEvent,
  FakeEventHandler,
  FakeEventListener,
  FakeEventMap,
  FakeMessageEvent,
} from './events'

/** `binaryType` values: how binary messages are handed to listeners. */
export type FakeBinaryType = 'blob' | 'arraybuffer'

/** The options `addEventListener` honours (`capture` only tells registrations apart, as in the DOM). */
export type FakeListenerOptions =
  | boolean
  | {
      /** Remove the listener after its first call. @default false */
      once?: boolean
      /** Accepted for compatibility; sockets have no capture phase. @default false */
      capture?: boolean
      /** Removes the listener when this signal aborts (an aborted one adds nothing). */
      signal?: AbortSignal
    }

const CONNECTING = 0
const OPEN = 1
const CLOSING = 2
const CLOSED = 3
/** @inline */
type ReadyState = typeof CONNECTING | typeof OPEN | typeof CLOSING | typeof CLOSED

/**
 * An in-memory WebSocket with the browser's surface and semantics. Use `FakeServer#WebSocket`
 * to get one that connects; constructed directly, it fails like a refused connection.
 */
export class FakeWebSocket {
  /** The connection is not yet open. */
  static readonly CONNECTING = CONNECTING
  /** The connection is open and ready to communicate. */
  static readonly OPEN = OPEN
  /** The connection is closing. */
  static readonly CLOSING = CLOSING
  /** The connection is closed or could not be opened. */
  static readonly CLOSED = CLOSED
  /** The connection is not yet open. */
  readonly CONNECTING = CONNECTING
  /** The connection is open and ready to communicate. */
  readonly OPEN = OPEN
  /** The connection is closing. */
  readonly CLOSING = CLOSING
  /** The connection is closed or could not be opened. */
  readonly CLOSED = CLOSED

  /** The URL, resolved and serialised like browsers do (`http:` → `ws:`, `https:` → `wss:`). */
  readonly url: string
  /** Negotiated extensions: always `''`, the fake negotiates none. */
  readonly extensions: string = ''

  #readyState: ReadyState = CONNECTING
  #protocol = ''
  #binaryType: FakeBinaryType = 'blob'
  #bufferedAmount = 0
  #peer: Peer | undefined
  readonly #listeners = new Listeners()
  readonly #tasks: (() => void)[] = []
  #closeQueued = false
  #opened = false

  /** Opens a connection like `new WebSocket(url, protocols)`, throwing the same `SyntaxError`s. */
  constructor(url: string | URL, protocols: string | string[] = []) {
    if (arguments.length === 0) throw requiredArgument('construct', 1)
    this.url = resolveUrl(url)
    const requested = checkProtocols(protocols)
    const connect = connectorOf(new.target)
    if (!connect) {
      this.#queueClose(1006, '', false)
      return
    }
    connect(this, this.#control(), requested)
  }

  /** `CONNECTING` (0), `OPEN` (1), `CLOSING` (2) or `CLOSED` (3). */
  get readyState(): ReadyState {
    return this.#readyState
  }

  /** The subprotocol the server selected; `''` until open or when none. */
  get protocol(): string {
    return this.#protocol
  }

  /** Bytes passed to `send()` and not yet transmitted. Like browsers, never lowered by a close. */
  get bufferedAmount(): number {
    return this.#bufferedAmount
  }

  /** How binary messages are delivered: `'blob'` (default) or `'arraybuffer'`; others are ignored. */
  get binaryType(): FakeBinaryType {
    return this.#binaryType
  }

  /** Applies to messages delivered from now on; other values are ignored, as in browsers. */
  set binaryType(value: FakeBinaryType) {
    if (value === 'blob' || value === 'arraybuffer') this.#binaryType = value
  }

  /** Called on `open`, in the slot it got when first set among the listeners. */
  get onopen(): FakeEventHandler<FakeEvent<'open'>> | null {
    return this.#listeners.handler('open')
  }

  /** Sets the `open` handler; `null` (or a non-function) removes it. */
  set onopen(handler: FakeEventHandler<FakeEvent<'open'>> | null) {
    this.#listeners.setHandler('open', handler)
  }

  /** Called on `message`. */
  get onmessage(): FakeEventHandler<FakeMessageEvent> | null {
    return this.#listeners.handler('message')
  }

  /** Sets the `message` handler; `null` (or a non-function) removes it. */
  set onmessage(handler: FakeEventHandler<FakeMessageEvent> | null) {
    this.#listeners.setHandler('message', handler)
  }

  /** Called on `error` (a failed connection; always followed by `close`). */
  get onerror(): FakeEventHandler<FakeEvent<'error'>> | null {
    return this.#listeners.handler('error')
  }

  /** Sets the `error` handler; `null` (or a non-function) removes it. */
  set onerror(handler: FakeEventHandler<FakeEvent<'error'>> | null) {
    this.#listeners.setHandler('error', handler)
  }

  /** Called on `close`. */
  get onclose(): FakeEventHandler<FakeCloseEvent> | null {
    return this.#listeners.handler('close')
  }

  /** Sets the `close` handler; `null` (or a non-function) removes it. */
  set onclose(handler: FakeEventHandler<FakeCloseEvent> | null) {
    this.#listeners.setHandler('close', handler)
  }

  /** Adds a listener (a function or `{ handleEvent }`); adding the same one twice has no effect. */
  addEventListener<K extends keyof FakeEventMap>(
    type: K,
    listener: FakeEventListener<FakeEventMap[K]> | null,
    options?: FakeListenerOptions,
  ): void
  addEventListener(
    type: string,
    listener: FakeEventListener<FakeEvent> | null,
    options?: FakeListenerOptions,
  ): void
  addEventListener(
    type: string,
    listener: FakeEventListener<never> | null,
    options?: FakeListenerOptions,
  ): void {
    if (listener == null) return
    const o = typeof options === 'object' ? options : { capture: options === true }
    if (o.signal?.aborted) return
    const capture = o.capture === true
    this.#listeners.add(type, listener, o.once === true, capture)
    o.signal?.addEventListener('abort', () => this.#listeners.remove(type, listener, capture), {
      once: true,
    })
  }

  /** Removes a listener added with `addEventListener`. */
  removeEventListener<K extends keyof FakeEventMap>(
    type: K,
    listener: FakeEventListener<FakeEventMap[K]> | null,
    options?: boolean | { capture?: boolean },
  ): void
  removeEventListener(
    type: string,
    listener: FakeEventListener<FakeEvent> | null,
    options?: boolean | { capture?: boolean },
  ): void
  removeEventListener(
    type: string,
    listener: FakeEventListener<never> | null,
    options?: boolean | { capture?: boolean },
  ): void {
    const capture = typeof options === 'object' ? options.capture === true : options === true
    if (listener != null) this.#listeners.remove(type, listener, capture)
  }

  /**
   * Sends a message. Throws `InvalidStateError` while CONNECTING; once CLOSING or CLOSED the data
   * goes nowhere and only `bufferedAmount` grows, as in browsers.
   */
  send(data: RawData): void {
    if (arguments.length === 0) throw requiredArgument('send', 1)
    if (this.#readyState === CONNECTING) {
      throw domError(
        "Failed to execute 'send' on 'WebSocket': Still in CONNECTING state.",
        'InvalidStateError',
      )
    }
    // Browsers copy the bytes now: the caller may reuse its buffer at once.
    const frame = snapshot(toFrame(data))
    const bytes = byteLength(frame)
    if (this.#readyState === OPEN && this.#peer?.transmit(frame, bytes) === true) return
    this.#bufferedAmount += bytes
  }

  /**
   * Closes like the native `close()`: validates `code` (1000 or 3000–4999, else
   * `InvalidAccessError`) and `reason` (≤ 123 UTF-8 bytes, else `SyntaxError`); while CONNECTING
   * it fails the connection (error, then close 1006); when CLOSING or CLOSED it does nothing.
   */
  close(code?: number, reason?: string): void {
    const status = code === undefined ? undefined : clampUint16(code)
    if (status !== undefined && status !== 1000 && (status < 3000 || status > 4999)) {
      throw domError(
        `Failed to execute 'close' on 'WebSocket': The close code must be either 1000, or between 3000 and 4999. ${status} is neither.`,
        'InvalidAccessError',
      )
    }
    const text = reason === undefined ? '' : String(reason)
    if (byteLength(text) > 123) {
      throw domError(
        "Failed to execute 'close' on 'WebSocket': The close reason must not be greater than 123 UTF-8 bytes.",
        'SyntaxError',
      )
    }
    if (this.#readyState === CONNECTING) {
      this.#readyState = CLOSING
      this.#peer?.abort()
      // Failing the handshake supersedes whatever the server had already queued.
      this.#tasks.length = 0
      this.#closeQueued = false
      this.#queueClose(1006, '', false)
    } else if (this.#readyState === OPEN) {
      this.#readyState = CLOSING
      // The WebSocket standard sends 1000 when a reason is given without a code.
      this.#peer?.closeFrame(status ?? (text === '' ? undefined : 1000), text)
    }
  }

  #control(): Control {
    return {
      attach: (peer) => {
        this.#peer = peer
      },
      open: (protocol) =>
        this.#queue(() => {
          if (this.#readyState !== CONNECTING) return
          this.#readyState = OPEN
          this.#opened = true
          this.#protocol = protocol
          this.#emit({ type: 'open' })
        }),
      // Messages that arrive once the client has started closing are dropped, as the standard says.
      message: (data) =>
        this.#queue(() => {
          if (this.#readyState !== OPEN) return
          const blob = typeof data !== 'string' && this.#binaryType === 'blob'
          this.#emit({
            type: 'message',
            data: blob ? new Blob([data]) : data,
            origin: new URL(this.url).origin,
            lastEventId: '',
            source: null,
            ports: [],
          })
        }),
      close: (code, reason, wasClean, failed) => this.#queueClose(code, reason, wasClean, failed),
      addBuffered: (bytes) => {
        this.#bufferedAmount = Math.max(0, this.#bufferedAmount + bytes)
      },
      setBuffered: (bytes) => {
        this.#bufferedAmount = bytes
      },
    }
  }

  // Chromium reports a connection that failed before opening as an error event, then close 1006,
  // in separate tasks. One that drops once open gets only the close (1006, not clean): the
  // standard fires error only when it "fails the WebSocket connection".
  #queueClose(code: number, reason: string, wasClean: boolean, failed = false): void {
    if (this.#closeQueued) return
    this.#closeQueued = true
    if (!wasClean) {
      this.#queue(() => {
        this.#readyState = CLOSED
        if (failed || !this.#opened) this.#emit({ type: 'error' })
      })
    }
    this.#queue(() => {
      this.#readyState = CLOSED
      this.#emit({ type: 'close', code, reason, wasClean })
    })
  }

  // One timer per event, but each timer runs the oldest task: per-socket order holds even if a
  // browser clamps nested timers to different delays.
  #queue(task: () => void): void {
    this.#tasks.push(task)
    later(() => this.#tasks.shift()?.())
  }

  #emit(fields: { type: string; [field: string]: unknown }): void {
    this.#listeners.dispatch({ ...fields, target: this, currentTarget: this })
  }
}

function requiredArgument(what: 'construct' | 'send', n: number): TypeError {
  const where = what === 'send' ? "execute 'send' on" : 'construct'
  return new TypeError(
    `Failed to ${where} 'WebSocket': ${n} argument required, but only 0 present.`,
  )
}
