import type { RawData } from '../codec'
import { ClosedError } from '../errors'
import type { SendResult } from '../flow'
import {
  isPlainObject,
  normalizeOptions,
  webSocketOf,
  type Normalized,
  type SocketOptions,
} from '../options'
import type { SteadySocketOptions } from '../socket'
import { toWebSocketUrl, validateClose, type UrlSource } from '../url'
import { checkTimeout } from '../wait'
import {
  gone,
  Group,
  groupName,
  tabId,
  type BroadcastChannelConstructor,
  type LockManagerLike,
  type MemberHost,
} from './group'
import { Leader } from './leader'
import type { Envelope } from './protocol'
import { Relay, type RelayHost } from './relay'
import { TabState } from './state'

export type { LockManagerLike, ChannelLike, BroadcastChannelConstructor } from './group'
export type { TabSocketEvents, TabSnapshot } from './state'

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

/**
 * One socket for all tabs: the `SteadySocket` surface, but every tab of the origin that uses
 * the same `channel` shares one real connection. The tab holding a Web Lock is the leader and
 * owns the socket; the others relay `send()` to it over a `BroadcastChannel` and receive every
 * message and state change from it. Where Web Locks or BroadcastChannel are missing, it is a
 * plain `SteadySocket`. `binaryType` applies to the shared socket while this tab leads; a
 * follower receives frames as the leader's socket made them: use the same one in every tab.
 *
 * @example
 * const socket = new TabSocket<Price, Command>('wss://example.com/prices', { codec: json() })
 * socket.on('message', (price) => render(price)) // in every tab
 * socket.send({ type: 'subscribe', symbol: 'ACME' }) // from any tab, through the leader
 */
export class TabSocket<In = RawData, Out = RawData> extends TabState<In, Out> {
  /** The options of the socket this tab makes when it leads: normalised once, here. */
  readonly #options: Normalized<unknown, Out>
  readonly #source: UrlSource
  /** `null` where Web Locks or BroadcastChannel are missing: this tab leads alone, for good. */
  readonly #group: Group<Out> | null
  readonly #relay: Relay<Out>
  /** How the group, the relay and this tab's socket reach this tab. */
  readonly #host: RelayHost<Out> & MemberHost<Out>
  #leader: Leader<Out> | null = null
  /** The socket this tab led with, still closing after it left the lead (see `Leader.leave`). */
  #leaving: Leader<Out> | null = null

  /**
   * @param url as for `SteadySocket`; a URL provider needs the `channel` option.
   * @param protocolsOrOptions subprotocols, or the options object.
   */
  constructor(url: UrlSource, protocolsOrOptions?: string | string[] | TabSocketOptions<In, Out>) {
    const all: TabSocketOptions<In, Out> =
      typeof protocolsOrOptions === 'string' || Array.isArray(protocolsOrOptions)
        ? { protocols: protocolsOrOptions }
        : (protocolsOrOptions ?? {})
    // A Map or a class instance throws (normalizeOptions names it); only own properties count,
    // so a polluted Object.prototype.channel changes nothing.
    if (!isPlainObject(all)) normalizeOptions(all as never)
    const { channel: _c, locks: _l, BroadcastChannel: _b, ...rest } = all
    const own = <K extends keyof TabSocketOptions<In, Out>>(key: K) =>
      Object.hasOwn(all, key) ? all[key] : undefined
    const channel = own('channel')
    const locks = own('locks')
    const Channel = own('BroadcastChannel')
    const o = normalizeOptions(rest as SocketOptions<In, Out, TabSocket<In, Out>>)
    // Checked here: the socket itself is made later, in whichever tab leads.
    webSocketOf(o)
    const wsUrl = typeof url === 'function' ? '' : toWebSocketUrl(url)
    const name = groupName(channel, url, wsUrl)
    super(o.codec, o.binaryType, wsUrl)
    this.#source = url
    const handshake = o.handshake
    this.#options = { ...o, handshake: handshake && (() => handshake(this)) }
    const host = (this.#host = {
      post: (body) => this.#group?.post(body),
      // How the shared socket reaches this tab: from its own socket, or relayed by the leader.
      state: (state) => {
        this._mirror(state)
        this._announce()
      },
      event: (type, payload, state) => this._relayed(type, payload, state),
      frame: (raw) => this._receive(raw),
      drop: (messages, reason) => this._ev.emit('drop', { messages, reason }),
      drain: () => this._ev.emit('drain', {}),
      settled: () => this._runWaiters(),
      // What membership means for this tab.
      status: () => this.status,
      move: (status, close) => this._move(status, close),
      lead: (inherit) => this.#lead(inherit),
      resign: (code, reason, all, bye) => this.#resign(code, reason, all, bye),
      inherit: (queue) => this.#take(queue),
      follow: (to) => this.#relay.follow(to),
      receive: (m) => {
        this.#leader?.receive(m)
        this.#relay.receive(m)
      },
      unacknowledged: () => this.#relay.pending.size > 0,
    } satisfies RelayHost<Out> & MemberHost<Out>)
    const relay = (this.#relay = new Relay<Out>(tabId(), o.queue && o.queue.maxMessages, host))
    const g = globalThis as {
      BroadcastChannel?: BroadcastChannelConstructor
      navigator?: { locks?: LockManagerLike }
    }
    const lockManager = locks ?? g.navigator?.locks
    const Ch = Channel ?? g.BroadcastChannel
    const group = (this.#group =
      lockManager && typeof Ch === 'function'
        ? new Group<Out>(relay.id, name, lockManager, Ch, host)
        : null)
    if (group) {
      if (o.autoConnect) this.open()
      return
    }
    // Without the APIs this is a plain SteadySocket: one socket, owned by this tab, for good.
    this.#lead([])
    if (o.autoConnect) this.#leader!.sock.open()
  }

