import {
  connectTimeout,
  cutShort,
  describe,
  dial,
  providerFailed,
  resolveTarget,
  type NativeHandlers,
} from './attempt'
import { retryDelay, willRetry } from './backoff'
import { SocketBase, type Snapshot } from './base'
import type { RawData } from './codec'
import {
  HandshakeError,
  HeartbeatTimeoutError,
  type ConnectError,
  type SteadySocketError,
} from './errors'
import { createEmitter, type CloseInfo, type SteadySocketEvents } from './events'
import { Flow } from './flow'
import { Heartbeat } from './heartbeat'
import { NetworkWatch } from './network'
import {
  webSocketOf,
  type Normalized,
  type WebSocketConstructor,
  type WebSocketLike,
} from './options'
import { closed, socketOf, type Connecting, type Phase } from './phase'
import { Recovery } from './recovery'
import { PING, Resume, UNSPOKEN } from './resume'
import { toWebSocketUrl, type UrlSource } from './url'

/**
 * The connection algorithm under `SteadySocket`: an attempt from the providers through the
 * native connect and the handshake to the open (held while an abandoned socket may still
 * transmit), a loss and the retry decision, and the end of our own close. It moves between
 * phases only through the public class's one transition (`_enter`, socket.ts) and tells of each
 * through its announcement (`_announce`). Members named `_…` are internal: shared between the
 * two classes, left out of the `.d.ts` files and renamed short at build time.
 */
export abstract class Lifecycle<In, Out> extends SocketBase<
  In,
  Out,
  SteadySocketEvents<In, Out>,
  Snapshot
