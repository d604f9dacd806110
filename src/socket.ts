import { backoffDelay } from './backoff'
import { isBinary, type RawData } from './codec'
import type { SteadySocketError } from './errors'
import {
  ClosedError,
  ConnectError,
  ConnectTimeoutError,
  DecodeError,
  HandshakeError,
  HeartbeatTimeoutError,
  ProviderError,
} from './errors'
import {
  call,
  createEmitter,
  type Emitter,
  reportLater,
  type CloseInfo,
  type SteadySocketEvents,
  type Status,
} from './events'
import { Flow, type SendResult, type SentLog } from './flow'
import { Heartbeat } from './heartbeat'
import { NetworkWatch } from './network'
import {
  checkProtocols,
  DEFAULTS,
  normalizeOptions,
  type Normalized,
  type SteadySocketOptions,
  type WebSocketConstructor,
  type WebSocketLike,
} from './options'
import { SocketSurface } from './surface'
import { toWebSocketUrl, validateClose, type UrlSource } from './url'
import { checkTimeout, waitFor } from './wait'

/** An immutable view of the socket's state; a new object only when one of its fields changes. */
export type Snapshot = Readonly<{
  /** The socket's {@link SteadySocket.status | status}. */
  status: Status
  /** 0–3 like the native one: CONNECTING (0) while connecting or waiting to reconnect. */
  readyState: 0 | 1 | 2 | 3
  /** Consecutive failed attempts since the last stable connection. */
  attempt: number
  /** URL of the current (or last) socket; `''` before a URL provider first resolved. */
  url: string
  /** The latest close (also set when an attempt failed before a socket existed); `null` until one. */
  lastClose: CloseInfo | null
  /** The latest `error` event's error; `null` until one. Not cleared by a successful open. */
  lastError: SteadySocketError | null
}>

type Timer = ReturnType<typeof setTimeout> | undefined

/**
 * A WebSocket that stays connected: one native socket at a time, reconnect with capped backoff,
 * a bounded send queue with backpressure, recovery of unsent bytes, heartbeat and typed events.
 *
 * @example
 * const socket = new SteadySocket('wss://example.com/feed')
 * socket.on('message', (data) => console.log(data))
 * socket.send('hello') // 'sent', or 'queued' until the socket opens
 */
export class SteadySocket<In = RawData, Out = RawData> extends SocketSurface<
  SteadySocketEvents<In, Out>
