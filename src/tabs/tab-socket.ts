import type { RawData } from '../codec'
import { ClosedError, DecodeError, type SteadySocketError } from '../errors'
import {
  call,
  createEmitter,
  type CloseInfo,
  type Emitter,
  type SteadySocketEvents,
  type Status,
} from '../events'
import type { SendResult } from '../flow'
import { normalizeOptions, type BinaryType, type Normalized } from '../options'
import type { Snapshot, SteadySocketOptions } from '../socket'
import { SocketSurface } from '../surface'
import { toWebSocketUrl, validateClose, type UrlSource } from '../url'
import { checkTimeout, waitFor } from '../wait'
import { Leader, type LeaderHost, type LeaderOptions } from './leader'
import {
  describe,
  revive,
  type Body,
  type Envelope,
  type Relayed,
  type Wire,
  type WireError,
} from './protocol'

/** The part of `navigator.locks` (the Web Locks API) a `TabSocket` uses. */
export type LockManagerLike = {
  /** Like `navigator.locks.request(name, { signal }, callback)`: holds the lock while `callback` runs. */
  request(
    name: string,
    options: { signal: AbortSignal },
    callback: () => Promise<void>,
  ): Promise<unknown>
}

/** The part of a `BroadcastChannel` a `TabSocket` uses. */
export type ChannelLike = {
  /** Like `BroadcastChannel.addEventListener('message', …)`. */
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void
  /** Like `BroadcastChannel.postMessage()`. */
  postMessage(message: unknown): void
  /** Like `BroadcastChannel.close()`. */
  close(): void
}

/** A `BroadcastChannel` constructor (or a fake one for tests). */
export type BroadcastChannelConstructor = new (name: string) => ChannelLike

/** Options of `new TabSocket(url, options)`: those of `SteadySocket`, plus the group's. */
export type TabSocketOptions<In = RawData, Out = RawData> = Omit<
  SteadySocketOptions<In, Out>,
  'handshake'
> & {
  /** Tabs of one origin with the same channel share one socket. @default the socket's URL */
  channel?: string | undefined
  /** Runs on every open of the shared socket, in the leader's tab, before its queue flushes. @default none */
  handshake?: ((socket: TabSocket<In, Out>) => void | Promise<void>) | undefined
  /** Web Locks implementation (tests, other runtimes). @default navigator.locks */
  locks?: LockManagerLike | undefined
  /** BroadcastChannel implementation (tests, other runtimes). @default globalThis.BroadcastChannel */
  BroadcastChannel?: BroadcastChannelConstructor | undefined
}

/** The events of a `TabSocket`: those of `SteadySocket`, plus `leader`. */
export type TabSocketEvents<In = RawData, Out = RawData> = SteadySocketEvents<In, Out> & {
  /** This tab took the lead (it now owns the socket) or gave it up. */
  leader: {
    /** Whether this tab now owns the shared socket. */
    isLeader: boolean
  }
}

/** `Snapshot` plus whether this tab owns the socket. */
export type TabSnapshot = Readonly<
  Snapshot & {
    /** Whether this tab owns the shared socket. */
    isLeader: boolean
  }
>

type Group = { name: string; locks: LockManagerLike; Channel: BroadcastChannelConstructor }

// Tab ids only need to be unique among the tabs of one browser: a counter tells apart the
// sockets of one tab, the clock and a random part tell apart tabs (and reloads).
let made = 0

/**
 * One socket for all tabs: the `SteadySocket` surface, but every tab of the origin that uses
 * the same `channel` shares one real connection. The tab holding a Web Lock is the leader and
 * owns the socket; the others relay `send()` to it over a `BroadcastChannel` and receive every
 * message and state change from it. Where Web Locks or BroadcastChannel are missing, it is a
 * plain `SteadySocket`.
 *
 * @example
 * const socket = new TabSocket<Price, Command>('wss://example.com/prices', { codec: json() })
 * socket.on('message', (price) => render(price)) // in every tab
 * socket.send({ type: 'subscribe', symbol: 'ACME' }) // from any tab, through the leader
 */
