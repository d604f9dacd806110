// A tab's membership of its group: the BroadcastChannel, the Web Lock whose holder leads, the
// page events that take a tab out of the group (hidden, frozen) and back in, and the election:
// which tab leads the newest term, as heard on the channel.
import type { CloseInfo, Status } from '../events'
import type { Body, Envelope, Wire } from './protocol'

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

/** What membership needs from its tab. */
export type MemberHost<Out> = {
  /** The shared socket's status, as the tab knows it. */
  status(): Status
  /** Commits a change of the tab's own (it joined, left, lost its leader), then announces it. */
  move(status: Status, close?: CloseInfo): void
  /** This tab got the lock (or has to go alone): it leads, and writes `inherit` first. */
  lead(inherit: Envelope<Out>[]): void
  /**
   * This tab gives up the lead if it has it (`all`: its own queued messages go in the `bye` too),
   * and hands over its queue through `bye`, now or once its socket closed.
   */
  resign(code: number, reason: string, all: boolean, bye: (queue: Envelope<Out>[]) => void): boolean
  /** The previous leader's `bye` came after this tab took over: its queue is this tab's to write. */
  inherit(queue: Envelope<Out>[]): void
  /** A new leader spoke: what it has not acknowledged goes to it. */
  follow(to: string): void
  /** Any message from another tab, once the election has seen it. */
  receive(m: Wire<Out>): void
  /** Whether this tab has relayed sends no leader acknowledged yet. */
  unacknowledged(): boolean
}

/** To a follower, its leader's tab going away is a lost connection (then a reconnect, to the next). */
export const gone = (): CloseInfo => ({ code: 1006, reason: 'leader tab gone', wasClean: false })

/**
 * Checks the `channel` option (a URL provider needs one: tabs share a socket by channel), and
 * names the group's lock and channel after it, else after the socket's URL.
 */
export function groupName(channel: unknown, url: unknown, wsUrl: string): string {
  if (channel !== undefined && (typeof channel !== 'string' || channel === '')) {
    throw new TypeError(
      process.env.NODE_ENV !== 'production'
        ? 'steadysocket: option "channel" must be a non-empty string'
        : 'steadysocket: option "channel"',
    )
  }
  if (typeof url === 'function' && channel === undefined) {
    throw new TypeError(
      process.env.NODE_ENV !== 'production'
        ? 'steadysocket: a URL provider needs the "channel" option: tabs share a socket by channel'
        : 'steadysocket: option "channel"',
    )
  }
  return `steadysocket/tabs/1 ${channel ?? wsUrl}`
}

// Tab ids only need to be unique among the tabs of one browser: a counter tells apart the
// sockets of one tab, the clock and a random part tell apart tabs (and reloads).
let made = 0

