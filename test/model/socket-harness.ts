// Drives one SteadySocket through a model run: builds it from a Config, hooks every event, compat
// handler, subscriber and user callback (each checks the state and may fire one armed re-entrant
// call), plays the steps against a FakeServer in 'manual' mode, and checks the contract's
// invariants after every step and inside every hook. Violations are collected, never thrown from
// inside the SDK: the runner throws them after the step, with the steps and the recent events.
import fc from 'fast-check'
import { vi } from 'vitest'
import {
  isSteadySocketError,
  json,
  SteadySocket,
  type RawData,
  type SteadySocketErrorName,
  type SteadySocketEvents,
  type SteadySocketOptions,
} from '../../src/index'
import {
  FakeServer,
  type FakeConnection,
  type FakeListenerOptions,
  type FakeWebSocket,
} from '../../src/testing/index'
import { EPOCH, installEnv, microtasks, type Env } from './env'
import { Ledger, type SockRecord } from './ledger'
import type { ResumeWorld, WorldHost } from './resume-world'
import { drive, ignored } from './run'
import {
  actionLabel,
  HOOKS,
  stepLabel,
  type Action,
  type Config,
  type Hook,
  type Step,
} from './steps'

type Events = SteadySocketEvents<unknown, unknown>
type Status = Events['status']['status']

const URL = 'ws://model.test/live'
const PONG = '"pong"'
const NO_RETRY = [1002, 1003, 1007, 1008, 1009, 1010]
/** The SDK's default connectTimeout, the wait for an abandoned socket when none is set. */
const DEFAULT_BOUND = 10_000

/** Kinds of invariant, printed as `[kind]` (MODEL_IGNORE='[kind]|…' looks past one, see run.ts). */
export type Kind =
  | 'state'
  | 'created'
  | 'write'
  | 'event-state'
  | 'close-code'
  | 'backoff'
  | 'timeout'
  | 'drain'
  | 'message'
  | 'send'
  | 'promise'
  | 'stuck'
  | 'leak'
  | 'delivery'
  | 'live'
  | 'reconnecting-idle'
  | 'disposed-state'
  | 'consistency'
  | 'misc'
  // The resumable model (resume-world.ts).
  | 'resume'
  | 'resume-order'
  | 'unconfirmed'
  | 'bytes'
  | 'duplicate'
/** Hooks that are user callbacks (options), not listeners. */
const CALLBACKS = new Set<Hook>(HOOKS.slice(HOOKS.indexOf('url')))

const now = () => Date.now() - EPOCH
const idOf = (text: unknown): string | undefined =>
  typeof text === 'string' ? /\bu\d+\b/.exec(text)?.[0] : undefined

export class SocketHarness {
  readonly server = new FakeServer({ mode: 'manual' })
  readonly sockets: SockRecord[] = []
  readonly ledger: Ledger
  socket!: SteadySocket<unknown, unknown>
  readonly violations: string[] = []
  readonly log: string[] = []
  /** The log as it was at the first violation. */
  firstContext: string[] = []

  #cfg: Config
  #env: Env
  #WS: typeof FakeWebSocket
  readonly #natives = new Map<FakeWebSocket, SockRecord>()
  /** Every native socket not yet seen CLOSING or CLOSED. */
  #maybeLive: FakeWebSocket[] = []
  readonly #answered = new Set<FakeConnection>()
  #answer: Config['answer']
  #pongs = true
  #providersFail = false
  #handshakeAuto = false
  /** The final phase: the server accepts and reads everything. */
  #friendly = false
  #pendingHandshakes: { resolve: () => void; reject: (e: Error) => void }[] = []
  #armed: { hook: Hook; action: Action }[] = []
  /** Calls into the socket in progress (close, dispose, open, reconnect, send). */
  #stack: string[] = []
  /** Bumped by every call the model makes: a hook that sees it move knows the state moved. */
  #actions = 0
  #stopped: boolean
  #disposed = false
  /** A final 'closed' status is explained (close(), dispose(), exhausted, a non-retryable close). */
  #mayStayClosed: boolean
  #attemptStart = 0
  /** The current attempt was started by a call from inside a hook (see #observe). */
  #startedInHook = false
  /** Depth of calls made from inside hooks. */
  #reentrant = 0
  #wait: { at: number; delay: number; interrupted: boolean } | null = null
  #pendingUserClose: number | null = null
  #opens = 0
  /** Transitions into 'open' seen by a subscriber (every commit reaches subscribers). */
  #subOpens = 0
  #subStatus: Status | undefined
  /** The browser said offline at some point: retries then go on past maxRetries. */
  #wasOffline = false
  #owedDrain = false
  #frameTainted = false
  readonly #frames = new Map<string, number>()
  readonly #seenErrors = new WeakSet<Error>()
  #framesSent = 0
  readonly #promises: { what: string; state: 'pending' | 'resolved' | 'rejected' }[] = []
  #step = 'construction'
  /** The resumable model's server side, or undefined (the plain model's FakeServer speaks). */
  readonly #world: ResumeWorld | undefined