export class TabSocket<In = RawData, Out = RawData> extends SocketSurface<
  TabSocketEvents<In, Out>
> {
  readonly #o: Normalized<In, Out>
  readonly #init: LeaderOptions<In, Out>
  readonly #src: UrlSource
  readonly #group: Group | null
  readonly #id: string
  readonly #ev: Emitter<TabSocketEvents<In, Out>>
  readonly #subs = new Set<() => void>()
  readonly #waiters = new Set<() => void>()
  /** This tab's sends that no leader has acknowledged yet, by number (so in order). */
  readonly #pending = new Map<number, Out>()
  /** flush() calls by id: undefined while waiting for the leader, then null or the error. */
  readonly #flushes = new Map<number, SteadySocketError | null | undefined>()
  /** Highest relayed message number a leader wrote, per tab: the dedupe table after a handover. */
  readonly #acked = new Map<string, number>()
  #leader: Leader<In, Out> | null = null
  #leaderId: string | null = null
  #term = 0
  /** Term of the leader this tab followed before it took the lead: that leader's `bye` is ours. */
  #prevTerm = -1
  /** What the last leader's queue held for other tabs (its `bye`), for whoever leads next. */
  #inherit: Envelope<Out>[] | null = null
  #bc: ChannelLike | null = null
  #abort: AbortController | null = null
  #release: (() => void) | null = null
  /** In the group (from `open()` or construction until `close()`), even while hidden. */
  #joined = false
  /** The page is hidden (pagehide) or frozen: this tab left the group until it is shown again. */
  #hidden = false
  #disposed = false
  #seq = 0
  #flushId = 0
  #opens = 0
  /** The leader's last acknowledgement was not 'sent' (queued or dropped), and no drain since. */
  #busy = false
  /** A relayed send() returned 'queued': a `drain` is owed once every relay is acknowledged. */
  #owe = false
  #state: Status = 'closed'
  /** The current leader's state has arrived; until then its frames wait in `#early`. */
  #synced = false
  /** Set while this tab holds the lock and waits for the previous leader's `bye`. */
  #byeWait: (() => void) | null = null
  #early: RawData[] = []
  /** Tabs heard on the channel (and not gone): a new leader broadcasts to them from the start. */
  readonly #seen = new Set<string>()
  /** The shared socket's subprotocol and extensions, as the leader last reported them. */
  #protocol = ''
  #extensions = ''
  #binary: BinaryType
  #tries = 0
  #lastUrl: string
  #lastClose: CloseInfo | null = null
  #lastError: SteadySocketError | null = null
  #errKey = ''
  #errObj: SteadySocketError | null = null
  #snap: TabSnapshot

  /**
   * @param url as for `SteadySocket`; a URL provider needs the `channel` option.
   * @param protocolsOrOptions subprotocols, or the options object.
   */
  constructor(url: UrlSource, protocolsOrOptions?: string | string[] | TabSocketOptions<In, Out>) {
    const ev = createEmitter<TabSocketEvents<In, Out>>()
    super(ev)
    this.#ev = ev
    const all: TabSocketOptions<In, Out> =
      typeof protocolsOrOptions === 'string' || Array.isArray(protocolsOrOptions)
        ? { protocols: protocolsOrOptions }
        : (protocolsOrOptions ?? {})
    const { channel, locks, BroadcastChannel: Channel, handshake, ...rest } = all
    const o = (this.#o = normalizeOptions({ ...rest, handshake } as SteadySocketOptions<
      In,
      Out
    >) as Normalized<In, Out>)
    this.#binary = o.binaryType
    const g = globalThis as {
      WebSocket?: unknown
      BroadcastChannel?: BroadcastChannelConstructor
      navigator?: { locks?: LockManagerLike }
    }
    if (typeof (o.WebSocket ?? g.WebSocket) !== 'function') {
      throw new TypeError(
        'steadysocket: no WebSocket implementation found; pass one with the `WebSocket` option',
      )
    }
    if (channel !== undefined && (typeof channel !== 'string' || channel === '')) {
      throw new TypeError(`steadysocket: option "channel" must be a non-empty string`)
    }
    if (typeof url === 'function' && channel === undefined) {
      throw new TypeError(
        'steadysocket: a URL provider needs the "channel" option: tabs share a socket by channel',
      )
    }
    this.#src = url
    this.#lastUrl = typeof url === 'function' ? '' : toWebSocketUrl(url)
    this.#init = { ...rest, handshake: handshake && (() => handshake(this)) }
    const lockManager = locks ?? g.navigator?.locks
    const Ch = Channel ?? g.BroadcastChannel
    this.#group =
      lockManager && typeof Ch === 'function'
        ? {
            name: `steadysocket/tabs/1 ${channel ?? this.#lastUrl}`,
            locks: lockManager,
            Channel: Ch,
          }
        : null
    this.#id = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}-${++made}`
    this.#snap = this.#makeSnapshot()
    // Without the APIs this is a plain SteadySocket: one socket, owned by this tab, for good.
    if (!this.#group) {
      this.#joined = true
      this.#lead(null, o.autoConnect)
    } else if (o.autoConnect) this.open()
  }

  /** `'connecting' | 'open' | 'closing' | 'reconnecting' | 'closed'`: the shared socket's, as this tab sees it. */
  get status(): Status {
    return this.#state
  }
  /** Consecutive failed attempts of the shared socket since its last stable connection. */
  get attempt(): number {
    return this.#tries
  }
  /** URL of the shared socket's current (or last) connection. */
  get url(): string {
    return this.#lastUrl
  }
  /** In the leader, `SteadySocket.bufferedAmount`; elsewhere 0 (bytes are counted where they are written). */
  get bufferedAmount(): number {
    return this.#leader?.sock.bufferedAmount ?? 0
  }
  /** In the leader, its socket's queue; elsewhere this tab's messages no leader has acknowledged yet. */
  get queueLength(): number {
    return this.#leader?.sock.queueLength ?? this.#pending.size
  }
  /** In the leader, `SteadySocket.queuedBytes`; elsewhere 0. */
  get queuedBytes(): number {
    return this.#leader?.sock.queuedBytes ?? 0
  }
  /** Subprotocol the server chose for the shared socket's current (or last) connection. */
  get protocol(): string {
    return this.#leader?.sock.protocol ?? this.#protocol
  }
  /** Extensions the server chose for the shared socket's current (or last) connection. */
  get extensions(): string {
    return this.#leader?.sock.extensions ?? this.#extensions
  }
  /**
   * Applied to the shared socket while this tab leads (and when it takes the lead). A follower
   * receives frames as the leader's socket made them: use the same `binaryType` in every tab.
   * @default 'blob'
   */
  get binaryType(): BinaryType {
    return this.#binary
  }
  /** A value the WebSocket implementation does not accept is ignored, as on `SteadySocket`. */
  set binaryType(value: BinaryType) {
    const L = this.#leader
    if (L) L.sock.binaryType = value
    this.#binary = L ? L.sock.binaryType : String(value)
  }
  /** True while this tab owns the shared socket (always, where Web Locks or BroadcastChannel are missing). */
  get isLeader(): boolean {
    return this.#leader !== null
  }

  /** The current state snapshot (referentially stable until it changes). For `useSyncExternalStore`. */
  getSnapshot = (): TabSnapshot => this.#snap

  /** Calls `listener` after every snapshot change; returns the unsubscribe function. */
  subscribe = (listener: () => void): (() => void) => {
    this.#subs.add(listener)
    return () => this.#subs.delete(listener)
  }

  /**
   * In the leader's tab, `SteadySocket.send()`. In another tab the message is relayed to the
   * leader and kept until the leader acknowledges it (re-sent to the next leader otherwise):
   * `'sent'` when the shared socket is open and the leader reported no backpressure, else
   * `'queued'` (a `drain` follows once the leader took everything); `'dropped'` when this tab
   * already holds `queue.maxMessages` unacknowledged messages, or without a queue while not open.
   * `data` must be structured-cloneable (it crosses tabs).
   */
  send(data: Out): SendResult {
    if (this.#disposed) return 'dropped'
    const L = this.#leader
    if (L) return L.sock.send({ o: this.#id, s: ++this.#seq, d: data })
    const q = this.#o.queue
    const open = this.#state === 'open' && this.#leaderId !== null
    if (q ? this.#pending.size >= q.maxMessages : !open) {
      this.#ev.emit('drop', { messages: [data], reason: q ? 'overflow' : 'disabled' })
      return 'dropped'
    }
    const s = ++this.#seq
    // Posted first: an uncloneable message throws here, before it is kept.
    this.#post({ t: 'send', to: this.#leaderId, s, d: data })
    this.#pending.set(s, data)
    if (open && !this.#busy) return 'sent'
    this.#owe = true
    return 'queued'
  }

  /** Joins the tab group if this tab left it (`close()`); else starts the shared socket if it is `closed`. */
  open(): void {
    if (this.#disposed || this.#hidden) return
    if (!this.#joined) this.#join()
    else if (this.#leader) this.#leader.sock.open()
    else this.#post({ t: 'cmd', c: 'open', code: 1000, reason: '' })
  }

  /** Reconnects the shared socket now (from any tab), resetting its backoff. */
  reconnect(code = 1000, reason = ''): void {
    validateClose(code, reason)
    if (this.#disposed || this.#hidden) return
    if (!this.#joined) {
      this.#join()
      // The shared socket may be waiting in backoff: a hello only opens a closed one.
      if (!this.#leader) this.#post({ t: 'cmd', c: 'reconnect', code, reason })
    } else if (this.#leader) this.#leader.sock.reconnect(code, reason)
    else this.#post({ t: 'cmd', c: 'reconnect', code, reason })
  }

  /**
   * Removes and returns this tab's queued messages (those `which` accepts, with it; no `drop`
   * event: the caller has them). In the leader, the shared queue keeps other tabs' messages. In a
   * follower, whatever it sent is already with the leader, out of reach: it returns `[]`.
   */
  clearQueue(which?: (message: Out) => boolean): Out[] {
    const L = this.#leader
    if (!L) return []
    const mine = L.sock.clearQueue((e) => e.o === this.#id && (!which || which(e.d)))
    this.#runWaiters()
    return mine.map((e) => e.d)
  }

  /**
   * Detaches this tab: it leaves the group and its status becomes `closed` at once. The shared
   * socket closes (with `code`) only when this tab is the leader; another tab then takes over.
   * Unacknowledged sends stay here until `open()`.
   */
  close(code = 1000, reason = ''): void {
    validateClose(code, reason)
    if (!this.#group) return this.#leader?.sock.close(code, reason)
    if (!this.#joined) return
    this.#joined = this.#hidden = false
    this.#listen(false)
    const was = this.#state
    this.#leave(code, reason)
    if (was === 'open' || was === 'connecting') {
      const close = (this.#lastClose = { code, reason, wasClean: was === 'open' })
      this.#fire('close', { ...close, willReconnect: false })
    }
    this.#update('closed')
  }

  /** Resolves when the shared socket is open (at once if it is); rejects if it is or becomes `closed`, or on timeout. */
  opened(options?: { timeout?: number }): Promise<void> {
    checkTimeout('opened()', options?.timeout)
    return waitFor(this.#waiters, 'opened()', options?.timeout, () =>
      this.#state === 'open'
        ? true
        : this.#state === 'closed'
          ? new ClosedError('steadysocket: the socket is closed')
          : false,
    )
  }

  /**
   * Resolves when everything this tab sent so far was taken by the leader and the leader's
   * socket has flushed; rejects if this tab becomes `closed` first, or on timeout.
   */
  flush(options?: { timeout?: number }): Promise<void> {
    checkTimeout('flush()', options?.timeout)
    const id = ++this.#flushId
    this.#flushes.set(id, undefined)
    if (this.#leader) this.#ask(this.#leader, id)
    else this.#post({ t: 'flush', to: this.#leaderId, id })
    return waitFor(
      this.#waiters,
      'flush()',
      options?.timeout,
      () => {
        const done = this.#flushes.get(id)
        if (done === null) return true
        if (done) return done
        return this.#state === 'closed'
          ? new ClosedError('steadysocket: the socket closed before the flush completed')
          : false
      },
      () => this.#flushes.delete(id),
    )
  }

  /**
   * `close()`, then removes every listener; this tab's unacknowledged messages are reported
   * once in a `drop` event (`'disposed'`). Later calls do nothing.
   */
  dispose(): void {
    if (this.#disposed) return
    if (this.#group) this.close()
    else this.#leader?.sock.dispose()
    const left = [...this.#pending.values()]
    this.#pending.clear()
    if (left.length > 0) this.#ev.emit('drop', { messages: left, reason: 'disposed' })
    this.#disposed = true
    this.#runWaiters()
    this.#ev.clear()
    this.clearCompat()
    this.#subs.clear()
  }

  /** Same as `dispose()`, for `using socket = new TabSocket(url)`. */
  [Symbol.dispose](): void {
    this.dispose()
  }

  #join(): void {
    this.#joined = true
    this.#listen(true)
    this.#update('connecting')
    this.#enter()
  }

  /** Joins the group: the channel, the lock request (granted: lead), a hello to the leader. */
  #enter(): void {
    const g = this.#group as Group
    let bc: ChannelLike
    try {
      bc = new g.Channel(g.name)
    } catch {
      // Opaque origins (sandboxed frames) have no channel: this tab goes it alone.
      return this.#lead(null, true)
    }
    this.#bc = bc
    bc.addEventListener('message', (e) => this.#bc === bc && this.#receive(e.data as Wire<Out>))
    const ac = (this.#abort = new AbortController())
    g.locks
      .request(
        g.name,
        { signal: ac.signal },
        () =>
          new Promise<void>((release) => {
            const go = () =>
              this.#abort === ac ? this.#lead(release, this.#state !== 'closed') : release()
            // What the previous leader posted before it left (its last acks, then its `bye`,
            // in channel order) must be read before this tab decides what is left to write: the
            // lock can be granted before they arrive. A leader that crashed says nothing: wait
            // a bounded time for it.
            if (this.#leaderId === null) return void setTimeout(go, 0)
            const timer = setTimeout(() => this.#byeWait?.(), BYE_WAIT)
            this.#byeWait = () => {
              this.#byeWait = null
              clearTimeout(timer)
              setTimeout(go, 0)
            }
          }),
      )
      .catch(() => {
        // Aborted because this tab left; or no lock can be had here: go it alone.
        if (this.#abort !== ac) return
        this.#bc?.close()
        this.#bc = null
        this.#lead(null, this.#state !== 'closed')
      })
    this.#post({ t: 'hello', open: true })
  }

  /**
   * The page is going away or being frozen: leave the group now, while this tab still runs, so
   * that a leader hands over (its queue included) instead of acknowledging messages its dying
   * socket will never send. Back in the group when the page is shown or resumed.
   */
  #suspend = (): void => {
    if (!this.#joined || this.#hidden) return
    this.#hidden = true
    const was = this.#state
    this.#leave(1000, 'tab hidden', true)
    if (was === 'open')
      this.#fire('close', { code: 1000, reason: 'tab hidden', wasClean: true, willReconnect: true })
    if (was !== 'closed') this.#update('reconnecting')
  }

  #wake = (): void => {
    if (!this.#joined || !this.#hidden) return
    this.#hidden = false
    if (this.#state !== 'closed') this.#update('connecting')
    this.#enter()
  }

  /** pagehide/pageshow on the window, freeze/resume on the document: only while in the group. */
  #listen(on: boolean): void {
    const g = globalThis as {
      addEventListener?: (type: string, fn: () => void) => void
      removeEventListener?: (type: string, fn: () => void) => void
      document?: Pick<Document, 'addEventListener' | 'removeEventListener'>
    }
    const method = on ? 'addEventListener' : 'removeEventListener'
    if (typeof g[method] === 'function') {
      g[method]('pagehide', this.#suspend)
      g[method]('pageshow', this.#wake)
    }
    g.document?.[method]('freeze', this.#suspend)
    g.document?.[method]('resume', this.#wake)
  }

  /** This tab leaves the group: the leader hands over, then the lock and channel go. */
  #leave(code: number, reason: string, handOver = false): void {
    const L = this.#leader
    if (L) {
      this.#leader = null
      for (const e of L.leave(code, reason, handOver)) this.#pending.set(e.s, e.d)
    } else this.#post({ t: 'leave' })
    this.#abort?.abort()
    this.#release?.()
    this.#abort = this.#release = null
    this.#bc?.close()
    this.#bc = null
    this.#leaderId = this.#inherit = null
    if (L) {
      this.#update(this.#state) // isLeader in the snapshot first
      this.#ev.emit('leader', { isLeader: false })
    }
  }

  /** This tab got the lock (or is alone): it makes the socket and writes what is left to write. */
  #lead(release: (() => void) | null, open: boolean): void {
    this.#release = release
    const lost = this.#state === 'open'
    this.#prevTerm = this.#term
    this.#term = Math.max(this.#term + 1, Date.now())
    this.#leaderId = this.#id
    const L = (this.#leader = new Leader(this.#src, this.#init, this.#host()))
    L.sock.binaryType = this.#binary
    for (const id of this.#seen) L.peers.add(id)
    if (lost) this.#gone(1006, 'leader tab gone')
    if (this.#group) {
      this.#update(this.#state) // isLeader in the snapshot first
      this.#ev.emit('leader', { isLeader: true })
    }
    const inherit = this.#inherit
    this.#inherit = null
    if (inherit) {
      this.#prevTerm = -1
      for (const e of inherit) L.take(e)
    }
    for (const [s, d] of this.#pending) L.take({ o: this.#id, s, d })
    this.#pending.clear()
    if (open) L.sock.open()
    else this.#update(this.#state)
    // After open(): a closed socket's flush() would reject at once.
    for (const [id, done] of this.#flushes) if (done === undefined) this.#ask(L, id)
    L.announce()
  }

  /** A new leader spoke: tell it this tab is here, and re-send what no leader acknowledged. */
  #follow(from: string, term: number): void {
    const lost = this.#leaderId !== null && this.#state === 'open'
    this.#term = term
    this.#leaderId = from
    this.#inherit = null
    this.#synced = false
    this.#early = []
    if (lost) this.#gone(1006, 'leader tab gone')
    this.#post({ t: 'hello', open: false })
    for (const [s, d] of this.#pending) this.#post({ t: 'send', to: from, s, d })
    for (const [id, done] of this.#flushes) {
      if (done === undefined) this.#post({ t: 'flush', to: from, id })
    }
  }

  #receive(m: Wire<Out>): void {
    if (m.t === 'leave' || m.t === 'bye') this.#seen.delete(m.f)
    else this.#seen.add(m.f)
    const L = this.#leader
    switch (m.t) {
      case 'hello':
        return L?.hello(m.f, m.open)
      case 'send':
        return m.to === this.#id ? L?.relay(m.f, m.s, m.d) : undefined
      case 'cmd':
        if (!L) return
        L.peers.add(m.f)
        return m.c === 'open' ? L.sock.open() : L.sock.reconnect(m.code, m.reason)
      case 'flush':
        return m.to === this.#id ? L?.flush(m.f, m.id) : undefined
      case 'leave':
        return void L?.peers.delete(m.f)
      case 'ack':
        return this.#onAck(m.to, m.s, m.r)
      case 'drop':
        if (m.to !== this.#id) return
        return this.#ev.emit('drop', {
          messages: m.m.map(([s, d]) => (this.#pending.has(s) ? (this.#pending.get(s) as Out) : d)),
          reason: m.r,
        })
      case 'flushed':
        if (m.to === this.#id && this.#flushes.has(m.id)) {
          this.#flushes.set(m.id, m.e && revive(m.e))
          this.#runWaiters()
        }
        return
      case 'bye':
        return this.#onBye(m.f, m.term, m.q)
    }
    // state, msg, event: only from the leader of the newest term.
    if (L || m.term < this.#term) return
    if (m.term > this.#term || m.f !== this.#leaderId) this.#follow(m.f, m.term)
    if (m.t === 'msg') return this.#synced ? this.#decode(m.raw) : void this.#early.push(m.raw)
    if (m.t === 'event') {
      if (m.k !== 'drain') return this.#fire(m.k, m.k === 'error' ? this.#revive(m.p) : m.p)
      this.#busy = false
      return this.#settle()
    }
    const w = m.s
    const c = w.lastClose
    const k = this.#lastClose
    this.#tries = w.attempt
    this.#lastUrl = w.url
    this.#protocol = w.protocol
    this.#extensions = w.extensions
    // A new leader that has seen no close yet does not erase the handover's close.
    this.#lastClose = c && k && c.code === k.code && c.reason === k.reason ? k : (c ?? k)
    // Decode errors are each tab's own: the leader's codec is not this tab's.
    const e = w.lastError
    if (e && e.name !== 'DecodeError') this.#lastError = this.#revive(e)
    this.#update(w.status)
    if (!this.#synced) {
      // Frames that came before this leader's first state: delivered after the open it implies.
      this.#synced = true
      for (const raw of this.#early.splice(0)) this.#decode(raw)
    }
  }

  #onAck(to: string, s: number, r: SendResult): void {
    if (s > (this.#acked.get(to) ?? 0)) this.#acked.set(to, s)
    if (to !== this.#id || !this.#pending.delete(s)) return
    this.#busy = r !== 'sent'
    this.#settle()
  }

  #onBye(from: string, term: number, q: Envelope<Out>[]): void {
    const L = this.#leader
    if (L) {
      // The previous leader left after this tab took over: its queue is ours to write.
      if (term === this.#prevTerm) for (const e of q) L.take(e)
      this.#prevTerm = -1
      return
    }
    if (term < this.#term || (term === this.#term && from !== this.#leaderId)) return
    this.#term = term
    this.#leaderId = null
    this.#inherit = q.length > 0 ? q : null
    this.#byeWait?.()
    if (this.#state === 'closed') return
    if (this.#state === 'open') this.#gone(1001, 'leader tab left')
    this.#update('reconnecting')
  }

  /** The shared connection ended for this tab because its leader went: a reconnect, to it. */
  #gone(code: number, reason: string): void {
    const close = { code, reason, wasClean: false }
    this.#lastClose = close
    this.#update(this.#state)
    this.#fire('close', { ...close, willReconnect: true })
  }

  /** Owes a `drain` (a send returned 'queued'): pay it once the leader took everything. */
  #settle(): void {
    if (this.#owe && !this.#busy && this.#pending.size === 0) {
      this.#owe = false
      this.#ev.emit('drain', {})
    }
  }

  /** Emits a socket event in this tab (from its own socket, or relayed by the leader). */
  #fire(k: Relayed, p: unknown): void {
    if (k === 'open') p = { isReconnect: this.#opens++ > 0 }
    this.#ev.emit(k, p as never)
    if ((k === 'open' || k === 'close' || k === 'error') && this.hasCompat(k)) {
      if (k === 'open') this.dispatchCompat({ type: k })
      else if (k === 'close') {
        const { code, reason, wasClean } = p as CloseInfo
        this.dispatchCompat({ type: k, code, reason, wasClean })
      } else this.dispatchCompat({ type: k, error: p as SteadySocketError })
    }
  }

  #deliver(data: In, raw: RawData): void {
    this.#ev.emit('message', data)
    if (this.hasCompat('message')) this.dispatchCompat({ type: 'message', data: raw })
  }

  /** A follower decodes each frame itself: its own codec, its own decode errors. */
  #decode(raw: RawData): void {
    const codec = this.#o.codec
    if (!codec) return this.#deliver(raw as In, raw)
    let data: In
    try {
      data = codec.decode(raw)
    } catch (error) {
      const e = new DecodeError(`steadysocket: could not decode a frame: ${describe(error)}`, raw, {
        cause: error,
      })
      this.#lastError = e
      this.#update(this.#state)
      return this.#fire('error', e)
    }
    this.#deliver(data, raw)
  }

  /** The leader's error, rebuilt once (the snapshot and the `error` event get the same object). */
  #revive(w: unknown): SteadySocketError {
    const e = w as WireError
    const key = `${this.#term}:${e.n}`
    if (key !== this.#errKey || !this.#errObj) {
      this.#errKey = key
      this.#errObj = revive(e)
    }
    return this.#errObj
  }

  #ask(L: Leader<In, Out>, id: number): void {
    const done = (e: SteadySocketError | null) => {
      // A leader that left (page hidden) answers for nothing: the next one is asked again.
      if (this.#leader !== L || !this.#flushes.has(id)) return
      this.#flushes.set(id, e)
      this.#runWaiters()
    }
    L.sock.flush().then(() => done(null), done)
  }

  #post(body: Body<Out>): void {
    this.#bc?.postMessage({ ...body, f: this.#id, term: this.#term })
  }

  #host(): LeaderHost<In, Out> {
    return {
      id: this.#id,
      acked: this.#acked,
      post: (b) => this.#post(b),
      state: (snap) => {
        this.#tries = snap.attempt
        this.#lastUrl = snap.url
        this.#lastClose = snap.lastClose
        this.#lastError = snap.lastError
        this.#update(snap.status)
      },
      event: (k, p) => this.#fire(k, p),
      message: (data, raw) => this.#deliver(data, raw),
      drop: (messages, reason) => this.#ev.emit('drop', { messages, reason }),
    }
  }

  /** Sets the status; a new snapshot when anything in it changed; then `status` and waiters. */
  #update(status: Status): void {
    const previous = this.#state
    this.#state = status
    const s = this.#snap
    if (
      s.status !== status ||
      s.attempt !== this.#tries ||
      s.url !== this.#lastUrl ||
      s.lastClose !== this.#lastClose ||
      s.lastError !== this.#lastError ||
      s.isLeader !== (this.#leader !== null)
    ) {
      this.#snap = this.#makeSnapshot()
      for (const fn of [...this.#subs]) call(fn, undefined)
    }
    if (previous !== status) {
      this.#ev.emit('status', { status, previous })
      // A follower's `open` is its view of the shared socket opening (also when it joins late);
      // the leader's queue was flushed on open, so no backpressure is known any more.
      if (status === 'open' && !this.#leader) {
        this.#fire('open', null)
        this.#busy = false
        this.#settle()
      }
    }
    this.#runWaiters()
  }

  #makeSnapshot(): TabSnapshot {
    return Object.freeze({
      status: this.#state,
      readyState: this.readyState,
      attempt: this.#tries,
      url: this.#lastUrl,
      lastClose: this.#lastClose,
      lastError: this.#lastError,
      isLeader: this.#leader !== null,
    })
  }

  #runWaiters(): void {
    if (this.#waiters.size > 0) for (const run of [...this.#waiters]) run()
  }
}

/** ms a tab given the lock waits for the previous leader's `bye` (a crashed leader sends none). */
const BYE_WAIT = 150
