import { ownFrame, type RawData } from './codec'
import type { WebSocketLike } from './options'
import { byteLength } from './queue'
import { CLOSE, PROTOCOL } from './resume-wire'

/** The close reason (and error message) when the server does not answer `hello` with `welcome`. */
export const UNSPOKEN = PROTOCOL + ' not spoken by the server'
/** The heartbeat's ping and pong while `resume` is on: control frames, never numbered. */
export const PING = '{"t":"ping"}'
export const PONG = '{"t":"pong"}'

/** What the session needs from its socket. */
export type ResumeHost<Out> = {
  /** `welcome` arrived: the `session` event, then the handshake. */
  _welcome(session: { id: string; resumed: boolean; unconfirmed: Out[] }): void
  /** The server broke the protocol (4461) or does not speak it (4460): this connection ends. */
  _fail(code: number, reason: string): void
  /** An acknowledgement made room in the buffer: the queue may go on. */
  _room(): void
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
  _sid: string | undefined
  _epoch: string | undefined
  /** Messages written and not acknowledged, oldest first; `bytes` is their payload size. */
  _list: Kept<Out>[] = []
  bytes = 0
  /** Messages written in this session: the last one's number. */
  _sent = 0
  /** Messages received in this session, and the count the last acknowledgement we sent said. */
  _received = 0
  _acked = 0
  /** Payload bytes received since the last acknowledgement we sent. */
  _unackedIn = 0
  _peerMax = Infinity
  /** The connection `hello` went to, until `welcome` arrives. */
  _waiting: WebSocketLike | null = null
  /** The connection that speaks the protocol (after `welcome`). */
  _ws: WebSocketLike | null = null
  /** An acknowledgement is due: the next text frame carries it, or an ack frame ends the turn. */
  _due = false
  _timer: ReturnType<typeof setTimeout> | undefined

  constructor(
    readonly _max: number,
    readonly _host: ResumeHost<Out>,
  ) {}

  /** A connection opened: greet it; nothing else is written or delivered until `welcome`. */
  _hello(ws: WebSocketLike): void {
    this._waiting = ws
    // JSON leaves out the undefined sid and epoch of a first connection.
    put(
      ws,
      JSON.stringify({
        t: 'hello',
        proto: PROTOCOL,
        sid: this._sid,
        epoch: this._epoch,
        // Without a session, nothing received counts (frames a closing connection still
        // delivered after our bye included).
        ack: this._sid ? this._received : 0,
        max: this._max,
      }),
    )
  }

  /**
   * An inbound frame (PROTOCOL.md, section 3): returns the payload of a data frame, to deliver,
   * or undefined when the frame was the protocol's own (or the connection failed on it). The
   * server's frames are read leniently here, by what the client needs; src/resume-wire.ts is the
   * strict reader the server uses.
   */
  _receive(raw: RawData): RawData | undefined {
    const ws = this._ws
    if (ws === null) return void (this._waiting && this.#welcome(raw))
    let data = raw
    let ack: number | undefined
    if (typeof raw === 'string' && raw[0] !== ':') {
      const digits = /^\d+/.exec(raw)?.[0]
      if (digits) {
        ack = +digits
        // An ack frame: nothing after the digits.
        if (digits === raw) return void this.#acked(ack)
        if (raw[digits.length] !== ':') return void this.#fail('invalid frame')
      } else {
        const c = this.#control(raw)
        if (c?.t === 'ping') {
          if (ws.readyState === 1) put(ws, PONG)
        } else if (c?.t === 'bye') {
          // The server ended the session for good: nothing more counts on this connection.
          this._drop()
          this.#end()
        }
        return
      }
    }
    if (typeof data === 'string') data = data.slice(data.indexOf(':') + 1)
    if (
      ++this._received - this._acked >= ACK_COUNT ||
      (this._unackedIn += byteLength(data)) >= this._peerMax / 4
    )
      this.#due()
    else this._timer ??= setTimeout(() => this.#due(), ACK_MS)
    if (ack !== undefined) this.#acked(ack)
    return data
  }

  /** Whether `raw` may be written now: the buffer stays within `max` (one message always fits). */
  _room(raw: RawData): boolean {
    return this.bytes === 0 || this.bytes + byteLength(raw) <= this._max
  }

  /** Writes a message (text gets its header, and a due acknowledgement) and keeps it. */
  _write(ws: WebSocketLike, data: Out, raw: RawData, owned: boolean): void {
    const text = typeof raw === 'string'
    const due = text && this._due
    put(ws, text ? (due ? this._received : '') + ':' + raw : raw)
    if (due) this.#ackWritten()
    const bytes = byteLength(raw)
    this._list.push({ data, raw: owned || text ? raw : ownFrame(raw), bytes })
    this.bytes += bytes
    this._sent++
  }

  /** Our `close()`: the session ends (`bye` when `ws` speaks the protocol). */
  _bye(ws: WebSocketLike | null): void {
    // The server acknowledges what it got before it closes: until then every message stays
    // unconfirmed (a clean close alone would not prove it read them).
    if (ws !== null && ws === this._ws && ws.readyState === 1) put(ws, '{"t":"bye"}')
    this.#end()
  }

  /**
   * The session is over: the next hello asks for a new one, naming no session or epoch (the
   * unacknowledged messages stay, to be reported as unconfirmed).
   */
  #end(): void {
    this._sid = this._epoch = undefined
  }

  /**
   * The connection is gone (the socket's phase let go of it): the next one says with `hello`
   * what was received, so no acknowledgement is owed any more.
   */
  _drop(): void {
    this._ws = this._waiting = null
    this.#ackWritten()
  }

  #welcome(raw: RawData): void {
    // Anything but a welcome of this protocol: an echo of the hello, a greeting, another version.
    // (Binary data parses as no JSON at all.)
    const f = this.#control(raw as string, true)
    if (f?.t !== 'welcome' || f.proto !== PROTOCOL || typeof f.sid !== 'string')
      return this._host._fail(CLOSE.unspoken, UNSPOKEN)
    const ws = this._waiting!
    const resumed = f.resumed === true
    let unconfirmed: Out[] = []
    if (resumed) {
      // Only the session of our hello resumes, and only from an acknowledgement in range.
      if (!this.#acked(f.ack as number, f.sid !== this._sid)) return
    } else {
      // A new session: the old one's unacknowledged messages are the application's to decide on.
      unconfirmed = this._list.map((k) => k.data)
      this._list = []
      this.bytes = this._sent = this._received = this._acked = this._unackedIn = 0
    }
    this._sid = f.sid
    this._epoch = f.epoch as string
    this._peerMax = f.max as number
    this._waiting = null
    this._ws = ws
    // The replay goes before anything else this connection carries; text gets a fresh header.
    for (const k of this._list) put(ws, typeof k.raw === 'string' ? ':' + k.raw : k.raw)
    this._host._welcome({ id: f.sid, resumed, unconfirmed })
  }

  /**
   * The server acknowledged messages 1 to `a`: they leave the buffer. False (the connection
   * fails) when `a` is out of range, or the welcome resumes a session we did not ask for (`bad`).
   */
  #acked(a: number, bad?: boolean): boolean {
    const gone = a - this._sent + this._list.length
    // Written so that NaN (a malformed ack) fails too.
    if (bad || !(gone >= 0 && a <= this._sent)) {
      this.#fail('invalid ack')
      return false
    }
    if (gone > 0) {
      for (const k of this._list.splice(0, gone)) this.bytes -= k.bytes
      this._host._room()
    }
    return true
  }

  /** A control frame: a JSON object with a string `t` (else a violation, or before welcome null). */
  #control(raw: string, quiet?: boolean): Record<string, unknown> | null {
    try {
      const c = JSON.parse(raw) as Record<string, unknown> | null
      if (typeof c?.t === 'string') return c
    } catch {
      // Not JSON: below.
    }
    if (!quiet) this.#fail('invalid frame')
    return null
  }

  #fail(what: string): void {
    this._host._fail(CLOSE.violation, PROTOCOL + ': ' + what)
  }

  /** An acknowledgement is due: carried by a text frame written in this turn, else its own. */
  #due(): void {
    if (this._due) return
    this._due = true
    queueMicrotask(() => {
      const ws = this._ws
      if (!this._due || ws === null) return
      if (ws.readyState === 1) put(ws, '' + this._received)
      this.#ackWritten()
    })
  }

  #ackWritten(): void {
    this._acked = this._received
    this._unackedIn = 0
    this._due = false
    clearTimeout(this._timer)
    this._timer = undefined
  }
}

function put(ws: WebSocketLike, frame: RawData): void {
  ;(ws.send as (d: RawData) => void)(frame)
}