> {
  readonly #o: Normalized<In, Out>
  readonly #WS: WebSocketConstructor
  readonly #source: string | Exclude<UrlSource, string | URL>
  readonly #ev: Emitter<SteadySocketEvents<In, Out>>
  readonly #flow: Flow<Out>
  readonly #hb: Heartbeat | null
  readonly #isPong: ((raw: RawData) => boolean) | undefined
  readonly #net: NetworkWatch | null
  readonly #subs = new Set<() => void>()
  readonly #waiters = new Set<() => void>()
  /** The current native socket (CONNECTING, OPEN, or CLOSING after our `close()`). */
  #ws: WebSocketLike | null = null
  #state: Status = 'closed'
  #tries = 0
  /** Bumped whenever the current attempt ends: async work of an older attempt checks it and stops. */
  #gen = 0
  #opens = 0
  #closeReq: CloseInfo | null = null
  /** A socket given up on while open, until its close event (or a bound) tells what it never sent. */
  #limbo: { ws: WebSocketLike; log: SentLog<Out>; timer: Timer } | null = null
  /** The generation of a connection whose queue flush waits for `limbo`; -1 when none. */
  #held = -1
  /** Bytes our own close() left unsent in the native buffer (lost: flush() rejects). */
  #stranded = 0
  #lastUrl = ''
  #lastProtocol = ''
  #lastExtensions = ''
  #binary: 'blob' | 'arraybuffer'
  #lastClose: CloseInfo | null = null
  #lastError: SteadySocketError | null = null
  #snap: Snapshot
  #disposed = false
  #connectTimer: Timer
  #retryTimer: Timer
  #stableTimer: Timer

  /**
   * @param url `ws(s):`/`http(s):` URL, relative URL, or a (possibly async) provider run before every attempt.
   * @param protocolsOrOptions subprotocols, as with `new WebSocket`, or the options object.
   */
  constructor(
    url: UrlSource,
    protocolsOrOptions?: string | string[] | SteadySocketOptions<In, Out>,
  ) {
    const ev = createEmitter<SteadySocketEvents<In, Out>>()
    super(ev)
    this.#ev = ev
    const o = (this.#o = normalizeOptions(protocolsOrOptions))
    const WS = o.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket
    if (typeof WS !== 'function') {
      throw new TypeError(
        'steadysocket: no WebSocket implementation found; pass one with the `WebSocket` option ' +
          "(in Node: import { WebSocket } from 'ws'; new SteadySocket(url, { WebSocket }))",
      )
    }
    this.#WS = WS
    if (typeof url === 'function') this.#source = url
    else this.#source = this.#lastUrl = toWebSocketUrl(url)
    this.#binary = o.binaryType
    this.#flow = new Flow<Out>(o.queue, o.backpressure, o.recoverUnsent, {
      drop: (messages, reason) => this.#ev.emit('drop', { messages, reason }),
      drain: () => this.#ev.emit('drain', {}),
      tick: () => this.#runWaiters(),
    })
    const hb = o.heartbeat
    this.#isPong = hb?.isPong
    this.#hb = hb
      ? new Heartbeat(
          hb,
          (raw) => this.#flow.control(raw),
          () =>
            this.#lost(
              1006,
              'heartbeat timeout',
              false,
              new HeartbeatTimeoutError(
                `no frame from ${this.#lastUrl} within ${hb.timeout} ms of a ping`,
              ),
              true,
            ),
        )
      : null
    this.#net = o.watchNetwork
      ? new NetworkWatch({
          online: () => this.#state === 'reconnecting' && this.#retryNow(),
          offline: () => {
            if (this.#state === 'reconnecting') this.#retryTimer = clear(this.#retryTimer)
          },
          wake: () => {
            if (this.#state === 'reconnecting' && !NetworkWatch.offline()) this.#retryNow()
            else if (this.#state === 'open') this.#hb?.probe()
          },
        })
      : null
    this.#snap = this.#makeSnapshot()
    if (o.autoConnect) this.#connect()
  }

  /** `'connecting' | 'open' | 'closing' | 'reconnecting' | 'closed'`. */
  get status(): Status {
    return this.#state
  }
  /** Consecutive failed attempts since the last stable connection (the retry being waited for). */
  get attempt(): number {
    return this.#tries
  }
  /** Native `bufferedAmount` plus the bytes waiting in the queue. */
  get bufferedAmount(): number {
    // this.#ws, not flow.ws: a socket closing after our close() still holds its buffer.
    return (this.#ws?.bufferedAmount ?? 0) + this.#flow.queue.bytes
  }
  /** Messages waiting in the queue. */
  get queueLength(): number {
    return this.#flow.queue.length
  }
  /** Bytes waiting in the queue (UTF-8 bytes for strings). */
  get queuedBytes(): number {
    return this.#flow.queue.bytes
  }
  /** URL of the current (or last) socket; `''` before a provider first resolved. */
  get url(): string {
    return this.#lastUrl
  }
  /** Subprotocol the server chose, for the current (or last) socket. */
  get protocol(): string {
    return this.#ws?.protocol || this.#lastProtocol
  }
  /** Extensions the server chose, for the current (or last) socket. */
  get extensions(): string {
    return this.#ws?.extensions || this.#lastExtensions
  }
  /** Applied to every native socket, including after reconnects. @default 'blob' */
  get binaryType(): 'blob' | 'arraybuffer' {
    return this.#binary
  }
  /** Sets it on the current socket and every later one; other values throw a `SyntaxError`. */
  set binaryType(value: 'blob' | 'arraybuffer') {
    if (value !== 'blob' && value !== 'arraybuffer')
      throw new SyntaxError(
        `steadysocket: binaryType must be 'blob' or 'arraybuffer', got ${String(value)}`,
      )
    this.#binary = value
    if (this.#ws) this.#ws.binaryType = value
  }

  /** The current state snapshot (referentially stable until it changes). For `useSyncExternalStore`. */
  getSnapshot = (): Snapshot => this.#snap

  /** Calls `listener` after every snapshot change; returns the unsubscribe function. */
  subscribe = (listener: () => void): (() => void) => {
    this.#subs.add(listener)
    return () => this.#subs.delete(listener)
  }

  /**
   * Writes `data` to the open socket (`'sent'`), queues it while the socket is not open or the
   * native buffer is above the high-water mark (`'queued'`), or reports it in a `drop` event
   * (`'dropped'`). Never throws for state reasons.
   */
  send(data: Out): SendResult {
    if (this.#disposed) {
      // Heard only by listeners still attached while dispose() runs; a no-op afterwards.
      this.#ev.emit('drop', { messages: [data], reason: 'disposed' })
      return 'dropped'
    }
    const codec = this.#o.codec
    const raw = codec === undefined ? (data as RawData) : codec.encode(data)
    // Like the native send(): what is neither text nor binary is sent as its string form.
    return this.#flow.send(data, typeof raw === 'string' || isBinary(raw) ? raw : String(raw))
  }

  /** Starts connecting if `closed`; otherwise does nothing (never a second socket). */
  open(): void {
    if (this.#disposed) return
    if (this.#state === 'closing') this.#finishClose(false)
    if (this.#state !== 'closed' && this.#state !== 'closing') return
    this.#tries = 0
    this.#connect()
  }

  /** Closes the current socket, resets the backoff and connects now; works after giving up. */
  reconnect(code = 1000, reason = ''): void {
    validateClose(code, reason)
    if (this.#disposed) return
    // What the abandoned socket held goes back to the queue; the connection it held back is replaced.
    this.#held = -1
    this.#settle()
    this.#retryTimer = clear(this.#retryTimer)
    // A close() still waiting for its handshake ends now; a live socket is replaced.
    if (this.#closeReq) this.#finishClose(false)
    const gen = ++this.#gen
    const ws = this.#ws
    // Clean only when a close frame could be sent: the socket was open.
    const wasClean = ws?.readyState === 1
    if (ws) {
      if (wasClean) this.#abandon(ws, code, reason)
      else {
        this.#teardown(false)
        quietClose(ws, code, reason)
      }
      this.#emitClose({ code, reason, wasClean }, true)
    }
    if (gen !== this.#gen) return
    this.#tries = 0
    this.#connect()
  }

  /**
   * Closes for good (until `open()`): cancels every timer, never reconnects. Queued messages stay
   * queued. The `close` event reports `code`. Codes other than 1000 and 3000–4999 throw, like native.
   */
  close(code = 1000, reason = ''): void {
    validateClose(code, reason)
    // What the abandoned socket held goes back to the queue, without opening what it held back.
    this.#held = -1
    this.#settle()
    if (this.#state === 'closed' || this.#state === 'closing') return
    this.#gen++
    this.#retryTimer = clear(this.#retryTimer)
    const ws = this.#ws
    if (ws !== null && ws.readyState === 1) {
      // Keep the native socket attached until its close event: messages still arrive meanwhile.
      this.#connectTimer = clear(this.#connectTimer)
      this.#stableTimer = clear(this.#stableTimer)
      this.#hb?.stop()
      this.#flow.detach(ws, false)
      this.#closeReq = { code, reason, wasClean: true }
      this.#setStatus('closing')
      ws.close(code, reason)
      return
    }
    this.#teardown(false)
    const gen = this.#gen
    if (ws) {
      quietClose(ws)
      this.#emitClose({ code, reason, wasClean: false }, false)
    }
    if (gen === this.#gen) this.#setStatus('closed')
  }

  /** Resolves when open (at once if it is); rejects if the socket is or becomes `closed`, or on timeout. */
  opened(options?: { timeout?: number }): Promise<void> {
    const timeout = options?.timeout
    checkTimeout('opened()', timeout)
    return waitFor(this.#waiters, 'opened()', timeout, () =>
      this.#disposed
        ? new ClosedError('steadysocket: the socket was disposed')
        : this.#state === 'open'
          ? true
          : this.#state === 'closed'
            ? new ClosedError('steadysocket: the socket is closed')
            : false,
    )
  }

  /** Resolves when the queue is empty and the native buffer is 0; rejects if `closed` first, or on timeout. */
  flush(options?: { timeout?: number }): Promise<void> {
    const timeout = options?.timeout
    checkTimeout('flush()', timeout)
    // The native buffer is polled while a flush() waits (it drains without an event).
    const flow = this.#flow
    flow.watchers++
    flow.poll()
    return waitFor(
      this.#waiters,
      'flush()',
      timeout,
      () => {
        const queued = flow.queue.length
        const buffered = this.#ws ? this.#ws.bufferedAmount : this.#stranded
        if (queued === 0 && buffered === 0 && !this.#limbo) return true
        if (this.#state !== 'closed') return false
        return new ClosedError(
          `steadysocket: the socket closed with ${queued} messages queued and ${buffered} bytes unsent`,
        )
      },
      () => flow.watchers--,
    )
  }

  /**
   * Removes and returns the queued messages (no `drop` event: the caller has them). With `which`,
   * only those it returns true for; the others keep their place.
   */
  clearQueue(which?: (message: Out) => boolean): Out[] {
    const messages = this.#flow.clear(which)
    this.#runWaiters()
    return messages
  }

  /**
   * `close()`, then removes every listener, timer and window/document listener. Queued messages
   * are reported once in a `drop` event (`'disposed'`). Later calls do nothing.
   */
  dispose(): void {
    if (this.#disposed) return
    // First: a listener of the events below can no longer open, reconnect or queue.
    this.#disposed = true
    const natives = [this.#ws, this.#limbo?.ws]
    this.close()
    if (this.#closeReq) this.#finishClose(false)
    for (const ws of natives) if (ws) cut(ws, 1000)
    const left = this.#flow.clear()
    if (left.length > 0) this.#ev.emit('drop', { messages: left, reason: 'disposed' })
    this.#runWaiters()
    this.#ev.clear()
    this.clearCompat()
    this.#subs.clear()
    this.#net?.detach()
  }

  /** Same as `dispose()`, for `using socket = new SteadySocket(url)`. */
  [Symbol.dispose](): void {
    this.dispose()
  }

  #connect(): void {
    const gen = ++this.#gen
    this.#stranded = 0
    this.#setStatus('connecting')
    if (gen !== this.#gen) return
    // open()/reconnect() reset the attempt count while the status may already be 'connecting'.
    this.#refresh()
    const src = this.#source
    const protocols = this.#o.protocols
    const direct = typeof src === 'string' && typeof protocols !== 'function'
    /** Whether this attempt's providers have resolved (a timeout names the URL only then). */
    let resolved = direct
    if (this.#o.connectTimeout > 0) {
      const ms = this.#o.connectTimeout
      this.#connectTimer = setTimeout(() => {
        this.#connectTimer = undefined
        this.#lost(
          1006,
          '',
          false,
          new ConnectTimeoutError(
            resolved
              ? `steadysocket: no connection to ${this.#lastUrl} within ${ms} ms`
              : `steadysocket: the URL or protocols provider did not resolve within ${ms} ms`,
          ),
          true,
        )
      }, ms)
    }
    if (direct) return this.#create(src, protocols)
    // A provider may throw, reject, hang or return garbage: each is one failed attempt, never an
    // unhandled rejection; a hang is cut by connectTimeout.
    Promise.resolve()
      .then(async () => {
        const given: unknown = await (typeof src === 'function' ? src() : src)
        // A string or a URL (by brand: a look-alike `{ href }` is no URL).
        if (typeof given !== 'string' && Object.prototype.toString.call(given) !== '[object URL]')
          throw new TypeError(`it returned ${String(given)}, not a URL`)
        const url = toWebSocketUrl(given as string | URL)
        const p = await (typeof protocols === 'function' ? protocols() : protocols)
        if (p !== undefined) checkProtocols(p)
        resolved = true
        return [url, p] as const
      })
      .then(
        ([url, p]) => gen === this.#gen && this.#create(url, p),
        (error: unknown) =>
          gen === this.#gen &&
          this.#lost(
            1006,
            '',
            false,
            new ProviderError(
              `steadysocket: the URL or protocols provider failed: ${describe(error)}`,
              { cause: error },
            ),
          ),
      )
  }

  #create(url: string, protocols: string | string[] | undefined): void {
    this.#lastUrl = url
    let ws: WebSocketLike
    try {
      ws = new this.#WS(url, protocols)
    } catch (error) {
      return this.#lost(
        1006,
        '',
        false,
        new ConnectError(
          `steadysocket: could not create a WebSocket for ${url}: ${describe(error)}`,
          { cause: error },
        ),
      )
    }
    ws.binaryType = this.#binary
    this.#ws = ws
    ws.onopen = () => this.#onOpen(ws)
    // Chromium dispatches to addEventListener listeners faster than to the onmessage attribute
    // (measured: 0.66× the time per message); the attribute is the fallback.
    if (typeof ws.addEventListener === 'function') ws.addEventListener('message', this.#onFrame)
    else ws.onmessage = this.#onFrame
    ws.onerror = () =>
      this.#fail(
        new ConnectError(
          this.#flow.ws === ws
            ? `steadysocket: the connection to ${url} failed`
            : `steadysocket: could not connect to ${url}`,
        ),
      )
    ws.onclose = (e) =>
      this.#closeReq ? this.#finishClose(e.wasClean) : this.#lost(e.code, e.reason, e.wasClean)
    this.#refresh()
  }

  #onOpen(ws: WebSocketLike): void {
    this.#lastProtocol = ws.protocol
    this.#lastExtensions = ws.extensions
    this.#flow.ws = ws
    const handshake = this.#o.handshake
    if (!handshake) return this.#ready()
    const gen = this.#gen
    const failed = (error: unknown) =>
      gen === this.#gen &&
      this.#lost(
        1006,
        'handshake failed',
        false,
        new HandshakeError(`steadysocket: the handshake failed: ${describe(error)}`, {
          cause: error,
        }),
        true,
      )
    this.#flow.direct = true
    try {
      const done = handshake(this)
      if (done && typeof done.then === 'function')
        done.then(() => gen === this.#gen && this.#ready(), failed)
      // The handshake may have called close() or reconnect(): then this attempt is over.
      else if (gen === this.#gen) this.#ready()
    } catch (error) {
      failed(error)
    }
  }

  /** Handshake done: flush the queue, then announce the open. */
  #ready(): void {
    // connectTimeout also bounds a handshake that never settles.
    this.#connectTimer = clear(this.#connectTimer)
    this.#flow.direct = false
    const limbo = this.#limbo
    // The abandoned socket may have transmitted all it held since: then there is nothing to wait for.
    if (limbo && !this.#flow.holds(limbo.log, limbo.ws.bufferedAmount)) this.#settle()
    if (this.#limbo) {
      // Recovered messages go first: hold the queue until the abandoned socket is settled.
      this.#flow.ws = null
      this.#held = this.#gen
      return
    }
    this.#flow.ws = this.#ws
    const gen = this.#gen
    this.#flow.flush()
    if (gen !== this.#gen) return
    const r = this.#o.reconnect
    const minUptime = (r ?? DEFAULTS.reconnect).minUptime
    this.#stableTimer = setTimeout(() => {
      this.#stableTimer = undefined
      this.#tries = 0
      this.#refresh()
      this.#ev.emit('stable', {})
    }, minUptime)
    this.#hb?.start()
    if (this.#flow.watchers > 0) this.#flow.poll()
    const isReconnect = this.#opens++ > 0
    this.#setStatus('open')
    if (gen !== this.#gen) return
    this.#ev.emit('open', { isReconnect })
    if (this.hasCompat('open')) this.dispatchCompat({ type: 'open' })
  }

  readonly #onFrame = (e: { data: unknown }): void => this.#receive(e.data as RawData)

  #receive(raw: RawData): void {
    const hb = this.#hb
    if (hb !== null) {
      hb.rx = true
      if (this.#isPong !== undefined && this.#pong(raw)) return
    }
    const codec = this.#o.codec
    if (codec === undefined) this.#ev.emit('message', raw as In)
    else {
      let message: In | undefined
      let failed = false
      try {
        message = codec.decode(raw)
      } catch (error) {
        failed = true
        this.#fail(
          new DecodeError(`steadysocket: could not decode a frame: ${describe(error)}`, raw, {
            cause: error,
          }),
        )
      }
      if (!failed) this.#ev.emit('message', message as In)
    }
    // The WebSocket-compatible surface sees every frame, raw, as a native socket would.
    if (this.hasCompat('message')) this.dispatchCompat({ type: 'message', data: raw })
  }

  /** `isPong`, isolated: a throwing one is reported and the frame counts as a message. */
  #pong(raw: RawData): boolean {
    try {
      return this.#isPong!(raw) === true
    } catch (error) {
      reportLater(error)
      return false
    }
  }

  /**
   * The current attempt or connection ended without the client asking: report it, then retry
   * with backoff or give up. `kill` closes a native socket that is still up (timeouts).
   */
  #lost(
    code: number,
    reason: string,
    wasClean: boolean,
    error?: SteadySocketError,
    kill = false,
  ): void {
    const gen = ++this.#gen
    const live = this.#ws
    if (kill && live !== null && live.readyState === 1) this.#abandon(live)
    else {
      this.#teardown(true)
      if (kill && live) quietClose(live)
    }
    const ws = live
    const close = { code, reason, wasClean }
    if (error) this.#fail(error)
    if (gen !== this.#gen) {
      // An error listener called close() or reconnect(): the detached socket's close is still due.
      if (ws) this.#emitClose(close, this.#state !== 'closed')
      return
    }
    const r = this.#o.reconnect
    const retry = r !== null && this.#shouldRetry(close)
    const exhausted = retry && this.#tries >= r.maxRetries
    if (ws) this.#emitClose(close, retry && !exhausted)
    else this.#lastClose = close
    if (gen !== this.#gen) return
    if (retry && !exhausted) return this.#schedule()
    this.#setStatus('closed')
    if (exhausted && gen === this.#gen) this.#ev.emit('exhausted', { attempts: this.#tries })
  }

  #shouldRetry(close: CloseInfo): boolean {
    const custom = this.#o.reconnect?.shouldReconnect
    if (custom) {
      try {
        return custom(close, { attempt: this.#tries }) === true
      } catch (error) {
        call(() => {
          throw error
        }, undefined)
      }
    }
    return !NO_RETRY.includes(close.code)
  }

  #schedule(): void {
    const gen = this.#gen
    const attempt = ++this.#tries
    const r = this.#o.reconnect!
    let delay: number
    try {
      delay = backoffDelay(attempt, r, this.#o.random)
    } catch (error) {
      // A throwing `delay` or `random` is the app's bug: report it, and keep reconnecting.
      reportLater(error)
      delay = backoffDelay(attempt, { ...r, delay: undefined, jitter: 'none' }, Math.random)
    }
    this.#setStatus('reconnecting')
    if (gen !== this.#gen) return
    this.#ev.emit('reconnecting', { attempt, delay })
    if (gen !== this.#gen) return
    // Offline, the timer stays unset: the `online` event retries (attempts are not burnt meanwhile).
    if (this.#net && NetworkWatch.offline()) return
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined
      this.#connect()
    }, delay)
  }

  #retryNow(): void {
    this.#retryTimer = clear(this.#retryTimer)
    this.#connect()
  }

  /** Our `close()` completed (or is cut short): report the code we sent, then `closed`. */
  #finishClose(wasClean: boolean): void {
    const req = this.#closeReq
    if (!req) return
    this.#closeReq = null
    const gen = ++this.#gen
    this.#stranded = this.#ws?.bufferedAmount ?? 0
    this.#teardown(false)
    this.#emitClose({ ...req, wasClean }, false)
    if (gen === this.#gen) this.#setStatus('closed')
  }

  /**
   * Detaches and closes an open socket we give up on (heartbeat, handshake, `reconnect()`): it is
   * closing, not dead, and the browser may still transmit what it holds. What it never sent is
   * known only at its close event.
   */
  #abandon(ws: WebSocketLike, code?: number, reason?: string): void {
    const log = this.#flow.takeLog()
    this.#teardown(false)
    quietClose(ws, code, reason)
    this.#hold(ws, log)
  }

  /**
   * Keeps watching a socket given up on while open. At its close event (or after the bound:
   * connectTimeout, else the heartbeat timeout) what it still holds goes back to the queue, and
   * a connection that opened meanwhile flushes. A peer that reads the abandoned socket after the
   * bound can get those messages twice: only an application-level acknowledgement covers that.
   */
  #hold(ws: WebSocketLike, log: SentLog<Out>): void {
    this.#settle()
    // Nothing but pings (or nothing at all) left unsent: no message can be lost or duplicated.
    if (!this.#flow.holds(log, ws.bufferedAmount)) return cut(ws, 1000)
    const bound = this.#o.connectTimeout || this.#o.heartbeat?.timeout || DEFAULTS.connectTimeout
    ws.onclose = () => this.#settle()
    this.#limbo = { ws, log, timer: setTimeout(() => this.#settle(), bound) }
  }

  #settle(): void {
    const limbo = this.#limbo
    if (!limbo) return
    this.#limbo = null
    clearTimeout(limbo.timer)
    limbo.ws.onclose = noop
    this.#flow.requeue(limbo.log, limbo.ws.bufferedAmount)
    // What it held is back in the queue: it must not transmit it after all.
    cut(limbo.ws, 0)
    if (this.#held === this.#gen && this.#ws) {
      this.#held = -1
      this.#ready()
    }
    this.#runWaiters()
  }

  /** Detaches the native socket at once (late events become no-ops) and stops its timers. */
  #teardown(recover: boolean): WebSocketLike | null {
    const ws = this.#ws
    this.#connectTimer = clear(this.#connectTimer)
    this.#stableTimer = clear(this.#stableTimer)
    this.#hb?.stop()
    this.#flow.detach(ws, recover)
    if (ws) {
      ws.onopen = ws.onmessage = ws.onerror = ws.onclose = noop
      ws.removeEventListener?.('message', this.#onFrame)
      this.#ws = null
    }
    return ws
  }

  #emitClose(close: CloseInfo, willReconnect: boolean): void {
    this.#lastClose = close
    this.#refresh()
    this.#ev.emit('close', { ...close, willReconnect })
    if (this.hasCompat('close')) this.dispatchCompat({ type: 'close', ...close })
  }

  #fail(error: SteadySocketError): void {
    this.#lastError = error
    this.#refresh()
    this.#ev.emit('error', error)
    if (this.hasCompat('error')) this.dispatchCompat({ type: 'error', error })
  }

  #setStatus(next: Status): void {
    const previous = this.#state
    if (previous === next) return
    this.#state = next
    if (next === 'closed') this.#net?.detach()
    else this.#net?.attach()
    this.#refresh()
    this.#ev.emit('status', { status: next, previous })
    this.#runWaiters()
  }

  #refresh(): void {
    const s = this.#snap
    if (
      s.status === this.#state &&
      s.attempt === this.#tries &&
      s.url === this.#lastUrl &&
      s.lastClose === this.#lastClose &&
      s.lastError === this.#lastError
    ) {
      return
    }
    this.#snap = this.#makeSnapshot()
    for (const fn of [...this.#subs]) call(fn, undefined)
  }

  #makeSnapshot(): Snapshot {
    return Object.freeze({
      status: this.#state,
      readyState: this.readyState,
      attempt: this.#tries,
      url: this.#lastUrl,
      lastClose: this.#lastClose,
      lastError: this.#lastError,
    })
  }

  #runWaiters(): void {
    if (this.#waiters.size > 0) for (const run of [...this.#waiters]) run()
  }
}

// Close codes after which retrying cannot help: protocol error, unsupported data, invalid
// payload, policy violation, message too big, missing extension.
const NO_RETRY = [1002, 1003, 1007, 1008, 1009, 1010]

function noop(): void {}

/**
 * Node's `ws` waits up to 30 s for a silent peer's close frame, on a timer that keeps the process
 * alive: a socket closed and given up on is cut (`terminate()`, where there is one) after `ms`,
 * on a timer that keeps nothing alive. Browsers have no `terminate()`: nothing to do there.
 */
function cut(ws: WebSocketLike, ms: number): void {
  const terminate = (ws as { terminate?: () => void }).terminate
  if (typeof terminate !== 'function') return
  const timer = setTimeout(() => terminate.call(ws), ms) as { unref?: () => void }
  timer.unref?.()
}

function clear(timer: Timer): undefined {
  if (timer !== undefined) clearTimeout(timer)
  return undefined
}

/** Closes a detached native socket; its late error/close events are already swallowed. */
function quietClose(ws: WebSocketLike, code?: number, reason?: string): void {
  try {
    if (ws.readyState === 1 && code !== undefined) ws.close(code, reason)
    else ws.close()
  } catch {
    // Some implementations throw when closing twice; the socket is gone either way.
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
