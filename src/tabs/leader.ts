// The leader's side of a tab group: owns the one real SteadySocket, writes what followers relay
// (once: ids + dedupe), routes drops back to the tab that sent them, tells followers everything
// the socket does, and hands its queue over when it leaves.
import type { Codec, RawData } from '../codec'
import type { SteadySocketError } from '../errors'
import { call, type DropReason, type SteadySocketEvents } from '../events'
import type { SendResult } from '../flow'
import { SteadySocket, type Snapshot, type SteadySocketOptions } from '../socket'
import type { UrlSource } from '../url'
import type { Body, Envelope, Relayed, WireError, WireState } from './protocol'

/** What the leader needs from its tab. */
export type LeaderHost<In, Out> = {
  /** This tab's id. */
  readonly id: string
  /** Highest relayed message number written (or dropped) per sending tab: the dedupe table. */
  readonly acked: Map<string, number>
  post(body: Body<Out>): void
  state(snap: Snapshot): void
  event<K extends Relayed>(type: K, payload: SteadySocketEvents<In, Out>[K]): void
  message(data: In, raw: RawData): void
  /** Messages of this tab that the socket dropped. */
  drop(messages: Out[], reason: DropReason): void
}

/** The socket options a leader passes on; `codec` and `handshake` are wrapped. */
export type LeaderOptions<In, Out> = Omit<SteadySocketOptions<In, Out>, 'handshake' | 'codec'> & {
  codec?: Codec<In, Out> | undefined
  handshake?: (() => void | Promise<void>) | undefined
}

const RELAYED: Relayed[] = [
  'open',
  'close',
  'error',
  'reconnecting',
  'stable',
  'exhausted',
  'drain',
]

export class Leader<In, Out> {
  /** The group's one real socket; its messages are envelopes so drops can be routed back. */
  readonly sock: SteadySocket<In, Envelope<Out>>
  /** Tabs heard from since this tab took the lead: nothing is broadcast while there are none. */
  readonly peers = new Set<string>()
  /** Relays that arrived while the handshake runs: they must not be written ahead of it. */
  #held: [string, number, Out][] | null = null
  #raw: RawData = ''
  readonly #errors = new WeakMap<SteadySocketError, number>()
  #errorCount = 0
  readonly #offs: (() => void)[]
  readonly #h: LeaderHost<In, Out>

  constructor(url: UrlSource, options: LeaderOptions<In, Out>, h: LeaderHost<In, Out>) {
    this.#h = h
    const { codec, handshake } = options
    const s = (this.sock = new SteadySocket<In, Envelope<Out>>(url, {
      ...options,
      autoConnect: false,
      codec: {
        encode: (e) => (codec ? codec.encode(e.d) : (e.d as RawData)),
        decode: (raw) => {
          // Followers decode the raw frame themselves (each with its own codec and errors).
          this.#raw = raw
          this.#cast({ t: 'msg', raw })
          return codec ? codec.decode(raw) : (raw as In)
        },
      },
      handshake:
        handshake &&
        (() => {
          this.#held = []
          return handshake()
        }),
    }))
    this.#offs = [
      s.subscribe(() => {
        const snap = s.getSnapshot()
        h.state(snap)
        this.#cast({ t: 'state', s: this.#wireState(snap) })
      }),
      s.on('status', ({ status }) => {
        const held = this.#held
        if (held && status !== 'connecting') {
          this.#held = null
          for (const [from, n, d] of held) this.relay(from, n, d)
        }
      }),
      s.on('message', (data) => h.message(data, this.#raw)),
      s.on('drop', ({ messages, reason }) => {
        const own: Out[] = []
        const theirs = new Map<string, [number, Out][]>()
        for (const e of messages) {
          if (e.o === h.id) own.push(e.d)
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
        s.on(k, (p: SteadySocketEvents<In, Envelope<Out>>[typeof k]) => {
          h.event(k, p as SteadySocketEvents<In, Out>[typeof k])
          // A follower derives `open` from the state, and reports its own decode errors.
          if (k === 'error') {
            if ((p as SteadySocketError).name !== 'DecodeError')
              this.#cast({ t: 'event', k, p: this.#wireError(p as SteadySocketError) })
          } else if (k !== 'open') this.#cast({ t: 'event', k, p })
        }),
      ),
    ]
  }

  /** Announces this tab as the leader, with the socket's state. */
  announce(): void {
    this.#h.post({ t: 'state', s: this.#wireState(this.sock.getSnapshot()) })
  }

  /** A follower joined (or met this leader): it gets the state; `open` opens a closed socket. */
  hello(from: string, open: boolean): void {
    this.peers.add(from)
    this.announce()
    if (open) this.sock.open()
  }

  /**
   * Writes message `s` of tab `from` unless it was written already (a re-send after a handover),
   * then acknowledges it with the result of `send()`.
   */
  relay(from: string, s: number, d: Out): void {
    this.peers.add(from)
    if (this.#held) return void this.#held.push([from, s, d])
    let r: SendResult = 'sent'
    const acked = this.#h.acked
    if (s > (acked.get(from) ?? 0)) {
      acked.set(from, s)
      try {
        r = this.sock.send({ o: from, s, d })
      } catch (error) {
        // The codec threw: a programmer error, reported here, and the sender stops waiting.
        r = 'dropped'
        call(() => {
          throw error
        }, undefined)
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
    const acked = this.#h.acked
    if (e.s > (acked.get(e.o) ?? 0)) acked.set(e.o, e.s)
    this.sock.send(e)
  }

  /** `flush()` for a follower; the answer goes back on the channel. */
  flush(from: string, id: number): void {
    this.peers.add(from)
    this.sock.flush().then(
      () => this.#h.post({ t: 'flushed', to: from, id, e: null }),
      (e: SteadySocketError) => this.#h.post({ t: 'flushed', to: from, id, e: this.#wireError(e) }),
    )
  }

  /**
   * Leaves the lead: hands the messages other tabs had queued here to the next leader (`bye`),
   * closes the socket and returns this tab's own queued messages. With `all` (the page is hidden,
   * maybe for good) its own go in the `bye` too; the tab keeps them, and the next leader's dedupe
   * table makes a later re-send of them a no-op.
   */
  leave(code: number, reason: string, all = false): Envelope<Out>[] {
    for (const off of this.#offs) off()
    const s = this.sock
    const queued = s.clearQueue()
    this.#h.post({ t: 'bye', q: all ? queued : queued.filter((e) => e.o !== this.#h.id) })
    s.close(code, reason)
    s.dispose()
    return queued.filter((e) => e.o === this.#h.id)
  }

  #cast(body: Body<Out>): void {
    if (this.peers.size > 0) this.#h.post(body)
  }

  #wireState(snap: Snapshot): WireState {
    const { status, attempt, url, lastClose, lastError } = snap
    const { protocol, extensions } = this.sock
    return {
      status,
      attempt,
      url,
      protocol,
      extensions,
      lastClose,
      lastError: lastError && this.#wireError(lastError),
    }
  }

  #wireError(e: SteadySocketError): WireError {
    let n = this.#errors.get(e)
    if (n === undefined) this.#errors.set(e, (n = ++this.#errorCount))
    const w: WireError = { n, name: e.name, message: e.message }
    if ('data' in e) w.data = e.data
    return w
  }
}
