// A follower's side of a tab group: what it relayed to the leader and still waits to hear about
// (sends until acknowledged, flush() calls until answered, drops reported back), and what the
// leader tells it (state, events, frames), mirrored into the tab.
import type { RawData } from '../codec'
import type { SteadySocketError } from '../errors'
import type { SendResult } from '../flow'
import type { LeaderHost } from './leader'
import { revive, type Envelope, type SocketState, type Wire, type WireError } from './protocol'

/** What the relay needs from its tab: what the leader does, plus two follower events. */
export type RelayHost<Out> = LeaderHost<Out> & {
  /** Everything this tab relayed was taken and no backpressure is left. */
  drain(): void
  /** A flush() was answered: pending promises look again. */
  settled(): void
}

export class Relay<Out> {
  /** This tab's sends that no leader has acknowledged yet, by number (so in order). */
  readonly pending = new Map<number, Out>()
  /** Highest relayed message number a leader wrote, per tab: the dedupe table after a handover. */
  readonly acked = new Map<string, number>()
  /** flush() calls by number: undefined while waiting for a leader, then null or the error. */
  readonly flushes = new Map<number, SteadySocketError | null | undefined>()
  #seq = 0
  #flushSeq = 0
  /** The leader's last acknowledgement was not 'sent' (queued or dropped), and no drain since. */
  #busy = false
  /** A relayed send() returned 'queued': a `drain` is owed once every relay is acknowledged. */
  #owe = false
  /** The current leader's state has arrived; until then its frames wait in `#early`. */
  #synced = false
  #early: RawData[] = []
  /** The last error rebuilt, and its key: the state and the `error` event get the same object. */
  #errorKey = ''
  #error: SteadySocketError | null = null
  readonly #max: number | null
  readonly #h: RelayHost<Out>

  /**
   * @param id this tab's id.
   * @param max most unacknowledged messages (`queue.maxMessages`); `null`: no queue.
   */
  constructor(
    readonly id: string,
    max: number | null,
    h: RelayHost<Out>,
  ) {
    this.#max = max
    this.#h = h
  }

  /** The number of this tab's next message (also for those its own socket writes). */
  next(): number {
    return ++this.#seq
  }

