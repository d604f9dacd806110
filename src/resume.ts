import { ownFrame, type RawData } from './codec'
import type { WebSocketLike } from './options'
import { byteLength } from './queue'
import { CLOSE, PROTOCOL, decode, encodeControl, type Frame } from './resume-wire'

/** The close reason (and error message) when the server does not answer `hello` with `welcome`. */
export const UNSPOKEN = PROTOCOL + ' not spoken by the server'
/** The heartbeat's ping and pong while `resume` is on: control frames, never numbered. */
export const PING = '{"t":"ping"}'
export const PONG = '{"t":"pong"}'

/** What the session needs from its socket. */
export type ResumeHost<Out> = {
  /** `welcome` arrived: the `session` event, then the handshake. */
  welcome(id: string, resumed: boolean, unconfirmed: Out[]): void
  /** The server broke the protocol (4461) or does not speak it (4460): this connection ends. */
  fail(code: number, reason: string): void
  /** An acknowledgement made room in the buffer: the queue may go on. */
  room(): void
}

/** A message written and not yet acknowledged: kept for a replay. */
type Kept<Out> = { data: Out; raw: RawData; bytes: number }

// Acknowledgements are due after 32 messages, a quarter of the server's bound in bytes, or 100 ms
// (PROTOCOL.md, section 7): one covers many messages, and an idle receiver still answers soon.
const ACK_COUNT = 32
const ACK_MS = 100

/**
 * The client side of a resumable session (PROTOCOL.md): the greeting on every connection, the
 * numbering of what goes out and comes in, acknowledgements both ways, the bounded buffer of what
 * the server has not acknowledged and its replay. The socket owns the connection: it tells the
 * session when one opens (`hello`), hands it every inbound frame (`receive`) and writes data
 * through it (`write`); `drop` is the one place that forgets a connection.
 */
export class Resume<Out> {
  sid: string | undefined
  epoch: string | undefined
  /** Messages written and not acknowledged, oldest first; `bytes` is their payload size. */
  list: Kept<Out>[] = []
  bytes = 0
  /** Messages written in this session: the last one's number. */
  sent = 0
  /** Messages received in this session, and the count the last acknowledgement we sent said. */
  received = 0
  acked = 0
  /** Payload bytes received since the last acknowledgement we sent (roughly: UTF-16 units). */
  unackedIn = 0
  peerMax = Infinity
  /** The connection `hello` went to, until `welcome` arrives. */
  waiting: WebSocketLike | null = null
  /** The connection that speaks the protocol (after `welcome`). */
  ws: WebSocketLike | null = null
  /** The connection our `close()` sent `bye` on: its clean close confirms everything. */
  ended: WebSocketLike | null = null
  /** An acknowledgement is due: the next text frame carries it, or an ack frame ends the turn. */
  due = false
  timer: ReturnType<typeof setTimeout> | undefined

  constructor(
    readonly max: number,
    readonly host: ResumeHost<Out>,
  ) {}

  /** A connection opened: greet it; nothing else is written or delivered until `welcome`. */
  hello(ws: WebSocketLike): void {
    this.waiting = ws
    this.acked = this.received
    put(
      ws,
      encodeControl({
        t: 'hello',
        proto: PROTOCOL,
        ...(this.sid ? { sid: this.sid, epoch: this.epoch! } : {}),
        ack: this.received,
        max: this.max,
      }),
    )
  }

