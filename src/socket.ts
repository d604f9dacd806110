import {
  connectTimeout,
  cutShort,
  describe,
  detach,
  dial,
  providerFailed,
  resolveTarget,
  type NativeHandlers,
} from './attempt'
import { retryDelay, willRetry } from './backoff'
import { SocketBase, type Snapshot } from './base'
import { toFrame, type RawData } from './codec'
import {
  ClosedError,
  HandshakeError,
  HeartbeatTimeoutError,
  type ConnectError,
  type DecodeError,
  type SteadySocketError,
} from './errors'
import { createEmitter, type CloseInfo, type SteadySocketEvents, type Status } from './events'
import { Flow, type SendResult } from './flow'
import { Heartbeat } from './heartbeat'
import { NetworkWatch } from './network'
import {
  normalizeOptions,
  webSocketOf,
  type Normalized,
  type SocketOptions,
  type WebSocketConstructor,
  type WebSocketLike,
} from './options'
import { socketOf, timerOf, type Closed, type Connecting, type Phase } from './phase'
import { Recovery } from './recovery'
import { toWebSocketUrl, validateClose, type UrlSource } from './url'

export type { Snapshot } from './base'

/** Options of `new SteadySocket(url, options)`; the `handshake` gets the socket. All optional. */
export type SteadySocketOptions<In = RawData, Out = RawData> = SocketOptions<
  In,
  Out,
  SteadySocket<In, Out>
>

/**
 * The key of SteadySocket's internal construction path, for the tabs leader; not exported from
 * the package, so no user can reach it. `new SteadySocket(url, { [INTERNAL]: internal })`.
 */
export const INTERNAL = Symbol()

/** What the internal construction path carries. */
export type Internal<In, Out> = {
  /** Options normalised already (by the TabSocket): used as they are, never normalised again. */
  options: Normalized<In, Out>
  /** Takes every inbound frame raw (heartbeat pongs aside), in place of decoding and `message`. */
  tap: (raw: RawData) => void
  /**
   * Set by the tabs leader just before its last `close()`: told the messages the native socket
   * never transmitted, oldest first (with `recoverUnsent`), once it closed and no socket given
   * up on earlier may still transmit (what those never did is back in the queue by then). While
   * it is set, `close()` leaves such sockets to settle (`dispose()` still cuts every wait short).
   */
  stranded?: ((messages: Out[]) => void) | undefined
}

/** The internal path's hooks, as the socket reads them (see `Internal`). */
type Hooks = { stranded?: ((messages: unknown[]) => void) | undefined }

/** A new `closed` phase (each is a token of its own). */
const closed = (stranded = 0): Closed => ({ status: 'closed', stranded })

/**
 * A WebSocket that stays connected: one native socket at a time, reconnect with capped backoff,
 * a send queue with backpressure, recovery of unsent bytes, heartbeat and typed events.
 *
 * @example
 * const socket = new SteadySocket('wss://example.com/feed')
 * socket.on('message', (data) => console.log(data))
 * socket.send('hello') // 'sent', or 'queued' until the socket opens
 */
export class SteadySocket<In = RawData, Out = RawData> extends SocketBase<
  In,
  Out,
  SteadySocketEvents<In, Out>,
  Snapshot