> {
  /** @internal */
  protected readonly _options: Normalized<In, Out>
  /** @internal */
  protected readonly _flow: Flow<Out>
  /** @internal */
  protected readonly _recovery: Recovery<Out>
  /** @internal */
  protected readonly _heartbeat: Heartbeat | null
  /** @internal */
  protected readonly _network: NetworkWatch | null
  /** The resumable session (`resume`), or null. @internal */
  protected readonly _resume: Resume<Out> | null
  /** The current phase: the only state the lifecycle has. @internal */
  protected _phase: Phase = closed()
  /** Consecutive failed attempts (the retry being waited for). @internal */
  protected _tries = 0
  /** @internal */
  protected _url = ''
  /** @internal */
  protected _protocol = ''
  /** @internal */
  protected _extensions = ''
  /** @internal */
  protected _lastClose: CloseInfo | null = null
  /** @internal */
  protected _lastError: SteadySocketError | null = null
  readonly #WS: WebSocketConstructor
  readonly #source: UrlSource
  #opens = 0

  constructor(url: UrlSource, o: Normalized<In, Out>) {
    super(createEmitter<SteadySocketEvents<In, Out>>(), o.codec, o.binaryType)
    this._options = o
    this.#WS = webSocketOf(o)
    this.#source = typeof url === 'function' ? url : (this._url = toWebSocketUrl(url))
    const r = (this._resume = o.resume
      ? new Resume<Out>(o.resume.maxBytes, {
          _welcome: (session) => {
            const p = this._phase as Connecting
            this._ev.emit('session', session)
            if (this._phase === p) this.#handshake(p, p.ws!)
          },
          _fail: (code, reason) => {
            const p = this._phase
            if (p.status === 'closing') return
            socketOf(p)?.close(code, reason)
            // 4460 is not retried (backoff.ts): the server does not speak the protocol.
            this._lost(
              p,
              { code, reason, wasClean: false },
              code === 4460 ? new HandshakeError(reason) : undefined,
            )
          },
          _room: () => this._flow.pump(),
        })
      : null)
    this._flow = new Flow<Out>(
      o.queue,
      o.backpressure,
      o.recoverUnsent,
      {
        drop: (messages, reason) => this._ev.emit('drop', { messages, reason }),
        drain: () => this._ev.emit('drain', {}),
        tick: () => this._runWaiters(),
      },
      r,
    )
    this._recovery = new Recovery<Out>(o.settleWithin, {
      requeue: (messages) => this._flow.requeue(messages),
      settled: () => this._settled(),
    })
    // In a session the heartbeat is the protocol's ping (a plain ping is no valid frame); the
    // session takes the pong, as every control frame, and any frame proves liveness.
    const hb = o.heartbeat && r ? { ...o.heartbeat, message: PING, isPong: undefined } : o.heartbeat
    this._heartbeat = hb
      ? new Heartbeat(
          hb,
          (raw) => this._flow.control(raw),
          () =>
            this._lost(
              this._phase,
              cutShort('heartbeat timeout'),
              new HeartbeatTimeoutError(
                `no frame from ${this._url} within ${hb.timeout} ms of a ping`,
              ),
            ),
        )
      : null
    // Offline is a hint (a LAN server stays reachable): it slows retries down, never stops them.
    this._network = o.watchNetwork
      ? new NetworkWatch({
          online: () => this._phase.status === 'reconnecting' && this._connect(),
          wake: () => {
            const status = this._phase.status
            if (status === 'reconnecting' && !NetworkWatch.offline()) this._connect()
            else if (status === 'open') this._heartbeat?.probe()
          },
        })
      : null
  }

  /** The one transition (socket.ts): commits `next`, releases what the old phase held. @internal */
  protected abstract _enter<P extends Phase>(next: P): P
  /** Announces the committed phase `p` (socket.ts). @internal */
  protected abstract _announce(
    p: Phase,
    error?: SteadySocketError,
    closed?: boolean,
    then?: () => void,
  ): void

  /** Starts an attempt: `connecting`, announced, then the providers and the native socket. @internal */
  protected _connect(close?: CloseInfo): void {
    const ms = this._options.connectTimeout
    const src = this.#source
    const protocols = this._options.protocols
    const direct = typeof src !== 'function' && typeof protocols !== 'function'
    /** Whether this attempt's providers have resolved (a timeout names the URL only then). */
    let resolved = direct
    const p: Connecting = {
      status: 'connecting',
      ws: null,
      held: false,
      timer:
        ms > 0
          ? setTimeout(
              () =>
                this._lost(
                  p,
                  cutShort(),
                  // The socket opened and the server never answered the session's hello.
                  this._resume?._waiting
                    ? new HandshakeError(
                        process.env.NODE_ENV !== 'production'
                          ? `${UNSPOKEN}: no welcome within ${ms} ms`
                          : UNSPOKEN,
                      )
                    : connectTimeout(resolved, this._url, ms),
                ),
              ms,
            )
          : undefined,
    }
    this._enter(p)
    if (close) this._lastClose = close
    this._announce(p, undefined, close !== undefined)
    if (this._phase !== p) return
    if (direct) return this.#dial(p, src as string, protocols)
    resolveTarget(src, protocols, () => (resolved = true)).then(
      ([url, list]) => this._phase === p && this.#dial(p, url, list),
      (error: unknown) => this._lost(p, cutShort(), providerFailed(error)),
    )
  }

  #dial(p: Connecting, url: string, protocols: string | string[] | undefined): void {
    this._url = url
    try {
      p.ws = dial(this.#WS, url, protocols, this._native)
    } catch (error) {
      return this._lost(p, cutShort(), error as ConnectError)
    }
    this._adoptBinaryType(p.ws)
    // The URL is part of the snapshot.
    this._announce(p)
  }

  /** The current native socket's events (a replaced one is detached: its events go nowhere). */
  /** @internal */
  protected readonly _native: NativeHandlers = {
    open: (ws) =>
      this._resume ? this._resume._hello(ws) : this.#handshake(this._phase as Connecting, ws),
    error: (error) => {
      this._lastError = error
      this._announce(this._phase, error)
    },
    close: (close) => {
      const p = this._phase
      if (p.status === 'closing') this._finishClose(close.wasClean)
      else this._lost(p, close)
    },
    frame: (e) => {
      let raw: RawData | undefined = e.data as RawData
      const hb = this._heartbeat
      if (hb !== null && hb.receive(raw)) return
      const r = this._resume
      // In a session only data frames carry messages, their header taken off.
      if (r === null || (raw = r._receive(raw)) !== undefined) this._receive(raw)
    },
  }

  #handshake(p: Connecting, ws: WebSocketLike): void {
    this._protocol = ws.protocol
    this._extensions = ws.extensions
    const handshake = this._options.handshake
    if (!handshake) return this.#ready(p)
    const failed = (error: unknown) =>
      this._lost(
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
    this._flow.use(ws, true)
    try {
      const done = handshake(this as never)
      if (done && typeof done.then === 'function') done.then(() => this.#ready(p), failed)
      else this.#ready(p)
    } catch (error) {
      failed(error)
    }
  }

  /** Handshake done: flush the queue and open, unless an abandoned socket may still transmit. */
  #ready(p: Connecting): void {
    if (this._phase !== p) return
    const ws = p.ws as WebSocketLike
    this._flow.pause()
    // Recovered messages go first: the flush waits until no abandoned socket may still send.
    // The held phase has no connectTimeout: recovery's own bound ends the wait.
    if (this._recovery.waiting()) {
      this._enter<Connecting>({ status: 'connecting', ws, held: true, timer: undefined })
      return
    }
    this.#open(p)
  }

  #open(p: Connecting): void {
    const ws = p.ws as WebSocketLike
    // The connection died while the handshake ran (its close event is still to come, and will
    // end this attempt): the queue is not written into a closed socket.
    if (ws.readyState !== 1) return
    this._flow.use(ws, false)
    // A listener of the flush (an expired message's drop) may have moved on.
    if (this._phase !== p) return
    const minUptime = this._options.minUptime
    const next = this._enter({
      status: 'open',
      ws,
      timer: setTimeout(() => {
        this._tries = 0
        this._announce(next, undefined, false, () => this._ev.emit('stable', {}))
      }, minUptime),
    })
    const isReconnect = this.#opens++ > 0
    this._announce(next, undefined, false, () => this._emitOpen(isReconnect))
  }

  /**
   * Phase `p`'s attempt or connection ended without the client asking: its socket is released
   * (recovery takes what it never sent), then the retry is scheduled or the socket gives up.
   * The user's callbacks (`shouldReconnect`, `delay`, `random`) run once `p` is left, and may act:
   * the state is then theirs, and only the facts (`error`, `close`) are still told.
   * @internal
   */
  protected _lost(p: Phase, close: CloseInfo, error?: SteadySocketError): void {
    if (this._phase !== p || p.status === 'closed' || p.status === 'reconnecting') return
    const hadSocket = socketOf(p) !== null
    const r = this._options.reconnect
    this._lastClose = close
    if (error) this._lastError = error
    const q = this._enter<Phase>(r ? { status: 'reconnecting', timer: undefined } : closed())
    const retry = r !== null && willRetry(r, close, this._tries)
    let delay = 0
    let exhausted = false
    if (retry && this._phase === q) {
      const offline = this._network !== null && NetworkWatch.offline()
      // Offline, attempts go on at maxDelay and never run out: the hint may be wrong.
      exhausted = this._tries >= r.maxRetries && !offline
      if (!exhausted) {
        delay = retryDelay(++this._tries, r, this._options.random)
        if (offline) delay = Math.max(delay, r.maxDelay)
      }
    }
    if (this._phase !== q) return this._announce(q, error, hadSocket)
    if (retry && !exhausted) {
      const attempt = this._tries
      const next = this._enter({
        status: 'reconnecting',
        timer: setTimeout(() => this._connect(), delay),
      })
      return this._announce(next, error, hadSocket, () =>
        this._ev.emit('reconnecting', { attempt, delay }),
      )
    }
    const next = q.status === 'closed' ? q : this._enter(closed())
    this._announce(next, error, hadSocket, () => {
      if (exhausted) this._ev.emit('exhausted', { attempts: this._tries })
    })
  }

  /** Our `close()` completed (or is cut short): report the code we sent, then `closed`. @internal */
  protected _finishClose(wasClean: boolean): Phase {
    const p = this._phase
    if (p.status !== 'closing') return p
    const next = this._enter(closed(p.ws.bufferedAmount))
    this._lastClose = { ...p.request, wasClean }
    this._announce(next, undefined, true)
    return next
  }

  /** Nothing left that may still transmit: a connection held back for it flushes now. @internal */
  protected _settled(): void {
    const p = this._phase
    if (p.status === 'connecting' && p.held) this.#open(p)
    else this._runWaiters()
  }
}