  /**
   * An inbound frame: returns the payload of a data frame, to deliver, or undefined when the
   * frame was the protocol's own (or the connection failed on it).
   */
  receive(raw: RawData): RawData | undefined {
    const ws = this.ws
    if (ws === null) return void (this.waiting && this.#welcome(raw))
    let data = raw
    let ack: number | undefined
    if (typeof raw === 'string') {
      if (raw[0] === ':') data = raw.slice(1)
      else {
        const f = this.#decode(raw)
        if (f === null) return
        if (f.t === 'data') {
          data = f.data as string
          ack = f.ack
        } else {
          if (f.t === 'ack') this.#acked(f.ack)
          else if (f.t === 'ping') {
            if (ws.readyState === 1) put(ws, PONG)
          }
          // The server ended the session for good: nothing more counts on this connection.
          else if (f.t === 'bye') {
            this.drop(ws)
            this.sid = undefined
          }
          return
        }
      }
    }
    const n = typeof data === 'string' ? data.length : byteLength(data)
    if (++this.received - this.acked >= ACK_COUNT || (this.unackedIn += n) >= this.peerMax / 4)
      this.#due()
    else this.timer ??= setTimeout(() => this.#due(), ACK_MS)
    if (ack !== undefined) this.#acked(ack)
    return data
  }

  /** Whether `raw` may be written now: the buffer stays within `max` (one message always fits). */
  room(raw: RawData): boolean {
    return this.bytes === 0 || this.bytes + byteLength(raw) <= this.max
  }

  /** Writes a message (text gets its header, and a due acknowledgement) and keeps it. */
  write(ws: WebSocketLike, data: Out, raw: RawData, owned: boolean): void {
    const text = typeof raw === 'string'
    const due = text && this.due
    put(ws, text ? (due ? this.received : '') + ':' + raw : raw)
    if (due) this.#ackWritten()
    const bytes = byteLength(raw)
    this.list.push({ data, raw: owned || text ? raw : ownFrame(raw), bytes })
    this.bytes += bytes
    this.sent++
  }

  /** Our `close()`: the session ends (`bye` when `ws` speaks the protocol). */
  bye(ws: WebSocketLike | null): void {
    if (ws !== null && ws === this.ws && ws.readyState === 1) {
      put(ws, '{"t":"bye"}')
      this.ended = ws
    }
    this.sid = undefined
  }

  /** `ws` closed after our `close()`: cleanly after a `bye`, the server has every message. */
  closed(ws: WebSocketLike, clean: boolean): void {
    if (clean && ws === this.ended) {
      this.list = []
      this.bytes = 0
    }
    this.ended = null
  }

  /** `ws` is gone: the next connection says with `hello` what was received. */
  drop(ws: WebSocketLike): void {
    if (ws !== this.ws && ws !== this.waiting) return
    this.ws = this.waiting = null
    this.#ackWritten()
  }

  #welcome(raw: RawData): void {
    let f: Frame | null = null
    try {
      f = typeof raw === 'string' && raw[0] === '{' ? decode(raw) : null
    } catch {
      // Another protocol, or another version of this one: not spoken.
    }
    if (f?.t !== 'welcome') return this.host.fail(CLOSE.unspoken, UNSPOKEN)
    const ws = this.waiting!
    const resumed = f.resumed
    let unconfirmed: Out[] = []
    if (resumed) {
      // Only the session of our hello resumes, and only from an acknowledgement in range.
      if (f.sid !== this.sid || !this.#acked(f.ack)) {
        if (f.sid !== this.sid) this.host.fail(CLOSE.violation, PROTOCOL + ': unknown session')
        return
      }
    } else {
      // A new session: the old one's unacknowledged messages are the application's to decide on.
      unconfirmed = this.list.map((k) => k.data)
      this.list = []
      this.bytes = this.sent = this.received = this.acked = this.unackedIn = 0
    }
    this.sid = f.sid
    this.epoch = f.epoch
    this.peerMax = f.max
    this.waiting = null
    this.ws = ws
    // The replay goes before anything else this connection carries; text gets a fresh header.
    for (const k of this.list) put(ws, typeof k.raw === 'string' ? ':' + k.raw : k.raw)
    this.host.welcome(f.sid, resumed, unconfirmed)
  }

  /** The server acknowledged messages 1 to `a`: they leave the buffer. False when out of range. */
  #acked(a: number): boolean {
    const gone = a - this.sent + this.list.length
    if (gone < 0 || a > this.sent) {
      this.host.fail(CLOSE.violation, PROTOCOL + ': invalid ack')
      return false
    }
    if (gone > 0) {
      for (const k of this.list.splice(0, gone)) this.bytes -= k.bytes
      this.host.room()
    }
    return true
  }

  #decode(raw: string): Frame | null {
    try {
      return decode(raw)
    } catch (error) {
      this.host.fail(CLOSE.violation, (error as Error).message)
      return null
    }
  }

  /** An acknowledgement is due: carried by a text frame written in this turn, else its own. */
  #due(): void {
    if (this.due) return
    this.due = true
    queueMicrotask(() => {
      const ws = this.ws
      if (!this.due || ws === null) return
      if (ws.readyState === 1) put(ws, '' + this.received)
      this.#ackWritten()
    })
  }

  #ackWritten(): void {
    this.acked = this.received
    this.unackedIn = 0
    this.due = false
    clearTimeout(this.timer)
    this.timer = undefined
  }
}

function put(ws: WebSocketLike, frame: RawData): void {
  ;(ws.send as (d: RawData) => void)(frame)
}