/** A new id for a tab's socket. */
export function tabId(): string {
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}-${++made}`
}

export class Group<Out> {
  /** The newest leadership term this tab knows: unique per leader, and growing. */
  #term = 0
  /** The tab leading `term` (this one's id while it leads), `null` while none is known. */
  leaderId: string | null = null
  /** In the group: from `open()` (or construction) until `close()`, also while hidden. */
  joined = false
  /** The page is hidden (pagehide) or frozen: out of the group until it is shown again. */
  hidden = false
  /** Tabs heard on the channel (and not gone): a leader broadcasts only while there are some. */
  readonly seen = new Set<string>()
  /** What the last leader's `bye` handed over, for whoever leads next. */
  #inherit: Envelope<Out>[] | null = null
  /** Term of the leader this tab followed before it took the lead: that leader's `bye` is ours. */
  #prevTerm = -1
  #bc: ChannelLike | null = null
  /** A follower's channel after `close()`, still heard for a while (see #leave). */
  #linger: { bc: ChannelLike; timer: ReturnType<typeof setTimeout> } | null = null
  #abort: AbortController | null = null
  #release: (() => void) | null = null
  /** Set while this tab holds the lock and waits for the previous leader's `bye`. */
  #byeWait: (() => void) | null = null
  readonly #id: string
  readonly #name: string
  readonly #locks: LockManagerLike
  readonly #Channel: BroadcastChannelConstructor
  readonly #h: MemberHost<Out>

  /** @param name of the lock and the channel (see `groupName`). */
  constructor(
    id: string,
    name: string,
    locks: LockManagerLike,
    Channel: BroadcastChannelConstructor,
    h: MemberHost<Out>,
  ) {
    this.#id = id
    this.#name = name
    this.#locks = locks
    this.#Channel = Channel
    this.#h = h
  }

  /** Joins (`open()`): `connecting` until a leader speaks; page events are followed until `quit()`. */
  join(): void {
    this.joined = true
    this.#listen(true)
    this.#h.move('connecting')
    if (this.joined) this.#enter()
  }

  /** Quits (`close()`): this tab leaves (a leader hands over first) and is `closed` at once. */
  quit(code: number, reason: string): void {
    if (!this.joined) return
    this.joined = this.hidden = false
    this.#listen(false)
    const was = this.#h.status()
    this.#leave(code, reason)
    const connected = was === 'open' || was === 'connecting'
    this.#h.move('closed', connected ? { code, reason, wasClean: was === 'open' } : undefined)
  }

  post(body: Body<Out>): void {
    this.#bc?.postMessage({ ...body, f: this.#id, term: this.#term })
  }

  /** Enters the group: the channel, the lock request (granted: lead), a hello to the leader. */
  #enter(): void {
    // Entered already (a listener of the tab's own announcement rejoined first).
    if (this.#abort || this.leaderId === this.#id) return
    // Back before its channel closed (it waited for the leader's word, see #leave): the same
    // channel again, so that no message reaches this tab twice, through two channels.
    const linger = this.#linger
    this.#linger = null
    clearTimeout(linger?.timer)
    let bc: ChannelLike
    try {
      bc = linger?.bc ?? new this.#Channel(this.#name)
    } catch {
      // Opaque origins (sandboxed frames) have no channel: this tab goes it alone.
      return this.#lead(null)
    }
    this.#bc = bc
    if (!linger)
      bc.addEventListener('message', (e) => {
        const m = e.data as Wire<Out>
        if (this.#bc === bc) this.#receive(m)
        // After close(): what the leader says of what this tab relayed (acknowledged, or
        // dropped) is still heard (see #leave).
        else if (this.#linger?.bc === bc && (m.t === 'ack' || m.t === 'drop') && m.to === this.#id)
          this.#h.receive(m)
      })
    const ac = (this.#abort = new AbortController())
    this.#locks
      .request(
        this.#name,
        { signal: ac.signal },
        () =>
          new Promise<void>((release) => {
            const go = () => (this.#abort === ac ? this.#lead(release) : release())
            // What the previous leader posted before it left (its last acks, then its `bye`,
            // in channel order) must be read before this tab decides what is left to write: the
            // lock can be granted before they arrive. A leader that crashed says nothing: wait
            // a bounded time for it.
            if (this.leaderId === null) return void setTimeout(go, 0)
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
        this.#lead(null)
      })
    this.post({ t: 'hello', open: true })
  }

  /** Leaves the group: a leader says `bye` (with its queue), then the lock and the channel go. */
  #leave(code: number, reason: string, all = false): void {
    const bc = this.#bc
    const release = this.#release
    const say = (body: Body<Out>, term: number) => bc?.postMessage({ ...body, f: this.#id, term })
    const term = this.#term
    this.#abort?.abort()
    this.#abort = this.#release = null
    this.#bc = null
    this.leaderId = this.#inherit = null
    const follower = !this.#h.resign(code, reason, all, (q) => {
      // The lock goes after the `bye`: the next leader reads it before it writes anything.
      say({ t: 'bye', q }, term)
      release?.()
      bc?.close()
    })
    if (!follower) return
    say({ t: 'leave' }, term)
    if (!bc) return
    // A follower's last sends may be written (or dropped) already, the leader's word still on the
    // way: hear it for a bounded time, so that a message the leader wrote is not later reported
    // as dropped, and one it dropped is.
    if (!this.#h.unacknowledged()) return bc.close()
    const timer = setTimeout(() => {
      if (this.#linger?.bc !== bc) return
      this.#linger = null
      bc.close()
    }, BYE_WAIT)
    this.#linger = { bc, timer }
  }

  /** This tab got the lock (`release` gives it back), or goes alone (`null`): a new term. */
  #lead(release: (() => void) | null): void {
    this.#release = release
    this.#prevTerm = this.#term
    this.#term = Math.max(this.#term + 1, Date.now())
    this.leaderId = this.#id
    const inherit = this.#inherit
    this.#inherit = null
    // The previous leader's `bye` is read already: no later one is ours.
    if (inherit) this.#prevTerm = -1
    this.#h.lead(inherit ?? [])
  }

  #receive(m: Wire<Out>): void {
    if (m.t === 'leave' || m.t === 'bye') this.seen.delete(m.f)
    else this.seen.add(m.f)
    if (m.t === 'bye') return this.#bye(m.f, m.term, m.q)
    if (m.t === 'state' || m.t === 'msg' || m.t === 'event') {
      // Only from the leader of the newest term.
      if (this.leaderId === this.#id || m.term < this.#term) return
      if (m.term > this.#term || m.f !== this.leaderId) {
        const lost = this.leaderId !== null
        this.#term = m.term
        this.leaderId = m.f
        this.#inherit = null
        this.post({ t: 'hello', open: false })
        this.#h.follow(m.f)
        if (lost && this.#h.status() === 'open') this.#h.move('reconnecting', gone())
        // A listener of that `close` may have left the group.
        if (this.leaderId !== m.f) return
      }
    }
    this.#h.receive(m)
  }

  #bye(from: string, term: number, q: Envelope<Out>[]): void {
    if (this.leaderId === this.#id) {
      if (term === this.#prevTerm) this.#h.inherit(q)
      this.#prevTerm = -1
      return
    }
    // A tab that left and joined again knows the term but not its leader (`null`): the bye of
    // that term is still the one it must read, its own (as leader before) included.
    const other = this.leaderId !== null && from !== this.leaderId
    if (term < this.#term || (term === this.#term && other)) return
    this.#term = term
    this.leaderId = null
    this.#inherit = q.length > 0 ? q : null
    this.#byeWait?.()
    // Until the next leader speaks, this tab waits to reconnect.
    const was = this.#h.status()
    const close = { code: 1001, reason: 'leader tab left', wasClean: false }
    if (was !== 'closed') this.#h.move('reconnecting', was === 'open' ? close : undefined)
  }

  /**
   * The page is going away or being frozen: leave the group now, while this tab still runs, so
   * that a leader hands over (its own queue included: the page may not come back) instead of
   * acknowledging messages its dying socket will never send. Back when the page is shown again.
   */
  readonly #suspend = (): void => {
    if (!this.joined || this.hidden) return
    this.hidden = true
    const was = this.#h.status()
    this.#leave(1000, 'tab hidden', true)
    const close = { code: 1000, reason: 'tab hidden', wasClean: true }
    this.#h.move(was === 'closed' ? was : 'reconnecting', was === 'open' ? close : undefined)
  }

  readonly #wake = (): void => {
    if (!this.joined || !this.hidden) return
    this.hidden = false
    if (this.#h.status() !== 'closed') this.#h.move('connecting')
    if (this.joined && !this.hidden) this.#enter()
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
}

/** ms a tab given the lock waits for the previous leader's `bye` (a crashed leader sends none). */
const BYE_WAIT = 150