  constructor(cfg: Config, env: Env, world?: (host: WorldHost) => ResumeWorld) {
    this.#cfg = cfg
    this.#env = env
    this.#world = world?.(this.host)
    this.#answer = cfg.answer
    this.#stopped = !cfg.autoConnect
    this.#mayStayClosed = !cfg.autoConnect
    const hb = cfg.heartbeat
    const bound = cfg.connectTimeout || (hb ? hb.timeout : DEFAULT_BOUND)
    // With resume, recoverUnsent is superseded: the world judges what a dead connection held.
    this.ledger = new Ledger(this.sockets, bound, cfg.recoverUnsent && !this.#world)
    this.#WS = this.#nativeClass()
    this.server.onConnection((c) => this.#connected(c))
  }

  // ── construction ────────────────────────────────────────────────────────────────────────────

  start(): void {
    const cfg = this.#cfg
    this.#stack.push('construct')
    try {
      this.socket = new SteadySocket<unknown, unknown>(this.#urlSource(), this.#options())
    } finally {
      this.#stack.pop()
    }
    this.#startAttempt()
    if (cfg.autoConnect && this.socket.status !== 'connecting')
      this.#violate(
        'state',
        `status is '${this.socket.status}' right after construction with autoConnect`,
      )
    this.#listen()
  }

  #urlSource(): string | (() => string | Promise<string>) {
    const mode = this.#cfg.url
    if (mode === 'static') return URL
    const provide = () => {
      this.#hook('url')
      if (this.#providersFail) throw new Error('URL provider down')
      return URL
    }
    if (mode === 'sync') return provide
    return async () => {
      await null
      return provide()
    }
  }

  #options(): SteadySocketOptions<unknown, unknown> {
    const cfg = this.#cfg
    const o: SteadySocketOptions<unknown, unknown> = {
      ...(this.#world ? { resume: this.#world.option, binaryType: 'arraybuffer' as const } : {}),
      WebSocket: this.#WS,
      autoConnect: cfg.autoConnect,
      connectTimeout: cfg.connectTimeout,
      recoverUnsent: cfg.recoverUnsent,
      watchNetwork: cfg.watchNetwork,
      random: () => {
        this.#hook('random')
        return cfg.random
      },
    }
    const protocols = () => {
      this.#hook('protocols')
      if (this.#providersFail) throw new Error('protocols provider down')
      return ['chat']
    }
    if (cfg.protocols === 'static') o.protocols = ['chat']
    else if (cfg.protocols === 'sync') o.protocols = protocols
    else if (cfg.protocols === 'async')
      o.protocols = async () => {
        await null
        return protocols()
      }
    const r = cfg.reconnect
    if (r === false) o.reconnect = false
    else {
      o.reconnect = {
        initialDelay: r.initialDelay,
        maxDelay: r.maxDelay,
        factor: r.factor,
        jitter: r.jitter,
        maxRetries: r.maxRetries,
        minUptime: r.minUptime,
      }
      if (r.shouldReconnect)
        o.reconnect.shouldReconnect = (close) => {
          this.#hook('shouldReconnect')
          return !NO_RETRY.includes(close.code)
        }
      if (r.delay)
        o.reconnect.delay = (attempt) => {
          this.#hook('delay')
          return customDelay(attempt)
        }
    }
    const q = cfg.queue
    o.queue = q
    const bp = cfg.backpressure
    o.backpressure = bp && {
      highWaterMark: bp.highWaterMark,
      lowWaterMark: Math.min(bp.lowWaterMark, bp.highWaterMark),
    }
    const hb = cfg.heartbeat
    if (hb) {
      o.heartbeat = {
        interval: hb.interval,
        timeout: hb.timeout,
        message: hb.messageFn
          ? () => {
              this.#hook('heartbeat.message')
              return 'ping'
            }
          : 'ping',
      }
      if (hb.isPong)
        o.heartbeat.isPong = (raw) => {
          this.#frameHook('isPong')
          return raw === PONG
        }
    }
    if (cfg.codec) {
      const base = json<unknown, unknown>()
      o.codec = {
        encode: (m) => {
          this.#hook('encode')
          const raw = base.encode(m)
          this.ledger.commit((m as { id?: string }).id)
          return raw
        },
        decode: (raw) => {
          this.#frameHook('decode')
          return base.decode(raw)
        },
      }
    }
    if (cfg.handshake !== 'none') o.handshake = (s) => this.#handshake(s)
    return o
  }

  #handshake(s: SteadySocket<unknown, unknown>): void | Promise<void> {
    this.#hook('handshake')
    if (this.#cfg.handshakeSends) this.send(4, 'handshake', s)
    switch (this.#cfg.handshake) {
      case 'async':
        return (async () => {
          await null
          await null
        })()
      case 'manual':
        if (this.#handshakeAuto) return
        return new Promise<void>((resolve, reject) =>
          this.#pendingHandshakes.push({ resolve, reject }),
        )
    }
  }

  /** The native WebSocket class: the server's, recording creations, writes and closes. */
  #nativeClass(): typeof FakeWebSocket {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const h = this
    type Listener = Parameters<FakeWebSocket['addEventListener']>[1]
    return class ModelWebSocket extends this.server.WebSocket {
      /** The SDK's message listeners, each wrapped so that the world sees what they get. */
      readonly #wrapped = new Map<unknown, Listener>()
      constructor(url: string | URL, protocols?: string | string[]) {
        super(url, protocols)
        h.#created(this)
        if (h.#world) super.addEventListener('close', () => h.#world!.nativeClosed(this))
      }
      override addEventListener(type: string, fn: Listener, options?: FakeListenerOptions): void {
        const world = h.#world
        if (!world || type !== 'message' || typeof fn !== 'function')
          return super.addEventListener(type, fn, options)
        const w: Listener = (e) => {
          world.frame(this, (e as unknown as { data: unknown }).data)
          ;(fn as (e: unknown) => void).call(this, e)
        }
        this.#wrapped.set(fn, w)
        super.addEventListener(type, w, options)
      }
      override removeEventListener(
        type: string,
        fn: Listener,
        options?: boolean | { capture?: boolean },
      ): void {
        super.removeEventListener(type, this.#wrapped.get(fn) ?? fn, options)
      }
      override send(data: RawData): void {
        h.#written(this, data)
        super.send(data)
      }
      override close(code?: number, reason?: string): void {
        h.#closing(this)
        super.close(code, reason)
      }
    }
  }

  #created(ws: FakeWebSocket): void {
    const rec: SockRecord = {
      idx: this.sockets.length,
      createdAt: now(),
      closedAt: undefined,
      userClosed: false,
    }
    this.sockets.push(rec)
    this.#natives.set(ws, rec)
    this.#maybeLive.push(ws)
    this.#note(`native socket #${rec.idx} created`)
    if (this.#disposed)
      this.#violate('created', `native socket #${rec.idx} created after dispose()`)
    else if (this.#stopped)
      this.#violate(
        'created',
        `native socket #${rec.idx} created after close(), before open()/reconnect()`,
      )
    const status = this.socket?.status
    if (status !== undefined && status !== 'connecting')
      this.#violate('created', `native socket #${rec.idx} created while status is '${status}'`)
    this.#checkLive(`creating native socket #${rec.idx}`)
  }

  #written(ws: FakeWebSocket, data: RawData): void {
    const rec = this.#natives.get(ws)!
    if (ws.readyState !== 1)
      this.#violate('write', `write to native socket #${rec.idx} in readyState ${ws.readyState}`)
    this.ledger.write(idOf(data), rec.idx, now())
    this.#world?.written(ws, data, this.socket?.status)
  }

  #closing(ws: FakeWebSocket): void {
    const rec = this.#natives.get(ws)!
    if (ws.readyState > 1 || rec.closedAt !== undefined) return
    rec.closedAt = now()
    rec.userClosed = this.#stack.includes('close') || this.#stack.includes('dispose')
  }

  #connected(c: FakeConnection): void {
    if (this.#cfg.stallNew && !this.#friendly) c.stall()
    if (this.#answer !== 'manual') {
      this.#answered.add(c)
      if (this.#answer === 'accept') c.accept()
      else c.refuse()
    }
    if (this.#world) return this.#world.connected(c)
    c.onMessage((data) => {
      try {
        if (data === 'ping') {
          if (this.#pongs) c.send(PONG)
          return
        }
        const rec = this.#natives.get(c.socket)
        if (rec) this.ledger.deliver(idOf(data), rec.idx, now())
      } catch (error) {
        this.#violate('misc', `the fake server failed: ${String(error)}`)
      }
    })
  }

  // ── hooks ───────────────────────────────────────────────────────────────────────────────────

  #listen(): void {
    const s = this.socket
    s.on('status', (p) => this.#onStatus(p))
    s.on('open', (p) => this.#onOpen(p))
    s.on('close', (p) => this.#onClose(p))
    s.on('error', (e) => this.#onError(e))
    s.on('reconnecting', (p) => this.#onReconnecting(p))
    s.on('drop', (p) => this.#onDrop(p))
    s.on('drain', () => this.#onDrain())
    s.on('message', (m) => this.#onMessage(m))
    s.on('stable', () => this.#onStable())
    s.on('exhausted', (p) => this.#onExhausted(p))
    const world = this.#world
    if (world)
      s.on('session', (p) => {
        this.#note(`session ${JSON.stringify({ ...p, id: p.id.slice(0, 6) })}`)
        world.session(p)
        this.#hook('session', () => {
          if (s.status !== 'connecting')
            this.#violate('event-state', `session event with status '${s.status}'`)
        })
      })
    s.onopen = () => this.#hook('onopen')
    s.onclose = () => this.#hook('onclose')
    s.onerror = () => this.#hook('onerror')
    s.onmessage = () => this.#hook('onmessage')
    s.addEventListener('open', () => this.#hook('listener:open'))
    s.addEventListener('close', () => this.#hook('listener:close'))
    s.addEventListener('error', () => this.#hook('listener:error'))
    s.addEventListener('message', () => this.#hook('listener:message'))
    s.subscribe(() =>
      this.#hook('subscribe', () => {
        const snap = s.getSnapshot()
        if (snap.status === 'open' && this.#subStatus !== 'open') this.#subOpens++
        this.#subStatus = snap.status
        this.#observe(snap.lastError)
      }),
    )
  }

  /** Runs where the SDK calls the model: checks the state, then fires an armed call, once. */
  #hook(name: Hook, check?: () => void): void {
    this.#consistent(`inside '${name}'`, !CALLBACKS.has(name))
    check?.()
    const i = this.#armed.findIndex((a) => a.hook === name)
    if (i < 0) return
    const a = this.#armed.splice(i, 1)[0]!
    this.#note(`  ↳ in '${name}': ${actionLabel(a.action)}`)
    this.perform(a.action, name)
  }

  /** isPong/decode: the first one of a frame starts it; a call made there taints its message event. */
  #frameHook(name: 'isPong' | 'decode'): void {
    const first = this.#cfg.heartbeat && this.#cfg.heartbeat.isPong ? 'isPong' : 'decode'
    if (name === first) this.#frameTainted = false
    const before = this.#actions
    this.#hook(name)
    if (this.#actions !== before) this.#frameTainted = true
  }

  #onStatus(p: Events['status']): void {
    this.#note(`status ${p.previous} → ${p.status}`)
    if (p.status === 'connecting') {
      // A retry announced by a reconnecting event waits the delay it announced.
      const w = this.#wait
      if (w && !w.interrupted && Math.abs(now() - w.at - w.delay) > 1)
        this.#violate(
          'backoff',
          `announced a retry in ${w.delay} ms, retried after ${now() - w.at} ms with nothing in between`,
        )
      this.#startAttempt()
    }
    this.#wait = null
    if (p.status === 'closed' && this.#cfg.reconnect === false) this.#mayStayClosed = true
    this.#hook('status', () => {
      const s = this.socket
      if (p.status !== s.status)
        this.#violate('event-state', `status event says '${p.status}' but status is '${s.status}'`)
      if (p.previous === p.status)
        this.#violate('event-state', `status event with previous === status ('${p.status}')`)
    })
  }

  #onOpen(p: Events['open']): void {
    this.#note(`open ${JSON.stringify(p)}`)
    this.#world?.opened()
    this.#hook('open', () => {
      const s = this.socket
      if (s.status !== 'open' || s.readyState !== 1)
        this.#violate(
          'event-state',
          `open event with status '${s.status}' / readyState ${s.readyState}`,
        )
      // isReconnect is false only for the first open; an open whose event a listener cut short
      // (its status was announced) still counts.
      if (this.#opens > 0 ? !p.isReconnect : p.isReconnect && this.#subOpens < 2)
        this.#violate(
          'misc',
          `open event isReconnect ${p.isReconnect} after ${this.#opens} open events, ${this.#subOpens} opens`,
        )
    })
    this.#opens++
  }

  #onClose(p: Events['close']): void {
    this.#note(`close ${JSON.stringify(p)}`)
    const starting = this.#stack.includes('open') || this.#stack.includes('reconnect')
    this.#hook('close', () => {
      const s = this.socket
      const st = s.status
      if (p.code === 1005) this.#violate('close-code', 'close event reports 1005')
      if (p.willReconnect) {
        if (st !== 'reconnecting' && st !== 'connecting')
          this.#violate(
            'event-state',
            `close event (willReconnect) with status '${st}' / readyState ${s.readyState}`,
          )
      } else if (st !== 'closed' && !(starting && st === 'connecting')) {
        this.#violate(
          'event-state',
          `close event (no reconnect) with status '${st}' / readyState ${s.readyState}`,
        )
      }
      const last = s.getSnapshot().lastClose
      if (!last || last.code !== p.code || last.reason !== p.reason || last.wasClean !== p.wasClean)
        this.#violate(
          'event-state',
          `close event ${p.code} while getSnapshot().lastClose is ${JSON.stringify(last)}`,
        )
      const want = this.#pendingUserClose
      if (want !== null && !p.willReconnect && p.code !== want)
        this.#violate('close-code', `close event after close(${want}) reports ${p.code}`)
    })
    if (!p.willReconnect) {
      this.#mayStayClosed = true
      this.#pendingUserClose = null
    }
  }

  #onError(e: Events['error']): void {
    this.#note(`error ${e.name}: ${e.message}`)
    this.#hook('error', () => {
      const cfg = this.#cfg
      if (!isSteadySocketError(e)) return this.#violate('misc', `error event with ${String(e)}`)
      if (this.socket.getSnapshot().lastError !== e)
        this.#violate('event-state', 'error event not in getSnapshot().lastError')
      const unexpected = (name: SteadySocketErrorName, allowed: boolean) =>
        isSteadySocketError(e, name) && !allowed && this.#violate('misc', `unexpected ${name}`)
      unexpected('DecodeError', cfg.codec)
      unexpected('HeartbeatTimeoutError', cfg.heartbeat !== false)
      // With resume, a connection the server never welcomed fails with one too (PROTOCOL.md 2.1).
      unexpected('HandshakeError', cfg.handshake !== 'none' || this.#world !== undefined)
      unexpected(
        'ProviderError',
        cfg.url !== 'static' || cfg.protocols === 'sync' || cfg.protocols === 'async',
      )
      // The SDK itself decided this connection is dead: the state says so before the event.
      if (isSteadySocketError(e, 'HeartbeatTimeoutError') && this.socket.status === 'open')
        this.#violate('event-state', "HeartbeatTimeoutError event with status 'open'")
      this.#observe(e)
    })
  }

