// Where every message of a model run went: each send() with its result, every write to a native
// socket, every arrival at the server, every drop event and clearQueue() return. At the end it
// says which messages were lost, duplicated or delivered out of order, and why that is allowed
// when the contract allows it.
import type { SendResult } from '../../src/index'

/** One native socket the SDK made, as the model sees it. */
export type SockRecord = {
  idx: number
  createdAt: number
  /** When the client first called `close()` on it while it was CONNECTING or OPEN. */
  closedAt: number | undefined
  /** That close came from the user's close()/dispose() (not from a reconnect, timeout or drop). */
  userClosed: boolean
}

type Delivery = { sock: number; at: number; seq: number }

/** One `send()` call and everything that became of its message. */
export type SentRecord = {
  id: string
  /** 'step' or the hook it was called from. */
  origin: string
  at: number
  /** Position in the order the SDK took messages in (at encode time with a codec, else at the call). */
  order: number | undefined
  result: SendResult | 'threw' | undefined
  /** Written while the status was not 'open': the handshake's own, never re-sent by recoverUnsent. */
  handshake: boolean
  afterDispose: boolean
  writes: { sock: number; at: number }[]
  deliveries: Delivery[]
  drops: { reason: string; at: number }[]
  clears: number[]
}

export class Ledger {
  readonly sent = new Map<string, SentRecord>()
  /** Times of the user's (or a callback's) close()/dispose() calls. */
  readonly userCloses: number[] = []
  #seq = 0
  #order = 0
  #next = 0

  constructor(
    readonly sockets: SockRecord[],
    /** How long the SDK may wait for an abandoned socket before re-sending what it held. */
    readonly bound: number,
    readonly recoverUnsent: boolean,
  ) {}

  /** A new message id and its record. */
  add(origin: string, at: number, afterDispose: boolean): SentRecord {
    const id = `u${++this.#next}`
    const record: SentRecord = {
      id,
      origin,
      at,
      order: undefined,
      result: undefined,
      handshake: false,
      afterDispose,
      writes: [],
      deliveries: [],
      drops: [],
      clears: [],
    }
    this.sent.set(id, record)
    return record
  }

  /** The SDK took the message (encoded it, or got the call without a codec). */
  commit(id: string | undefined): void {
    const r = id === undefined ? undefined : this.sent.get(id)
    if (r && r.order === undefined) r.order = this.#order++
  }

  write(id: string | undefined, sock: number, at: number): void {
    if (id !== undefined) this.sent.get(id)?.writes.push({ sock, at })
  }

  deliver(id: string | undefined, sock: number, at: number): void {
    if (id !== undefined) this.sent.get(id)?.deliveries.push({ sock, at, seq: this.#seq++ })
  }

  drop(id: string | undefined, reason: string, at: number): void {
    if (id !== undefined) this.sent.get(id)?.drops.push({ reason, at })
  }

  clear(id: string | undefined, at: number): void {
    if (id !== undefined) this.sent.get(id)?.clears.push(at)
  }

  /** What the contract's delivery rules say about this run; empty when all is well. */
  verdicts(): string[] {
    const out: string[] = []
    for (const m of this.sent.values()) {
      const reports = m.drops.length + m.clears.length
      const copies = m.deliveries.length + reports
      const where = describe(m)
      if (reports > 1) out.push(`${m.id} reported ${reports} times (${where})`)
      if (m.result === 'dropped' && m.deliveries.length > 0)
        out.push(`${m.id}: send() returned 'dropped' but it reached the server (${where})`)
      if (copies === 0 && !this.#mayBeLost(m)) out.push(`${m.id} lost silently (${where})`)
      if (copies > 1 && !this.#mayRepeat(m))
        out.push(`${m.id} delivered or reported ${copies} times (${where})`)
    }
    // First arrivals come in the order send() took the messages.
    const firsts = [...this.sent.values()]
      .filter((m) => m.deliveries.length > 0 && m.order !== undefined && !this.#orderExempt(m))
      .sort((a, b) => a.deliveries[0]!.seq - b.deliveries[0]!.seq)
    for (let i = 1; i < firsts.length; i++) {
      const a = firsts[i - 1]!
      const b = firsts[i]!
      if (a.order! > b.order!) {
        out.push(`${b.id} (sent as #${b.order}) first arrived after ${a.id} (sent as #${a.order})`)
        break
      }
    }
    return out
  }

  #sock(idx: number): SockRecord {
    return this.sockets[idx]!
  }

  /** Losses the contract allows: see the README's "nothing lost silently". */
  #mayBeLost(m: SentRecord): boolean {
    // 'dropped' is itself the report (a drop event is checked at the call); a throw was reported.
    if (m.result === 'dropped' || m.result === 'threw') return true
    // The handshake's writes belong to their connection; the next one runs its own handshake.
    if (m.handshake) return true
    // Bytes the user's own close() left in the native buffer (flush() rejects for them).
    if (m.writes.some((w) => this.#sock(w.sock).userClosed)) return true
    // Without recoverUnsent, what a dead socket held is gone: that is what the option means.
    return !this.recoverUnsent && m.writes.length > 0
  }

  /**
   * A second copy is allowed only when a socket the SDK gave up on (reconnect(), heartbeat,
   * handshake) transmitted late what was put back after the documented wait: its close event, or
   * the bound (connectTimeout). The user's close()/dispose() ends that wait too; dispose()
   * reports what is left as dropped, so a late transmission can also follow a 'disposed' drop.
   */
  #mayRepeat(m: SentRecord): boolean {
    for (const late of m.deliveries) {
      const s = this.#sock(late.sock)
      if (s.closedAt === undefined || s.userClosed || late.at < s.closedAt) continue
      const t0 = s.closedAt
      const others: number[] = [
        ...m.deliveries.filter((d) => d !== late).map((d) => this.#writtenAt(m, d.sock)),
        ...m.drops.map((d) => (d.reason === 'disposed' ? Infinity : d.at)),
        ...m.clears,
      ]
      const ok = (t: number) =>
        t >= t0 + this.bound || this.userCloses.some((c) => c >= t0 && c <= t)
      if (others.every(ok)) return true
    }
    return false
  }

  #writtenAt(m: SentRecord, sock: number): number {
    const w = m.writes.filter((x) => x.sock === sock)
    return w.length > 0 ? w[w.length - 1]!.at : -Infinity
  }

  #orderExempt(m: SentRecord): boolean {
    if (m.handshake) return true
    const first = m.deliveries[0]!
    const s = this.#sock(first.sock)
    // A late transmission by a socket closed by the user, abandoned without recoverUnsent, or
    // abandoned and read after the documented wait (the message was put back meanwhile).
    const late = s.closedAt !== undefined && first.at >= s.closedAt
    return late && (s.userClosed || !this.recoverUnsent || this.#mayRepeat(m))
  }
}

function describe(m: SentRecord): string {
  const parts = [`sent at +${m.at} from ${m.origin}: ${m.result ?? '?'}`]
  if (m.writes.length)
    parts.push(`written to ${m.writes.map((w) => `#${w.sock}@+${w.at}`).join(', ')}`)
  if (m.deliveries.length)
    parts.push(`arrived via ${m.deliveries.map((d) => `#${d.sock}@+${d.at}`).join(', ')}`)
  if (m.drops.length) parts.push(`dropped ${m.drops.map((d) => `${d.reason}@+${d.at}`).join(', ')}`)
  if (m.clears.length) parts.push(`cleared @+${m.clears.join(', +')}`)
  return parts.join('; ')
}