  /**
   * Relays `data` to leader `to` and keeps it until acknowledged: `'sent'` when the shared socket
   * is `open` and no backpressure is known, `'queued'` otherwise (a `drain` is owed), `'dropped'`
   * when this tab holds `max` messages already, or without a queue while not open.
   */
  send(data: Out, to: string | null, open: boolean): SendResult {
    const max = this.#max
    if (max === null ? !open : this.pending.size >= max) {
      this.#h.drop([data], max === null ? 'disabled' : 'overflow')
      return 'dropped'
    }
    const s = this.next()
    // Posted first: an uncloneable message throws here, before it is kept.
    this.#h.post({ t: 'send', to, s, d: data })
    this.pending.set(s, data)
    if (open && !this.#busy) return 'sent'
    this.#owe = true
    return 'queued'
  }

  /** A new `flush()`, asked of leader `to` (`undefined`: this tab leads, the caller asks). */
  flush(to?: string | null): number {
    const id = ++this.#flushSeq
    this.flushes.set(id, undefined)
    if (to !== undefined) this.#h.post({ t: 'flush', to, id })
    return id
  }

  /** Flush `id` is answered: its promise settles. */
  answer(id: number, error: SteadySocketError | null): void {
    if (!this.flushes.has(id)) return
    this.flushes.set(id, error)
    this.#h.settled()
  }

  /** Flushes no leader has answered: `ask` asks the next one again. */
  reask(ask: (id: number) => void): void {
    for (const [id, done] of this.flushes) if (done === undefined) ask(id)
  }

  /** A new leader: its frames wait for its state; what no leader acknowledged goes to it again. */
  follow(to: string): void {
    this.#synced = false
    this.#early = []
    for (const [s, d] of this.pending) this.#h.post({ t: 'send', to, s, d })
    this.reask((id) => this.#h.post({ t: 'flush', to, id }))
  }

  /** This tab took the lead: its unacknowledged messages go to its own socket, in order. */
  handOver(take: (e: Envelope<Out>) => void): void {
    for (const [s, d] of this.pending) take({ o: this.id, s, d })
    this.pending.clear()
  }

  /**
   * What this tab's socket still held when it left the lead: kept, as a follower's sends are
   * (`front`: older than those kept already).
   */
  keep(queued: Envelope<Out>[], front = false): void {
    if (queued.length === 0) return
    const later = front ? [...this.pending] : []
    if (front) this.pending.clear()
    for (const e of queued) this.pending.set(e.s, e.d)
    for (const [s, d] of later) this.pending.set(s, d)
  }

  /** Removes and returns what is still unacknowledged (`dispose()`). */
  clear(): Out[] {
    const left = [...this.pending.values()]
    this.pending.clear()
    return left
  }

  /** The shared socket opened: its leader flushed its queue, so no backpressure is known. */
  opened(): void {
    this.#busy = false
    this.#settle()
  }

  /** A message from the leader, or for every tab (acks feed the dedupe table). */
  receive(m: Wire<Out>): void {
    const h = this.#h
    switch (m.t) {
      case 'ack':
        if (m.s > (this.acked.get(m.to) ?? 0)) this.acked.set(m.to, m.s)
        if (m.to !== this.id || !this.pending.delete(m.s)) return
        this.#busy = m.r !== 'sent'
        return this.#settle()
      case 'drop': {
        if (m.to !== this.id) return
        const p = this.pending
        const messages = m.m.map(([s, d]) => (p.has(s) ? (p.get(s) as Out) : d))
        return h.drop(messages, m.r)
      }
      case 'flushed':
        if (m.to === this.id) this.answer(m.id, m.e && revive(m.e))
        return
      case 'msg':
        return this.#synced ? h.frame(m.raw) : void this.#early.push(m.raw)
      case 'event':
        if (m.k !== 'drain') {
          const p =
            m.k === 'error'
              ? this.#revive(m.p as WireError, m.term)
              : m.k === 'session'
                ? ownSession(m.p, this.id)
                : m.p
          return h.event(m.k, p, this.#mirror(m.s, m.term))
        }
        this.#busy = false
        return this.#settle()
      case 'state':
        h.state(this.#mirror(m.s, m.term))
        if (this.#synced) return
        // Frames that came before this leader's first state: delivered after the open it implies.
        this.#synced = true
        for (const raw of this.#early.splice(0)) h.frame(raw)
    }
  }

  /** Owes a `drain` (a send returned 'queued'): pays it once the leader took everything. */
  #settle(): void {
    if (this.#owe && !this.#busy && this.pending.size === 0) {
      this.#owe = false
      this.#h.drain()
    }
  }

  #mirror(s: SocketState, term: number): SocketState<SteadySocketError> {
    return { ...s, lastError: s.lastError && this.#revive(s.lastError, term) }
  }

  /** A leader's error, rebuilt once (the snapshot and the `error` event get the same object). */
  #revive(e: WireError, term: number): SteadySocketError {
    const key = `${term}:${e.n}`
    if (key !== this.#errorKey || !this.#error) {
      this.#errorKey = key
      this.#error = revive(e)
    }
    return this.#error
  }
}

/**
 * A `session` event of the leader's socket as one tab tells it: the unconfirmed messages of the
 * old session that this tab sent (the leader's socket holds every tab's, as envelopes).
 */
export function ownSession(p: unknown, id: string): unknown {
  const s = p as { unconfirmed: Envelope<unknown>[] }
  return { ...s, unconfirmed: s.unconfirmed.filter((e) => e.o === id).map((e) => e.d) }
}