> {
  readonly #o: Normalized<In, Out>
  readonly #WS: WebSocketConstructor
  readonly #source: UrlSource
  readonly #flow: Flow<Out>
  readonly #rec: Recovery<Out>
  readonly #hb: Heartbeat | null
  readonly #net: NetworkWatch | null
  // The internal path's hooks; `unknown`: a parameter typed with `Out` would make SteadySocket
  // invariant in `Out`.
  readonly #hooks: Hooks | undefined
  /** What our close() left unsent, while `stranded` waits for abandoned sockets (tabs only). */
  #unsent: unknown[] | null = null
  /** The current phase: the only state the lifecycle has. */
  #phase: Phase = closed()
  /** The status the last `status` event reported (listeners are told each change once). */
  #shown: Status = 'closed'
  #tries = 0
  #opens = 0
  #url = ''
  #protocol = ''
  #extensions = ''
  #lastClose: CloseInfo | null = null
  #lastError: SteadySocketError | null = null

  /**
   * @param url `ws(s):`/`http(s):` URL, relative URL, or a (possibly async) provider run before every attempt.
   * @param protocolsOrOptions subprotocols, as with `new WebSocket` (`undefined` and `null`: none), or the options object.
   */
  constructor(
    url: UrlSource,
    protocolsOrOptions?: string | string[] | SteadySocketOptions<In, Out> | null,
  ) {
    const internal = (
      protocolsOrOptions as { [INTERNAL]?: Internal<In, Out> } | null | undefined
    )?.[INTERNAL]
    // The handshake is called with this socket: `Self` is not needed past normalisation.
    const o = internal?.options ?? (normalizeOptions(protocolsOrOptions) as Normalized<In, Out>)
    super(createEmitter<SteadySocketEvents<In, Out>>(), o.codec, o.binaryType)
    this.#o = o
    // The tap takes the place of receive() on this one socket: the others' hot path is unchanged.
    if (internal) this.receive = internal.tap
    this.#hooks = internal as Hooks | undefined
    this.#WS = webSocketOf(o)
    this.#source = typeof url === 'function' ? url : (this.#url = toWebSocketUrl(url))
    this.#flow = new Flow<Out>(o.queue, o.backpressure, o.recoverUnsent, {
      drop: (messages, reason) => this.ev.emit('drop', { messages, reason }),
      drain: () => this.ev.emit('drain', {}),
      tick: () => this.runWaiters(),
    })
    this.#rec = new Recovery<Out>(o.settleWithin, {
      requeue: (messages) => this.#flow.requeue(messages),
      settled: () => {
        // Nothing left that may still transmit: a connection held back for it flushes now.
        const p = this.#phase
        if (p.status === 'connecting' && p.held) this.#open(p)
        else this.runWaiters()
        if (this.#unsent) this.#strand([])
      },
    })
    const hb = o.heartbeat
    this.#hb = hb
      ? new Heartbeat(
          hb,
          (raw) => this.#flow.control(raw),
          () =>
            this.#lost(
              this.#phase,
              cutShort('heartbeat timeout'),
              new HeartbeatTimeoutError(
                `no frame from ${this.#url} within ${hb.timeout} ms of a ping`,
              ),
            ),
        )
      : null
    // Offline is a hint (a LAN server stays reachable): it slows retries down, never stops them.
    this.#net = o.watchNetwork
      ? new NetworkWatch({
          online: () => this.#phase.status === 'reconnecting' && this.#connect(),
          wake: () => {
            const status = this.#phase.status
            if (status === 'reconnecting' && !NetworkWatch.offline()) this.#connect()
            else if (status === 'open') this.#hb?.probe()
          },
        })
      : null
    if (o.autoConnect) this.#connect()
  }

  /** `'connecting' | 'open' | 'closing' | 'reconnecting' | 'closed'`. */
  get status(): Status {
    return this.#phase.status
  }
  /** Consecutive failed attempts since the last stable connection (the retry being waited for). */
  get attempt(): number {
    return this.#tries
  }
  /** Native `bufferedAmount` plus the bytes waiting in the queue. */
  get bufferedAmount(): number {
    return (socketOf(this.#phase)?.bufferedAmount ?? 0) + this.#flow.queue.bytes
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
    return this.#url
  }
  /** Subprotocol the server chose, for the current (or last) socket. */
  get protocol(): string {
    return socketOf(this.#phase)?.protocol || this.#protocol
  }
  /** Extensions the server chose, for the current (or last) socket. */
  get extensions(): string {
    return socketOf(this.#phase)?.extensions || this.#extensions
  }
  protected fields(): Omit<Snapshot, 'readyState'> {
    return {
      status: this.#phase.status,
      attempt: this.#tries,
      url: this.#url,
      lastClose: this.#lastClose,
      lastError: this.#lastError,
    }
  }

  protected applyBinaryType(): void {
    const ws = socketOf(this.#phase)
    if (ws) this.adoptBinaryType(ws)
  }

  protected decodeFailed(error: DecodeError): void {
    this.#lastError = error
    this.#announce(this.#phase, error)
  }

  /**
   * Writes `data` to the open socket (`'sent'`), queues it while the socket is not open or the
   * native buffer is above the high-water mark (`'queued'`), or reports it in a `drop` event
   * (`'dropped'`). Never throws for state reasons.
   */
  send(data: Out): SendResult {
    if (this.disposed) {
      // Heard only by listeners still attached while dispose() runs; a no-op afterwards.
      this.ev.emit('drop', { messages: [data], reason: 'disposed' })
      return 'dropped'
    }
    const codec = this.#o.codec
    const raw = codec === undefined ? data : codec.encode(data)
    // The codec may have disposed the socket: nothing is queued after that.
    if (this.disposed) return 'dropped'
    // Like the native send(): what is neither text nor binary is sent as its string form.
    return this.#flow.send(data, toFrame(raw))
  }

  /** Starts connecting if `closed`; otherwise does nothing (never a second socket). */
  open(): void {
    if (this.disposed) return
    let p = this.#phase
    // A close() still waiting for its handshake ends now (its listeners may act: then they win).
    if (p.status === 'closing' && (p = this.#finishClose(false)) !== this.#phase) return
    if (p.status !== 'closed' || this.disposed) return
    this.#tries = 0
    this.#connect()
  }

  /** Closes the current socket, resets the backoff and connects now; works after giving up. */
  reconnect(code = 1000, reason = ''): void {
    validateClose(code, reason)
    if (this.disposed) return
    let p = this.#phase
    if (p.status === 'closing' && (p = this.#finishClose(false)) !== this.#phase) return
    if (this.disposed) return
    const ws = socketOf(p)
    // Clean only when a close frame can be sent: the socket is open. What it never transmitted
    // comes back (recovery), ahead of the queue.
    const wasClean = ws?.readyState === 1
    if (wasClean) ws!.close(code, reason)
    this.#tries = 0
    this.#connect(ws ? { code, reason, wasClean } : undefined)
  }

  /**
   * Closes for good (until `open()`): cancels every timer, never reconnects. Queued messages stay
   * queued. The `close` event reports `code`. Codes other than 1000 and 3000–4999 throw, like native.
   */
  close(code = 1000, reason = ''): void {
    validateClose(code, reason)
    const p = this.#phase
    if (p.status === 'closing') return
    const ws = socketOf(p)
    if (ws !== null && ws.readyState === 1) {
      // Keep the native socket until its close event: messages still arrive meanwhile. Nothing
      // more is written to it, and what it never transmits is not recovered (our own close).
      const log = this.#flow.release(ws)
      ws.close(code, reason)
      const next = this.#enter({
        status: 'closing',
        ws,
        request: { code, reason, wasClean: true },
        log: this.#hooks?.stranded ? log : null,
      })
      // What abandoned sockets still hold goes back to the queue now: no connection waits for it.
      if (!this.#hooks?.stranded) this.#rec.settle()
      return this.#announce(next)
    }
    // A new phase even when already closed: a call in flight that meant to open sees it is over.
    const next = this.#enter(closed(p.status === 'closed' ? p.stranded : 0))
    if (!this.#hooks?.stranded) this.#rec.settle()
    if (ws) this.#lastClose = { code, reason, wasClean: false }
    this.#announce(next, undefined, ws !== null)
    if (this.#phase === next) this.#strand([])
  }

  /** Resolves when the queue is empty and the native buffer is 0; rejects if `closed` first, or on timeout. */
  flush(options?: { timeout?: number }): Promise<void> {
    return this.wait(
      'flush()',
      options?.timeout,
      () => {
        const p = this.#phase
        const queued = this.#flow.queue.length
        const buffered = p.status === 'closed' ? p.stranded : (socketOf(p)?.bufferedAmount ?? 0)
        if (queued === 0 && buffered === 0 && !this.#rec.pending) return true
        if (p.status !== 'closed') return false
        return new ClosedError(
          process.env.NODE_ENV !== 'production'
            ? `steadysocket: the socket closed with ${queued} messages queued and ${buffered} bytes unsent`
            : 'steadysocket: closed',
        )
      },
      // The native buffer is polled while a flush() waits (it drains without an event).
      this.#flow.watch(),
    )
  }

  /**
   * Removes and returns the queued messages (no `drop` event: the caller has them). With `which`,
   * only those it returns true for; the others keep their place.
   */
  clearQueue(which?: (message: Out) => boolean): Out[] {
    const messages = this.#flow.clear(which)
    this.runWaiters()
    return messages
  }

  /**
   * `close()`, then removes every listener, timer and window/document listener. Queued messages
   * are reported once in a `drop` event (`'disposed'`). Later calls do nothing.
   */
  dispose(): void {
    if (this.disposed) return
    // First: a listener of the events below can no longer open, reconnect or queue.
    this.disposed = true
    this.close()
    this.#rec.settle()
    // Cut short: the socket is released (and in Node cut, not left waiting for a close frame).
    this.#finishClose(false)
    const left = this.#flow.clear()
    if (left.length > 0) this.ev.emit('drop', { messages: left, reason: 'disposed' })
    this.#net?.detach()
    this.released()
  }

  /** Same as `dispose()`, for `using socket = new SteadySocket(url)`. */
  [Symbol.dispose](): void {
    this.dispose()
  }

  /**
   * The one transition: commits `next`, then leaves the old phase: its timer is cleared, the
   * heartbeat stops with the open phase, and its native socket, unless `next` keeps it, is
   * detached and handed to recovery. No user code runs here; the caller announces.
   */
  #enter<P extends Phase>(next: P): P {
    const old = this.#phase
    this.#phase = next
    clearTimeout(timerOf(old))
    if (old.status === 'open') this.#hb?.stop()
    const ws = socketOf(old)
    if (ws !== null && ws !== socketOf(next)) {
      detach(ws, this.#native)
      // After our own close() nothing is recovered: what it never sent is stranded.
      const log = this.#flow.release(ws)
      this.#rec.take(ws, old.status === 'closing' ? null : log)
    }
    if (next.status === 'open') this.#hb?.start()
    if (next.status === 'closed') this.#net?.detach()
    else this.#net?.attach()
    return next
  }

  /**
   * Announces the committed phase `p`: the `error` and `close` events the transition owes (facts:
   * told even when a listener moved on), then, while `p` is still current, subscribers (once),
   * the `status` event and `then` (the transition's own event).
   */
  #announce(p: Phase, error?: SteadySocketError, closed = false, then?: () => void): void {
    if (error) this.emitError(error)
    if (closed) {
      const status = this.#phase.status
      this.emitClose(this.#lastClose!, status === 'reconnecting' || status === 'connecting')
    }
    if (this.#phase !== p) return
    this.notify()
    if (this.#phase !== p) return
    const previous = this.#shown
    if (previous !== p.status) {
      this.#shown = p.status
      this.ev.emit('status', { status: p.status, previous })
    }
    if (then && this.#phase === p) then()
    if (this.#phase === p) this.runWaiters()
  }

  /** Starts an attempt: `connecting`, announced, then the providers and the native socket. */
  #connect(close?: CloseInfo): void {
    const ms = this.#o.connectTimeout
    const src = this.#source
    const protocols = this.#o.protocols
    const direct = typeof src !== 'function' && typeof protocols !== 'function'
    /** Whether this attempt's providers have resolved (a timeout names the URL only then). */
    let resolved = direct
    const p: Connecting = {
      status: 'connecting',
      ws: null,
      held: false,
      timer:
        ms > 0
          ? setTimeout(() => this.#lost(p, cutShort(), connectTimeout(resolved, this.#url, ms)), ms)
          : undefined,
    }
    this.#enter(p)
    if (close) this.#lastClose = close
    this.#announce(p, undefined, close !== undefined)
    if (this.#phase !== p) return
    if (direct) return this.#dial(p, src as string, protocols)
    resolveTarget(src, protocols, () => (resolved = true)).then(
      ([url, list]) => this.#phase === p && this.#dial(p, url, list),
      (error: unknown) => this.#lost(p, cutShort(), providerFailed(error)),
    )
  }

  #dial(p: Connecting, url: string, protocols: string | string[] | undefined): void {
    this.#url = url
    try {
      p.ws = dial(this.#WS, url, protocols, this.#native)
    } catch (error) {
      return this.#lost(p, cutShort(), error as ConnectError)
    }
    this.adoptBinaryType(p.ws)
    // The URL is part of the snapshot.
    this.#announce(p)
  }

  /** The current native socket's events (a replaced one is detached: its events go nowhere). */
  readonly #native: NativeHandlers = {
    open: (ws) => this.#handshake(this.#phase as Connecting, ws),
    error: (error) => {
      this.#lastError = error
      this.#announce(this.#phase, error)
    },
    close: (close) => {
      const p = this.#phase
      if (p.status === 'closing') this.#finishClose(close.wasClean)
      else this.#lost(p, close)
    },
    frame: (e) => {
      const raw = e.data as RawData
      const hb = this.#hb
      if (hb === null || !hb.receive(raw)) this.receive(raw)
    },
  }

  #handshake(p: Connecting, ws: WebSocketLike): void {
    this.#protocol = ws.protocol
    this.#extensions = ws.extensions
    const handshake = this.#o.handshake
    if (!handshake) return this.#ready(p)
    const failed = (error: unknown) =>
      this.#lost(
        p,
        cutShort('handshake failed'),
        new HandshakeError(
          process.env.NODE_ENV !== 'production'
            ? `steadysocket: the handshake failed: ${describe(error)}`
            : 'handshake',
          {
            cause: error,
          },
        ),
      )
    this.#flow.use(ws, true)
    try {
      const done = handshake(this)
      if (done && typeof done.then === 'function') done.then(() => this.#ready(p), failed)
      else this.#ready(p)
    } catch (error) {
      failed(error)
    }
  }

  /** Handshake done: flush the queue and open, unless an abandoned socket may still transmit. */
  #ready(p: Connecting): void {
    if (this.#phase !== p) return
    const ws = p.ws as WebSocketLike
    this.#flow.pause()
    // Recovered messages go first: the flush waits until no abandoned socket may still send.
    // The held phase has no connectTimeout: recovery's own bound ends the wait.
    if (this.#rec.waiting()) {
      this.#enter<Connecting>({ status: 'connecting', ws, held: true, timer: undefined })
      return
    }
    this.#open(p)
  }

  #open(p: Connecting): void {
    const ws = p.ws as WebSocketLike
    this.#flow.use(ws, false)
    // A listener of the flush (an expired message's drop) may have moved on.
    if (this.#phase !== p) return
    const minUptime = this.#o.minUptime
    const next = this.#enter({
      status: 'open',
      ws,
      timer: setTimeout(() => {
        this.#tries = 0
        this.#announce(next, undefined, false, () => this.ev.emit('stable', {}))
      }, minUptime),
    })
    const isReconnect = this.#opens++ > 0
    this.#announce(next, undefined, false, () => this.emitOpen(isReconnect))
  }

  /**
   * Phase `p`'s attempt or connection ended without the client asking: its socket is released
   * (recovery takes what it never sent), then the retry is scheduled or the socket gives up.
   * The user's callbacks (`shouldReconnect`, `delay`, `random`) run once `p` is left, and may act:
   * the state is then theirs, and only the facts (`error`, `close`) are still told.
   */
  #lost(p: Phase, close: CloseInfo, error?: SteadySocketError): void {
    if (this.#phase !== p || p.status === 'closed' || p.status === 'reconnecting') return
    const hadSocket = socketOf(p) !== null
    const r = this.#o.reconnect
    this.#lastClose = close
    if (error) this.#lastError = error
    const q = this.#enter<Phase>(r ? { status: 'reconnecting', timer: undefined } : closed())
    const retry = r !== null && willRetry(r, close, this.#tries)
    let delay = 0
    let exhausted = false
    if (retry && this.#phase === q) {
      const offline = this.#net !== null && NetworkWatch.offline()
      // Offline, attempts go on at maxDelay and never run out: the hint may be wrong.
      exhausted = this.#tries >= r.maxRetries && !offline
      if (!exhausted) {
        delay = retryDelay(++this.#tries, r, this.#o.random)
        if (offline) delay = Math.max(delay, r.maxDelay)
      }
    }
    if (this.#phase !== q) return this.#announce(q, error, hadSocket)
    if (retry && !exhausted) {
      const attempt = this.#tries
      const next = this.#enter({
        status: 'reconnecting',
        timer: setTimeout(() => this.#connect(), delay),
      })
      return this.#announce(next, error, hadSocket, () =>
        this.ev.emit('reconnecting', { attempt, delay }),
      )
    }
    const next = q.status === 'closed' ? q : this.#enter(closed())
    this.#announce(next, error, hadSocket, () => {
      if (exhausted) this.ev.emit('exhausted', { attempts: this.#tries })
    })
  }

  /** Our `close()` completed (or is cut short): report the code we sent, then `closed`. */
  #finishClose(wasClean: boolean): Phase {
    const p = this.#phase
    if (p.status !== 'closing') return p
    const stranded = p.ws.bufferedAmount
    const next = this.#enter(closed(stranded))
    this.#lastClose = { ...p.request, wasClean }
    this.#announce(next, undefined, true)
    this.#strand(p.log ? p.log.unsent(stranded).map((m) => m.data) : [])
    return next
  }

  /** Tabs only: tells `stranded` what our close() left, once no abandoned socket may transmit. */
  #strand(unsent: unknown[]): void {
    const hook = this.#hooks?.stranded
    if (!hook) return
    const all = (this.#unsent ?? []).concat(unsent)
    this.#unsent = all
    if (this.#rec.pending) return
    this.#unsent = null
    hook(all)
  }
}
