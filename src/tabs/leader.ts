// The leader's side of a tab group: owns the one real SteadySocket, writes what followers relay
// (once: ids + dedupe), routes drops back to the tab that sent them, tells every tab (its own
// first) what the socket does, and hands its queue over when it leaves.
import type { RawData } from '../codec'
import type { SteadySocketError } from '../errors'
import { reportLater, type DropReason } from '../events'
import type { SendResult } from '../flow'
import type { Normalized } from '../options'
import type { Internal, SteadySocket } from '../socket'
import { LeaderSocket } from './leader-socket'
import type { UrlSource } from '../url'
import type { Body, Envelope, Relayed, SocketState, Wire, WireError } from './protocol'
import { ownSession, type Relay } from './relay'

/** What the leader needs from its tab (its relay keeps the dedupe table and this tab's flushes). */
export type LeaderHost<Out> = {
  post(body: Body<Out>): void
  /** The socket's state changed: the tab commits it, then announces it. */
  state(state: SocketState<SteadySocketError>): void
  /** A socket event: the tab commits the state it reports, then emits it. */
  event(type: Relayed, payload: unknown, state: SocketState<SteadySocketError>): void
  /** An inbound frame, raw: every tab decodes it with its own codec, this one too. */
  frame(raw: RawData): void
  /** Messages of this tab that the socket dropped. */
  drop(messages: Out[], reason: DropReason): void
}

const RELAYED: Relayed[] = [
  'close',
  'error',
  'reconnecting',
  'stable',
  'exhausted',
  'drain',
  'session',
]

export class Leader<Out> {
  /** The group's one real socket; its messages are envelopes so drops can be routed back. */
  readonly sock: SteadySocket<RawData, Envelope<Out>>
  /** Relays that arrived while the handshake runs: they must not be written ahead of it. */
  #held: [string, number, Out][] | null = null
  /** Set by `leave()`: a flush still running then answers for nothing (the next leader is asked). */
  #left = false
  /** Set while the socket closes after `leave()`: takes what it never transmitted. */
  #handOff: ((stranded: Envelope<Out>[]) => void) | null = null
  readonly #settleWithin: number
  /** The socket's internal hooks: `stranded` is set by `leave()` only. */
  readonly #internal: Internal<RawData, Envelope<Out>>
  readonly #errors = new WeakMap<SteadySocketError, number>()
  #errorCount = 0
  readonly #offs: (() => void)[]
  readonly #h: LeaderHost<Out>
  readonly #relay: Relay<Out>
  /** Tabs heard on the channel: nothing is broadcast while there are none. */
  readonly #peers: ReadonlySet<string>