  /**
   * A ConnectTimeoutError comes `connectTimeout` ms into an attempt, never earlier (a timer of a
   * finished attempt). Judged when the error is first seen, in a subscriber or the event: a
   * subscriber may already have started the next attempt when the event itself fires.
   */
  #observe(e: Error | null): void {
    if (!e || this.#seenErrors.has(e)) return
    this.#seenErrors.add(e)
    const cfg = this.#cfg
    if (!isSteadySocketError(e, 'ConnectTimeoutError')) return
    const waited = now() - this.#attemptStart
    // A call from a hook may start the next attempt while the SDK is still reporting the last
    // one's timeout (shouldReconnect, subscribers): only an attempt started from a step or a
    // timer is measured.
    if (cfg.connectTimeout === 0)
      this.#violate('timeout', 'ConnectTimeoutError with connectTimeout 0')
    else if (!this.#startedInHook && waited < cfg.connectTimeout)
      this.#violate(
        'timeout',
        `ConnectTimeoutError ${waited} ms into an attempt (connectTimeout ${cfg.connectTimeout})`,
      )
  }

  #onReconnecting(p: Events['reconnecting']): void {
    this.#note(`reconnecting ${JSON.stringify(p)}`)
    this.#hook('reconnecting', () => {
      const s = this.socket
      const r = this.#cfg.reconnect
      if (s.status !== 'reconnecting')
        this.#violate('event-state', `reconnecting event with status '${s.status}'`)
      if (p.attempt !== s.attempt || s.getSnapshot().attempt !== p.attempt)
        this.#violate(
          'event-state',
          `reconnecting event attempt ${p.attempt}, socket.attempt ${s.attempt}`,
        )
      if (!r) return this.#violate('backoff', 'reconnecting event with reconnect: false')
      // Offline, retries go on and never stop (API.md, watchNetwork): past maxRetries too.
      if (p.attempt < 1 || (p.attempt > r.maxRetries && !this.#wasOffline))
        this.#violate(
          'backoff',
          `reconnecting attempt ${p.attempt} with maxRetries ${r.maxRetries}`,
        )
      if (!(p.delay >= 0)) this.#violate('backoff', `reconnecting delay ${p.delay}`)
      const offline = this.#cfg.watchNetwork && !this.#env.online
      if (r.delay) {
        if (!offline && p.delay !== customDelay(p.attempt))
          this.#violate(
            'backoff',
            `reconnecting delay ${p.delay}, reconnect.delay said ${customDelay(p.attempt)}`,
          )
      } else {
        // initialDelay 0 stays 0 (0 × an overflowed factor^n is NaN in floating point).
        const d =
          r.initialDelay && Math.min(r.maxDelay, r.initialDelay * r.factor ** (p.attempt - 1))
        if (p.delay > r.maxDelay)
          this.#violate('backoff', `reconnecting delay ${p.delay} above maxDelay ${r.maxDelay}`)
        else if (r.jitter === 'none' && p.delay !== (offline ? r.maxDelay : d))
          this.#violate(
            'backoff',
            `reconnecting delay ${p.delay} for attempt ${p.attempt}${offline ? ' (offline)' : ''}, ` +
              `the contract says ${offline ? r.maxDelay : d}`,
          )
      }
    })
    this.#wait = { at: now(), delay: p.delay, interrupted: false }
  }

  #onDrop(p: Events['drop']): void {
    this.#note(`drop ${p.reason} [${p.messages.map((m) => this.#idOfMessage(m)).join(', ')}]`)
    for (const m of p.messages) this.ledger.drop(this.#idOfMessage(m), p.reason, now())
    this.#hook('drop', () => {
      const q = this.#cfg.queue
      const ok =
        p.reason === 'disposed'
          ? this.#disposed
          : p.reason === 'disabled'
            ? q === false
            : p.reason === 'expired'
              ? typeof q === 'object' && q.ttl > 0
              : typeof q === 'object'
      if (!ok) this.#violate('misc', `drop event with reason '${p.reason}'`)
      if (p.messages.length === 0) this.#violate('misc', 'drop event without messages')
    })
  }

  #onDrain(): void {
    this.#note('drain')
    this.#owedDrain = false
    this.#hook('drain', () => {
      const s = this.socket
      const bp = this.#cfg.backpressure
      // Without a queue there are no water marks (src/flow.ts: writes go straight through); with
      // resume a full session buffer still engages and ends a backpressure episode.
      const low =
        bp && this.#cfg.queue !== false ? Math.min(bp.lowWaterMark, bp.highWaterMark) : Infinity
      if (s.queueLength !== 0) this.#violate('drain', `drain with ${s.queueLength} messages queued`)
      if (s.bufferedAmount - s.queuedBytes > low)
        this.#violate(
          'drain',
          `drain with ${s.bufferedAmount - s.queuedBytes} bytes buffered (lowWaterMark ${low})`,
        )
    })
  }

  #onMessage(m: unknown): void {
    const text = typeof m === 'string' ? m : JSON.stringify(m)
    this.#note(`message ${text.slice(0, 30)}`)
    this.#world?.clientMessage(m)
    const tainted = this.#frameTainted
    this.#frameTainted = false
    this.#hook('message', () => {
      const frame = /s(\d+)-\d+/.exec(text)
      if (!frame) return
      const n = (this.#frames.get(frame[0]) ?? 0) + 1
      this.#frames.set(frame[0], n)
      if (n > 1) this.#violate('misc', `frame ${frame[0]} emitted ${n} times`)
      if (tainted) return
      const st = this.socket.status
      if (Number(frame[1]) !== this.sockets.length - 1)
        this.#violate('message', `message from replaced native socket #${frame[1]}`)
      else if (st !== 'open' && st !== 'closing' && st !== 'connecting')
        this.#violate('message', `message event with status '${st}'`)
    })
  }

  #onStable(): void {
    this.#note('stable')
    this.#hook('stable', () => {
      const s = this.socket
      if (s.status !== 'open' || s.attempt !== 0)
        this.#violate('event-state', `stable event with status '${s.status}', attempt ${s.attempt}`)
    })
  }

  #onExhausted(p: Events['exhausted']): void {
    this.#note(`exhausted ${JSON.stringify(p)}`)
    this.#mayStayClosed = true
    this.#hook('exhausted', () => {
      const s = this.socket
      const r = this.#cfg.reconnect
      if (s.status !== 'closed')
        this.#violate('event-state', `exhausted event with status '${s.status}'`)
      if (r && (this.#wasOffline ? p.attempts < r.maxRetries : p.attempts !== r.maxRetries))
        this.#violate(
          'backoff',
          `exhausted after ${p.attempts} retries, maxRetries ${r.maxRetries}`,
        )
    })
  }

  // ── calls into the socket ───────────────────────────────────────────────────────────────────

  /** A user command, from a step or from inside a hook. */
  perform(a: Action, origin: string): void {
    if (origin === 'step') return this.#perform(a, origin)
    this.#reentrant++
    try {
      this.#perform(a, origin)
    } finally {
      this.#reentrant--
    }
  }

  #startAttempt(): void {
    this.#attemptStart = now()
    this.#startedInHook = this.#reentrant > 0
  }

  #perform(a: Action, origin: string): void {
    this.#actions++
    if (this.#wait) this.#wait.interrupted = true
    const s = this.socket
    switch (a.do) {
      case 'send':
        return this.send(a.size, origin, s)
      case 'close': {
        const st = s.status
        this.#stopped = this.#mayStayClosed = true
        this.ledger.userCloses.push(now())
        this.#world?.clientClose(st)
        // Checked for a close() from a step: from a hook, the connection may be being lost
        // already (error, shouldReconnect, …) and its 1006 close is still due.
        if (st !== 'closed' && st !== 'closing' && !this.#disposed && origin === 'step')
          this.#pendingUserClose = a.code
        return this.#call('close', () => s.close(a.code))
      }
      case 'dispose':
        if (!this.#disposed && s.status !== 'closed' && s.status !== 'closing' && origin === 'step')
          this.#pendingUserClose = 1000
        this.#world?.clientClose(s.status)
        this.#stopped = this.#mayStayClosed = this.#disposed = true
        this.ledger.userCloses.push(now())
        return this.#call('dispose', () => s.dispose())
      case 'open':
        if (!this.#disposed && (s.status === 'closed' || s.status === 'closing')) {
          this.#stopped = false
          this.#pendingUserClose = null
          if (s.status === 'closed') {
            this.#mayStayClosed = false
            this.#startAttempt()
          }
        }
        return this.#call('open', () => s.open())
      case 'reconnect':
        if (!this.#disposed) {
          this.#stopped = this.#mayStayClosed = false
          this.#pendingUserClose = null
          this.#startAttempt()
        }
        return this.#call('reconnect', () => s.reconnect())
    }
  }

  /** send() of a fresh, uniquely numbered message of `size` padding bytes. */
  send(size: number, origin: string, s: SteadySocket<unknown, unknown> = this.socket): void {
    const m = this.ledger.add(origin, now(), this.#disposed)
    const pad = 'x'.repeat(size)
    const data = this.#cfg.codec ? { id: m.id, pad } : `${m.id}:${pad}`
    if (!this.#cfg.codec) this.ledger.commit(m.id)
    const before = { status: s.status, writes: m.writes.length, drops: m.drops.length }
    this.#stack.push('send')
    try {
      m.result = s.send(data)
    } catch (error) {
      m.result = 'threw'
      this.#violate('send', `send() threw ${String(error)}`)
    } finally {
      this.#stack.pop()
    }
    this.#note(`${m.id} (${origin}): ${m.result}`)
    if (m.result === 'sent') {
      if (before.status !== 'open' || s.status !== 'open') m.handshake = true
      if (m.writes.length === before.writes)
        this.#violate('send', `send() of ${m.id} returned 'sent' but wrote nothing`)
    }
    if (m.result === 'dropped' && !this.#disposed && m.drops.length === before.drops)
      this.#violate('send', `send() of ${m.id} returned 'dropped' without a drop event`)
    // dispose() ran inside this send() (from encode or a drop listener): the message must be
    // dropped, or reported by dispose()'s own drop event.
    const gone = m.result === 'dropped' || m.result === 'threw' || m.drops.length > 0
    if (!m.afterDispose && this.#disposed && !gone && m.writes.length === 0)
      this.#violate(
        'send',
        `send() of ${m.id} returned '${m.result}' though dispose() ran inside it, and no drop event`,
      )
    if (m.afterDispose && m.result !== 'dropped')
      this.#violate('send', `send() after dispose() returned '${m.result}'`)
    if (m.result === 'queued') this.#owedDrain = true
  }

  #call(what: string, fn: () => void): void {
    this.#stack.push(what)
    try {
      fn()
    } catch (error) {
      this.#violate('misc', `${what}() threw ${String(error)}`)
    } finally {
      this.#stack.pop()
    }
  }

  #promise(what: string, p: Promise<void>): void {
    const record = { what, state: 'pending' as 'pending' | 'resolved' | 'rejected' }
    this.#promises.push(record)
    p.then(
      () => (record.state = 'resolved'),
      () => (record.state = 'rejected'),
    )
  }

  #idOfMessage(m: unknown): string | undefined {
    return idOf(typeof m === 'string' ? m : (m as { id?: string } | null)?.id)
  }

  // ── steps ───────────────────────────────────────────────────────────────────────────────────

  async apply(step: Step, label: string): Promise<void> {
    this.#step = label
    this.#note(`▶ ${label}`)
    const s = this.socket
    const server = this.server
    const conns = server.connections
    const newest = (pick: (c: FakeConnection) => boolean, back = 0) =>
      conns.filter(pick).reverse()[back] as FakeConnection | undefined
    switch (step.kind) {
      case 'call':
        this.perform(step.action, 'step')
        break
      case 'clearQueue':
        this.#actions++
        this.#call('clearQueue', () => {
          for (const m of s.clearQueue()) this.ledger.clear(this.#idOfMessage(m), now())
          if (s.queueLength !== 0)
            this.#violate('misc', `clearQueue() left ${s.queueLength} messages`)
        })
        break
      case 'opened':
      case 'flush': {
        const st = s.status
        const record = { what: `${step.kind}(${step.timeout ?? ''}) at +${now()}` }
        const options = step.timeout === undefined ? undefined : { timeout: step.timeout }
        this.#promise(record.what, step.kind === 'opened' ? s.opened(options) : s.flush(options))
        await microtasks()
        const p = this.#promises[this.#promises.length - 1]!
        if (step.kind === 'opened') {
          if (st === 'open' && p.state !== 'resolved')
            this.#violate('promise', `opened() while open: ${p.state}`)
          if ((st === 'closed' || this.#disposed) && p.state !== 'rejected')
            this.#violate('promise', `opened() while closed: ${p.state}`)
        }
        if (step.timeout === 0 && p.state === 'pending')
          this.#violate('promise', `${step.kind}({ timeout: 0 }) did not decide at once`)
        break
      }
      case 'arm':
        this.#armed.push({ hook: step.hook, action: step.action })
        break
      case 'accept':
      case 'refuse': {
        const c = conns.find((x) => x.state === 'pending' && !this.#answered.has(x))
        if (c) {
          this.#answered.add(c)
          if (step.kind === 'accept') c.accept()
          else c.refuse()
        }
        break
      }
      case 'answer':
        this.#answer = step.mode
        break
      case 'serverClose':
        newest((c) => c.state === 'open')?.close(step.code)
        break
      case 'terminate':
      case 'fail': {
        const c = newest((x) => x.state !== 'closed', step.back)
        if (c) {
          this.#answered.add(c)
          c[step.kind]()
        }
        break
      }
      case 'stall':
        newest((c) => c.state === 'open' && !c.isStalled)?.stall()
        break
      case 'resume':
        newest(readable, step.back)?.resume()
        break
      case 'drain':
        newest(readable, step.back)?.drain(step.bytes)
        break
      case 'serverSend': {
        const c = newest((x) => x.state === 'open')
        if (c) {
          const idx = this.#natives.get(c.socket)!.idx
          const tag = `s${idx}-${++this.#framesSent}`
          c.send(
            step.what === 'pong'
              ? PONG
              : step.what === 'json'
                ? JSON.stringify({ s: tag })
                : `garbage ${tag}`,
          )
        }
        break
      }
      case 'pongs':
        this.#pongs = step.on
        break
      case 'online':
        this.#interrupt()
        if (!step.on && this.#cfg.watchNetwork) this.#wasOffline = true
        this.#env.setOnline(step.on)
        break
      case 'visible':
        this.#interrupt()
        this.#env.setVisible(step.on)
        break
      case 'pageshow':
        this.#interrupt()
        this.#env.pageshow()
        break
      case 'providersFail':
        this.#providersFail = step.on
        break
      case 'handshakeSettle':
        for (const p of this.#pendingHandshakes.splice(0)) {
          if (step.ok) p.resolve()
          else p.reject(new Error('handshake refused'))
        }
        break
      case 'tick':
        await this.#advance(step.ms)
        break
      case 'expire':
        await this.#advance((this.#world?.cfg.window ?? 0) + 1)
        break
      default:
        this.#world?.apply(step)
    }
    await microtasks()
    this.checkState(`after step '${label}'`)
  }

  /**
   * Moves the fake clock in slices and stops early once an invariant broke: a retry loop gone
   * wrong (a delay of 0 or NaN) would otherwise cost thousands of attempts per failing run, and
   * fast-check replays failing runs many times while it shrinks them.
   */
  async #advance(ms: number): Promise<void> {
    let left = ms
    do {
      const slice = Math.min(left, 250)
      await vi.advanceTimersByTimeAsync(slice)
      left -= slice
    } while (left > 0 && this.violations.length === 0)
  }

  #interrupt(): void {
    if (this.#wait) this.#wait.interrupted = true
  }

  /**
   * The end of a run: a friendly world (server accepting and reading, online, visible, providers
   * and handshakes working), a long wait, then the liveness checks; then dispose() and the
   * checks that it left nothing behind; then the delivery ledger.
   */
  async finish(): Promise<void> {
    this.#armed = []
    this.#step = 'the final wait (friendly world)'
    this.#note('▶ final: server accepts and reads, online, visible, providers and handshakes work')
    this.#answer = 'accept'
    this.#pongs = true
    this.#providersFail = false
    this.#handshakeAuto = true
    this.#friendly = true
    for (const p of this.#pendingHandshakes.splice(0)) p.resolve()
    this.#interrupt()
    if (!this.#env.online) this.#env.setOnline(true)
    if (!this.#env.visible) this.#env.setVisible(true)
    for (const c of this.server.connections) {
      if (c.state === 'pending' && !this.#answered.has(c)) {
        this.#answered.add(c)
        c.accept()
      }
      if (readable(c)) c.resume()
    }
    const cfg = this.#cfg
    const r = cfg.reconnect
    const wait =
      this.ledger.bound +
      2 * cfg.connectTimeout +
      (r ? 2 * Math.max(r.maxDelay, customDelay(20)) : 0) +
      3000
    await this.#advance(wait)
    await microtasks()
    this.checkState('after the final wait')
    const s = this.socket
    if (!this.#disposed) {
      if (s.status !== 'open' && !(s.status === 'closed' && this.#mayStayClosed))
        this.#violate('stuck', `stuck in '${s.status}' after ${wait} ms with the server accepting`)
      if (s.status === 'open' && this.#owedDrain)
        this.#violate('drain', "no drain after a send() returned 'queued'")
      this.#world?.settled(s.status === 'open')
    }
    this.#step = 'dispose() at the end'
    this.#note('▶ final: dispose()')
    this.perform({ do: 'dispose' }, 'step')
    await this.#advance(60_000)
    await microtasks()
    this.checkState('after the final dispose()')
    const timers = vi.getTimerCount()
    if (timers > 0) this.#violate('leak', `${timers} timers left after dispose()`)
    const attached = this.#env.attached()
    if (attached.length > 0)
      this.#violate('leak', `listeners left after dispose(): ${attached.join(', ')}`)
    const pending = this.#promises.filter((p) => p.state === 'pending')
    if (pending.length > 0)
      this.#violate('promise', `promises never settled: ${pending.map((p) => p.what).join(', ')}`)
    for (const v of this.ledger.verdicts()) this.#violate('delivery', v)
  }

  // ── invariants ──────────────────────────────────────────────────────────────────────────────

  /** After every step: the state agrees with itself and with the native sockets. */
  checkState(where: string): void {
    const s = this.socket
    this.#consistent(where)
    const live = this.#live()
    const st = s.status
    if ((st === 'closed' || st === 'closing' || st === 'reconnecting') && live.length > 0)
      this.#violate('live', `${where}: status '${st}' with a live native socket`)
    // Between a native socket's readyState CLOSED and its close event (separate tasks in the kit)
    // 'open' may stand on a socket that is no longer live; once everything ran it may not.
    const newest = this.sockets.length - 1
    const settled = vi.getTimerCount() === 0 || this.#friendly
    if (st === 'open' && live.some((ws) => this.#natives.get(ws)?.idx !== newest))
      this.#violate(
        'live',
        `${where}: status 'open' with a live native socket that is not the newest`,
      )
    else if (st === 'open' && settled && !(live.length === 1 && live[0]!.readyState === 1))
      this.#violate('live', `${where}: status 'open' without an open native socket`)
    if (st === 'reconnecting' && vi.getTimerCount() === 0)
      this.#violate(
        'reconnecting-idle',
        `${where}: 'reconnecting' with no timer pending${this.#env.online ? '' : ' (offline)'}`,
      )
    if (this.#disposed && st !== 'closed')
      this.#violate('disposed-state', `${where}: status '${st}' after dispose()`)
    for (const e of this.#env.reported.splice(0))
      this.#violate('misc', `${where}: reported ${String(e)}`)
    this.#world?.check(where, s)
  }

  /** Inside every hook and after every step: status, readyState, flags and snapshot agree. */
  #consistent(where: string, listener = true): void {
    const s = this.socket
    if (!s) return
    const st: Status = s.status
    const rs = s.readyState
    const want = st === 'open' ? 1 : st === 'closing' ? 2 : st === 'closed' ? 3 : 0
    if (rs !== want) this.#violate('consistency', `${where}: readyState ${rs} with status '${st}'`)
    const snap = s.getSnapshot()
    // A user callback may run halfway through a transition (random, delay): the attempt number
    // is being computed there; status and readyState must agree even so.
    if (snap.status !== st || snap.readyState !== rs || (listener && snap.attempt !== s.attempt))
      this.#violate(
        'consistency',
        `${where}: getSnapshot() is ${snap.status}/${snap.readyState}/attempt ${snap.attempt}, ` +
          `the socket ${st}/${rs}/attempt ${s.attempt}`,
      )
    const flags = [s.isConnecting, s.isOpen, s.isClosing, s.isReconnecting, s.isClosed]
    const names: Status[] = ['connecting', 'open', 'closing', 'reconnecting', 'closed']
    if (flags.some((f, i) => f !== (names[i] === st)))
      this.#violate('consistency', `${where}: is* flags disagree with '${st}'`)
    this.#checkLive(where)
  }

  #checkLive(where: string): void {
    const live = this.#live()
    if (live.length > 1)
      this.#violate(
        'live',
        `${where}: ${live.length} live native sockets (#${live.map((ws) => this.#natives.get(ws)?.idx).join(', #')})`,
      )
  }

  /**
   * The native sockets CONNECTING or OPEN: server.live without scanning every connection ever
   * made (a retry loop makes thousands, and this runs inside every hook).
   */
  #live(): FakeWebSocket[] {
    const live = this.#maybeLive.filter((ws) => ws.readyState <= 1)
    this.#maybeLive = live
    return live
  }

  /** What the resumable world reports into the run (resume-world.ts). */
  readonly host: WorldHost = {
    violate: (kind, what) => void this.#violate(kind, what),
    note: (line) => this.#note(line),
    index: (ws) => this.#natives.get(ws)?.idx ?? -1,
    delivered: (id, ws) => {
      const rec = this.#natives.get(ws)
      if (rec) this.ledger.deliver(id, rec.idx, now())
    },
    unconfirmed: (id) => this.ledger.drop(id, 'unconfirmed', now()),
    idOf: (m) => this.#idOfMessage(m),
  }

  #violate(kind: Kind, what: string): false {
    // A runaway (a retry loop gone wrong) reports its first fifty; the rest adds nothing.
    if (this.violations.length >= 50) return false
    const text = `[${kind}] ${what} (during ${this.#step})`
    if (ignored(text)) return false
    if (!this.violations.includes(text)) this.violations.push(text)
    this.#note(`✗ ${what}`)
    if (this.violations.length === 1 && this.firstContext.length === 0)
      this.firstContext = this.log.slice(-50)
    return false
  }

  #note(line: string): void {
    this.log.push(`+${String(now()).padStart(6)} ${line}`)
    if (this.log.length > 400) this.log.splice(0, this.log.length - 300)
  }
}

/** What the model's `reconnect.delay` answers. */
function customDelay(attempt: number): number {
  return Math.min(150 * attempt, 600)
}

/**
 * One model run: throws the failure report at the first step after which an invariant broke.
 * `world` puts a resumable server behind the FakeServer (resume.model.test.ts).
 */
export async function runSocketModel(
  cfg: Config,
  steps: readonly Step[],
  world?: { options: string; make: (host: WorldHost) => ResumeWorld },
): Promise<void> {
  const env = installEnv()
  let made: ResumeWorld | undefined
  const h = new SocketHarness(cfg, env, world && ((host) => (made = world.make(host))))
  const options = fc.stringify(cfg) + (world ? `, resume: ${world.options}` : '')
  try {
    await drive(h, options, steps, steps.map(stepLabel), async () => {
      h.start()
      await microtasks()
      h.checkState('after construction')
    })
  } finally {
    try {
      h.socket?.dispose()
    } catch {
      // The run already failed or passed; the socket only has to let go of the page.
    }
    made?.close()
    env.restore()
  }
}

/**
 * A stalled connection the server has not closed. The kit drops what a stalled connection held
 * when the server closes it, yet bufferedAmount keeps counting it; a resume() after that would
 * transmit later frames ahead of those bytes, which no real connection does (TCP is in order).
 */
function readable(c: FakeConnection): boolean {
  return c.isStalled && c.state === 'open'
}
