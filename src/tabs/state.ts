// What a tab knows of the shared socket (from its own socket while it leads, else from the
// leader) and how it tells its listeners: every change is committed first, then announced, as
// SteadySocket's phases are.
import { SocketBase, type Snapshot } from '../base'
import type { Codec, RawData } from '../codec'
import type { DecodeError, SteadySocketError } from '../errors'
import { createEmitter, type CloseInfo, type SteadySocketEvents, type Status } from '../events'
import type { BinaryType } from '../options'
import type { Relayed, SocketState } from './protocol'

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

/** The shared socket's state in one tab, and its announcements. */
export abstract class TabState<In, Out> extends SocketBase<
  In,
  Out,
  TabSocketEvents<In, Out>,
  TabSnapshot
> {
  #status: Status = 'closed'
  #attempt = 0
  #url: string
  #protocol = ''
  #extensions = ''
  #lastClose: CloseInfo | null = null
  #lastError: SteadySocketError | null = null
  /** The shared socket's latest error: a newer one replaces this tab's own decode errors. */
  #sharedError: SteadySocketError | null = null
  /** What the last `status` and `leader` events reported. */
  #shown: Status = 'closed'
  #led = false
  #opens = 0

  constructor(codec: Codec<In, Out> | undefined, binaryType: BinaryType, url: string) {
    super(createEmitter<TabSocketEvents<In, Out>>(), codec, binaryType)
    this.#url = url
  }

  /** True while this tab owns the shared socket (always, where Web Locks or BroadcastChannel are missing). */
  abstract get isLeader(): boolean

  /** `'connecting' | 'open' | 'closing' | 'reconnecting' | 'closed'`: the shared socket's, as this tab sees it. */
  get status(): Status {
    return this.#status
  }
  /** Consecutive failed attempts of the shared socket since its last stable connection. */
  get attempt(): number {
    return this.#attempt
  }
  /** URL of the shared socket's current (or last) connection. */
  get url(): string {
    return this.#url
  }
  /** Subprotocol the server chose for the shared socket's current (or last) connection. */
  get protocol(): string {
    return this.#protocol
  }
  /** Extensions the server chose for the shared socket's current (or last) connection. */
  get extensions(): string {
    return this.#extensions
  }

  /** @internal */
  protected _fields(): Omit<TabSnapshot, 'readyState'> {
    return {
      status: this.#status,
      attempt: this.#attempt,
      url: this.#url,
      lastClose: this.#lastClose,
      lastError: this.#lastError,
      isLeader: this.isLeader,
    }
  }

  /** @internal */
  protected _decodeFailed(error: DecodeError): void {
    this.#lastError = error
    this._emitError(error)
    this._announce()
  }

  /** The shared socket opened (after `status` and `open` were told). @internal */
  protected abstract _reopened(): void

  /** Commits the shared socket's state, as this tab's own socket or the leader reported it. @internal */
  protected _mirror(s: SocketState<SteadySocketError>): void {
    this.#status = s.status
    this.#attempt = s.attempt
    this.#url = s.url
    this.#protocol = s.protocol
    this.#extensions = s.extensions
    // A close that crossed the channel is a new object each time: the same close keeps its
    // object. A leader that has seen no close yet leaves the one this tab reported (a handover).
    const c = s.lastClose
    const k = this.#lastClose
    const same = c && k && c.code === k.code && c.reason === k.reason && c.wasClean === k.wasClean
    this.#lastClose = same ? k : (c ?? k)
    const e = s.lastError
    if (e && e !== this.#sharedError) this.#lastError = this.#sharedError = e
  }

  /** A socket event (this tab's socket's, or relayed): the state it reports is committed first. @internal */
  protected _relayed(type: Relayed, payload: unknown, state: SocketState<SteadySocketError>): void {
    this._mirror(state)
    if (type === 'error') this._emitError(payload as SteadySocketError)
    else if (type === 'close') {
      const { willReconnect, ...close } = payload as SteadySocketEvents['close']
      this._emitClose(close, willReconnect)
    } else this._ev.emit(type, payload as never)
  }

  /**
   * This tab's own change (it joined, left, was hidden, or its leader went): commits `status` and
   * the close it reports, then announces them: `leader` if the lead changed, `close`, the rest.
   * @internal
   */
  protected _move(status: Status, close?: CloseInfo): void {
    this.#status = status
    if (close) this.#lastClose = close
    const led = this.isLeader
    if (led !== this.#led) {
      this.#led = led
      this._ev.emit('leader', { isLeader: led })
    }
    // Told even when a `leader` listener moved on (a fact, as SteadySocket tells it), with the
    // status as it is now: after that listener's close(), this tab will not reconnect.
    if (close) this._emitClose(close, this.#status !== 'closed')
    this._announce()
  }

  /** Tells what was committed: subscribers (once), then `status` and `open` if the status changed. @internal */
  protected _announce(): void {
    this._notify()
    const status = this.#status
    const previous = this.#shown
    if (status !== previous) {
      this.#shown = status
      this._ev.emit('status', { status, previous })
      // Every tab derives its `open` from the state: a follower's is its view of the shared
      // socket opening (also when it joins late).
      if (status === 'open' && this.#status === status) {
        this._emitOpen(this.#opens++ > 0)
        this._reopened()
      }
    }
    this._runWaiters()
  }
}