  /** @param options the tab's, normalised there; the handshake is bound to the tab. */
  constructor(
    url: UrlSource,
    options: Normalized<unknown, Out>,
    h: LeaderHost<Out>,
    relay: Relay<Out>,
    peers: ReadonlySet<string>,
  ) {
    this.#h = h
    this.#relay = relay
    this.#peers = peers
    const { codec, handshake } = options
    const internal: Internal<RawData, Envelope<Out>> = {
      options: {
        ...options,
        autoConnect: false,
        // Writes the payload as the tab's codec makes it. Never decodes: the tap takes the frames.
        codec: {
          encode: (e) => (codec ? codec.encode(e.d) : (e.d as RawData)),
          decode: (raw) => raw,
        },
        handshake:
          handshake &&
          ((socket) => {
            this.#held = []
            // The subprotocol is known since the native open, before any state is announced.
            h.state(this.#state())
            return handshake(socket)
          }),
      },
      tap: (raw) => {
        this.#cast({ t: 'msg', raw })
        h.frame(raw)
      },
    }
    this.#internal = internal
    this.#settleWithin = options.settleWithin
    const s = (this.sock = new LeaderSocket<Envelope<Out>>(url, internal))
    this.#offs = [
      s.subscribe(() => {
        // Relays that came during the handshake are written after the queue, before `open`.
        const held = this.#held
        if (held && s.status !== 'connecting') {
          this.#held = null
          for (const [from, n, d] of held) this.relay(from, n, d)
        }
        const state = this.#state()
        h.state(state)
        // A listener of this tab may have left the lead: its `bye` was its last word.
        if (!this.#left) this.#cast({ t: 'state', s: this.#wire(state) })
      }),
      s.on('drop', ({ messages, reason }) => {
        const own: Out[] = []
        const theirs = new Map<string, [number, Out][]>()
        for (const e of messages) {
          if (e.o === relay.id) own.push(e.d)
          else {
            const list = theirs.get(e.o)
            if (list) list.push([e.s, e.d])
            else theirs.set(e.o, [[e.s, e.d]])
          }
        }
        if (own.length > 0) h.drop(own, reason)
        for (const [to, m] of theirs) this.#cast({ t: 'drop', to, m, r: reason })
      }),
      ...RELAYED.map((k) =>
        s.on(k, (p: unknown) => {
          // The socket committed the state this event reports: every tab commits it first.
          const state = this.#state()
          h.event(k, k === 'session' ? ownSession(p, relay.id) : p, state)
          if (this.#left) return
          const wire = k === 'error' ? this.#wireError(p as SteadySocketError) : p
          this.#cast({ t: 'event', k, p: wire, s: this.#wire(state) })
        }),
      ),
    ]
  }

  /** Announces this tab as the leader, with the socket's state. */
  announce(): void {
    this.#h.post({ t: 'state', s: this.#wire(this.#state()) })
  }

  /** A message for the leader: a tab joined (`hello`), relayed a send, a command or a flush. */
  receive(m: Wire<Out>): void {
    const id = this.#relay.id
    switch (m.t) {
      case 'hello':
        // It gets the state; `open` opens a closed socket.
        this.announce()
        return m.open ? this.sock.open() : undefined
      case 'send':
        return m.to === id ? this.relay(m.f, m.s, m.d) : undefined
      case 'cmd':
        return m.c === 'open' ? this.sock.open() : this.sock.reconnect(m.code, m.reason)
      case 'flush':
        return m.to === id ? this.flush(m.f, m.id) : undefined
    }
  }

  /**
   * Writes message `s` of tab `from` unless it was written already (a re-send after a handover),
   * then acknowledges it with the result of `send()`.
   */
  relay(from: string, s: number, d: Out): void {
    if (this.#held) return void this.#held.push([from, s, d])
    let r: SendResult = 'sent'
    const acked = this.#relay.acked
    if (s > (acked.get(from) ?? 0)) {
      acked.set(from, s)
      try {
        r = this.sock.send({ o: from, s, d })
      } catch (error) {
        // The codec threw: a programmer error, reported here, and the sender stops waiting.
        r = 'dropped'
        reportLater(error)
      }
    }
    this.#h.post({ t: 'ack', to: from, s, r })
  }

  /**
   * Writes a message handed over (the previous leader's queue, this tab's own). It counts as
   * written for the dedupe table: a tab that re-sends it later (back from a hidden page) is only
   * acknowledged.
   */
  take(e: Envelope<Out>): void {
    const acked = this.#relay.acked
    if (e.s > (acked.get(e.o) ?? 0)) acked.set(e.o, e.s)
    this.sock.send(e)
  }

  /** `flush()` number `id` of tab `from` (this one's included); the answer goes back to it. */
  flush(from: string, id: number): void {
    const relay = this.#relay
    const answer = (e: SteadySocketError | null) => {
      if (this.#left) return
      if (from === relay.id) relay.answer(id, e)
      else this.#h.post({ t: 'flushed', to: from, id, e: e && this.#wireError(e) })
    }
    this.sock.flush().then(() => answer(null), answer)
  }

  /**
   * Leaves the lead: closes the socket, hands the messages other tabs had queued here to the next
   * leader (`bye`) and returns this tab's own queued messages. Sockets that are closing (this
   * one, or one given up on earlier, after `reconnect()`) may still transmit what they hold: the
   * `bye` waits until none may (their close events, at most `settleWithin` each, or `cut()`), and
   * carries first what they never transmitted (other tabs were told `'sent'`); this tab's own
   * such messages go to `bye` as `mine`, to be kept in front of its queued ones. With `all` (the
   * page is hidden, maybe for good) nothing waits: what this socket holds is left to its clean
   * close, and its own queued messages go in the `bye` too; the tab keeps them, and the next
   * leader's dedupe table makes a re-send a no-op.
   */
  leave(
    code: number,
    reason: string,
    all: boolean,
    bye: (q: Envelope<Out>[], mine: Envelope<Out>[]) => void,
  ): Envelope<Out>[] {
    this.#left = true
    for (const off of this.#offs) off()
    const s = this.sock
    const id = this.#relay.id
    const queued = s.clearQueue()
    const q = all ? queued : queued.filter((e) => e.o !== id)
    let timer: ReturnType<typeof setTimeout> | undefined
    let told = false
    // Told once, when the socket is closed and no socket may still transmit (maybe at once).
    this.#handOff = (stranded) => {
      this.#handOff = null
      told = true
      clearTimeout(timer)
      // What sockets given up on earlier never transmitted is back in the queue: the oldest.
      // With `all` the socket is cut at once, before its close event could say what it never
      // sent: its clean close transmits what it holds (Chromium delivered it after the tab
      // closed), so handing that over too would send it twice.
      const older = [...s.clearQueue(), ...(all ? [] : stranded)]
      const mine = all ? [] : older.filter((e) => e.o === id)
      bye([...(all ? older : older.filter((e) => e.o !== id)), ...q], mine)
      s.dispose()
    }
    this.#internal.stranded = (stranded) => this.#handOff?.(stranded)
    s.close(code, reason)
    if (all) s.dispose()
    else if (!told) timer = setTimeout(() => s.dispose(), this.#settleWithin)
    return queued.filter((e) => e.o === id)
  }

  /** The tab is disposed: a socket still closing after `leave()` is settled now. */
  cut(): void {
    if (this.#handOff) this.sock.dispose()
  }

  #cast(body: Body<Out>): void {
    if (this.#peers.size > 0) this.#h.post(body)
  }

  #state(): SocketState<SteadySocketError> {
    const s = this.sock
    return { ...s.getSnapshot(), protocol: s.protocol, extensions: s.extensions }
  }

  #wire(state: SocketState<SteadySocketError>): SocketState {
    const e = state.lastError
    return { ...state, lastError: e && this.#wireError(e) }
  }

  #wireError(e: SteadySocketError): WireError {
    let n = this.#errors.get(e)
    if (n === undefined) this.#errors.set(e, (n = ++this.#errorCount))
    return { n, name: e.name, message: e.message }
  }
}