  /** In the leader, `SteadySocket.bufferedAmount`; elsewhere 0 (bytes are counted where they are written). */
  get bufferedAmount(): number {
    return this.#leader?.sock.bufferedAmount ?? 0
  }
  /** In the leader, its socket's queue; elsewhere this tab's messages no leader has acknowledged yet. */
  get queueLength(): number {
    return this.#leader?.sock.queueLength ?? this.#relay.pending.size
  }
  /** In the leader, `SteadySocket.queuedBytes`; elsewhere 0. */
  get queuedBytes(): number {
    return this.#leader?.sock.queuedBytes ?? 0
  }
  /** True while this tab owns the shared socket (always, where Web Locks or BroadcastChannel are missing). */
  get isLeader(): boolean {
    return this.#leader !== null
  }

  /** @internal */
  protected _applyBinaryType(): void {
    // The leader's socket keeps what its native socket accepts (an unknown type is ignored).
    const L = this.#leader
    if (L) this._adoptBinaryType(L.sock)
  }

  /** @internal */
  protected _reopened(): void {
    // The leader flushed its queue on open: no backpressure is known any more.
    if (!this.#leader) this.#relay.opened()
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
    if (this._disposed) {
      // Heard only by listeners still attached while dispose() runs; a no-op afterwards.
      this._ev.emit('drop', { messages: [data], reason: 'disposed' })
      return 'dropped'
    }
    const relay = this.#relay
    const L = this.#leader
    if (L) return L.sock.send({ o: relay.id, s: relay.next(), d: data })
    const to = this.#group?.leaderId ?? null
    return relay.send(data, to, this.status === 'open' && to !== null)
  }

  /** Joins the tab group if this tab left it (`close()`); else starts the shared socket if it is `closed`. */
  open(): void {
    const group = this.#group
    if (this._disposed || group?.hidden) return
    if (group && !group.joined) group.join()
    else if (this.#leader) this.#leader.sock.open()
    else group?.post({ t: 'cmd', c: 'open', code: 1000, reason: '' })
  }

  /** Reconnects the shared socket now (from any tab), resetting its backoff. */
  reconnect(code = 1000, reason = ''): void {
    validateClose(code, reason)
    const group = this.#group
    if (this._disposed || group?.hidden) return
    if (group && !group.joined) group.join()
    // The shared socket may wait in backoff: a hello only opens a closed one.
    if (this.#leader) this.#leader.sock.reconnect(code, reason)
    else group?.post({ t: 'cmd', c: 'reconnect', code, reason })
  }

  /**
   * Removes and returns this tab's queued messages (those `which` accepts, with it; no `drop`
   * event: the caller has them). In the leader, the shared queue keeps other tabs' messages. In a
   * follower, whatever it sent is already with the leader, out of reach: it returns `[]`.
   */
  clearQueue(which?: (message: Out) => boolean): Out[] {
    const L = this.#leader
    if (!L) return []
    const id = this.#relay.id
    const mine = L.sock.clearQueue((e) => e.o === id && (!which || which(e.d)))
    this._runWaiters()
    return mine.map((e) => e.d)
  }

  /**
   * Detaches this tab: it leaves the group and its status becomes `closed` at once. The shared
   * socket closes (with `code`) only when this tab is the leader; another tab then takes over.
   * Unacknowledged sends stay here until `open()`.
   */
  close(code = 1000, reason = ''): void {
    validateClose(code, reason)
    const group = this.#group
    if (!group) return this.#leader?.sock.close(code, reason)
    group.quit(code, reason)
  }

  /**
   * Resolves when everything this tab sent so far was taken by the leader and the leader's
   * socket has flushed; rejects if this tab becomes `closed` first, or on timeout.
   */
  flush(options?: { timeout?: number }): Promise<void> {
    checkTimeout('flush()', options?.timeout)
    const relay = this.#relay
    const L = this.#leader
    const id = relay.flush(L ? undefined : (this.#group?.leaderId ?? null))
    if (L) L.flush(relay.id, id)
    return this._wait(
      'flush()',
      options?.timeout,
      () => {
        const done = relay.flushes.get(id)
        if (done === null) return true
        if (done) return done
        return this.status === 'closed'
          ? new ClosedError('steadysocket: the socket closed before the flush completed')
          : false
      },
      () => relay.flushes.delete(id),
    )
  }

  /**
   * `close()`, then removes every listener; this tab's unacknowledged messages are reported
   * once in a `drop` event (`'disposed'`). Later calls do nothing.
   */
  dispose(): void {
    if (this._disposed) return
    // First: a listener of the events below can no longer rejoin or relay.
    this._disposed = true
    if (this.#group) this.close()
    else this.#leader?.sock.dispose()
    // A socket this tab led with and still closing hands over what it holds now.
    this.#leaving?.cut()
    const left = this.#relay.clear()
    if (left.length > 0) this._ev.emit('drop', { messages: left, reason: 'disposed' })
    this._released()
  }

  /** Same as `dispose()`, for `using socket = new TabSocket(url)`. */
  [Symbol.dispose](): void {
    this.dispose()
  }

  /** Gives up the lead, if this tab has it: its socket hands over, its own queued messages stay. */
  #resign(
    code: number,
    reason: string,
    all: boolean,
    bye: (queue: Envelope<Out>[]) => void,
  ): boolean {
    const L = this.#leader
    if (!L) return false
    this.#leader = null
    this.#leaving = L
    this.#relay.keep(
      L.leave(code, reason, all, (queue, mine) => {
        if (this.#leaving === L) this.#leaving = null
        // Older than what it had queued: they go first when this tab is back.
        this.#relay.keep(mine, true)
        bye(queue)
      }),
    )
    return true
  }

  /** This tab leads: it makes the socket and writes what is left to write, oldest first. */
  #lead(inherit: Envelope<Out>[]): void {
    const was = this.status
    const options = { ...this.#options, binaryType: this.binaryType }
    const L = (this.#leader = new Leader<Out>(
      this.#source,
      options,
      this.#host,
      this.#relay,
      this.#group?.seen ?? new Set(),
    ))
    // What is left to write goes in first, before any listener runs: a send() from a listener
    // of the moves below is later than everything this tab relayed before it led.
    this.#take(inherit)
    const relay = this.#relay
    relay.handOver((e) => L.take(e))
    // The leader this tab followed is gone: to this tab, a lost connection, then a reconnect.
    if (this.#group)
      this._move(was === 'open' ? 'reconnecting' : was, was === 'open' ? gone() : undefined)
    if (this.#leader !== L) return
    if (was !== 'closed') L.sock.open()
    // After open(): a closed socket's flush() would reject at once.
    relay.reask((id) => L.flush(relay.id, id))
    L.announce()
  }

  /** Writes what a leader that left handed over. */
  #take(queue: Envelope<Out>[]): void {
    const L = this.#leader
    if (L) for (const e of queue) L.take(e)
  }
}
