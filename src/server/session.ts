import { CLOSE, PROTOCOL, decode, encodeAck, encodeControl, encodeText } from '../resume-wire'
import type { Control, Payload } from '../resume-wire'
import type { Connection } from './connection'
import { Emitter } from './emitter'
import { Fifo } from './fifo'
import type { Settings } from './options'
import type { Session, SessionData, SessionEndReason, SessionEvents } from './session-types'

/** What a session needs from its server. */
export type SessionContext = {
  readonly settings: Settings
  readonly epoch: string
  /** Called once when the session ended, before its `end` event. */
  ended(session: ServerSession): void
}

type Message = { data: Payload; bytes: number }
type Hello = Extract<Control, { t: 'hello' }>

/** The protocol engine of one session (PROTOCOL.md sections 5 to 7), over any {@link Connection}. */
export class ServerSession implements Session {
  readonly id: string
  readonly #ctx: SessionContext
  readonly #events = new Emitter<SessionEvents>()
  #conn: Connection | undefined
  #ended = false
  #sent = 0
  #peerAck = 0
  #received = 0
  #ackSent = 0
  /** Payload bytes received and not yet acknowledged. */
  #owed = 0
  #peerMax = 0
  #unacked = new Fifo<Message>()
  #waiting = new Fifo<Message>()
  #needDrain = false
  #ackDue = false
  #ackTimer: NodeJS.Timeout | undefined
  #ackTurn: NodeJS.Immediate | undefined
  #expiry: NodeJS.Timeout | undefined

  constructor(id: string, ctx: SessionContext) {
    this.id = id
    this.#ctx = ctx
  }

  /** `true` once the session ended: it is never resumed. */
  get ended(): boolean {
    return this.#ended
  }
  get connected(): boolean {
    return this.#conn !== undefined
  }
  get bufferedBytes(): number {
    return this.#unacked.bytes
  }
  get queuedBytes(): number {
    return this.#waiting.bytes
  }
  on<K extends keyof SessionEvents>(type: K, fn: (payload: SessionEvents[K]) => void): () => void {
    return this.#events.on(type, fn)
  }
  once<K extends keyof SessionEvents>(
    type: K,
    fn: (payload: SessionEvents[K]) => void,
  ): () => void {
    return this.#events.once(type, fn)
  }
  off<K extends keyof SessionEvents>(type: K, fn: (payload: SessionEvents[K]) => void): void {
    this.#events.off(type, fn)
  }

  send(data: SessionData): boolean {
    const payload = toPayload(data)
    if (this.#ended) return false
    const bytes = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.byteLength
    const message = { data: payload, bytes }
    if (this.#waiting.length || !this.#fits(bytes)) this.#waiting.push(message)
    else this.#write(message)
    if (this.#room()) return true
    this.#needDrain = true
    return false
  }

  close(): void {
    if (this.#ended) return
    const conn = this.#conn
    conn?.send(encodeControl({ t: 'bye' }))
    this.#end('closed')
    conn?.close(1000, '')
  }

  /** Attaches the first connection of a new session and welcomes it. */
  start(conn: Connection, hello: Hello): void {
    this.#attach(conn, hello, false)
  }

  /**
   * Resumes on `conn` (PROTOCOL.md section 5): replaces any old connection (4462), checks the
   * hello's ack (4461 and `false` when out of range), welcomes, replays what the client lacks.
   */
  resume(conn: Connection, hello: Hello): boolean {
    const old = this.#conn
    if (old) {
      // Detached before it is closed: what it might still deliver must not count.
      this.#conn = undefined
      this.#clearAck()
      old.close(CLOSE.replaced, `${PROTOCOL}: replaced`)
    }
    if (hello.ack < this.#peerAck || hello.ack > this.#sent) {
      this.#startExpiry()
      conn.close(CLOSE.violation, `${PROTOCOL}: ack out of range`)
      return false
    }
    clearTimeout(this.#expiry)
    this.#expiry = undefined
    this.#attach(conn, hello, true)
    this.#dropAcked(hello.ack)
    // Replayed with a fresh header: the welcome just carried the acknowledgement.
    this.#unacked.forEach((m) =>
      conn.send(typeof m.data === 'string' ? encodeText(m.data) : m.data),
    )
    this.#pump()
    return true
  }

  /** A frame arrived on `conn`: ignored unless `conn` is the session's connection. */
  receive(conn: Connection, frame: Payload): void {
    if (conn !== this.#conn) return
    let f
    try {
      f = decode(frame)
    } catch (error) {
      return this.#violation((error as Error).message)
    }
    if (!f) return
    if (f.t === 'data') {
      this.#received++
      this.#owe(typeof f.data === 'string' ? Buffer.byteLength(f.data) : f.data.byteLength)
      this.#events.emit('message', typeof f.data === 'string' ? f.data : toBuffer(f.data))
      if (f.ack !== undefined && conn === this.#conn) this.#acked(f.ack)
    } else if (f.t === 'ack') this.#acked(f.ack)
    else if (f.t === 'ping') conn.send(encodeControl({ t: 'pong' }))
    else if (f.t === 'bye') {
      // The last word: what arrived before the bye is acknowledged, so the client knows that
      // none of it is unconfirmed (a clean close alone would not say it: ours may cross its).
      conn.send(encodeAck(this.#received))
      this.#end('closed')
      conn.close(1000, '')
    } else if (f.t !== 'pong') this.#violation(`${PROTOCOL}: unexpected ${f.t}`)
  }

  /** `conn` closed or died: if it was the session's, wait `window` for a resume. */
  lost(conn: Connection): void {
    if (conn !== this.#conn) return
    this.#conn = undefined
    this.#clearAck()
    this.#startExpiry()
  }

  #attach(conn: Connection, hello: Hello, resumed: boolean): void {
    this.#conn = conn
    this.#peerMax = hello.max
    const { epoch, settings } = this.#ctx
    const ack = this.#received
    const max = settings.maxBytes
    const welcome = { t: 'welcome', proto: PROTOCOL, sid: this.id, epoch, resumed, ack, max }
    conn.send(encodeControl(welcome as Control))
    this.#acknowledged()
  }

  #write(message: Message): void {
    this.#sent++
    this.#unacked.push(message)
    const conn = this.#conn
    if (!conn) return
    if (typeof message.data !== 'string') return conn.send(message.data)
    // A due acknowledgement rides on the text frame written in its turn (PROTOCOL.md section 7).
    conn.send(encodeText(message.data, this.#ackDue ? this.#received : undefined))
    if (this.#ackDue) this.#acknowledged()
  }

  /** A message of `bytes` may be written now: it fits under `maxBytes`, or it goes alone. */
  #fits(bytes: number): boolean {
    return !this.#unacked.length || this.#unacked.bytes + bytes <= this.#ctx.settings.maxBytes
  }

  #room(): boolean {
    const total = this.#unacked.bytes + this.#waiting.bytes
    return total < this.#ctx.settings.maxBytes || total === 0
  }

  /** Writes what waited for room, then tells a producer that was refused. */
  #pump(): void {
    for (let m = this.#waiting.peek(); m && this.#fits(m.bytes); m = this.#waiting.peek()) {
      this.#waiting.shift()
      this.#write(m)
    }
    if (this.#needDrain && !this.#ended && this.#room()) {
      this.#needDrain = false
      this.#events.emit('drain', undefined)
    }
  }

  #acked(ack: number): void {
    if (ack < this.#peerAck || ack > this.#sent)
      return this.#violation(`${PROTOCOL}: ack out of range`)
    this.#dropAcked(ack)
    this.#pump()
  }

  #dropAcked(ack: number): void {
    for (let n = ack - this.#peerAck; n > 0; n--) this.#unacked.shift()
    this.#peerAck = ack
  }

  /** Counts a received message towards the acknowledgement it is owed (PROTOCOL.md section 7). */
  #owe(bytes: number): void {
    const { ackMessages, ackDelay } = this.#ctx.settings
    this.#owed += bytes
    this.#ackTimer ??= setTimeout(() => {
      this.#ackTimer = undefined
      this.#ackDue = true
      this.#flushAck()
    }, ackDelay)
    if (this.#received - this.#ackSent >= ackMessages || this.#owed >= this.#peerMax / 4) {
      this.#ackDue = true
      this.#ackTurn ??= setImmediate(() => {
        this.#ackTurn = undefined
        this.#flushAck()
      })
    }
  }

  /** Writes a due acknowledgement no text frame carried. */
  #flushAck(): void {
    if (!this.#conn || !this.#ackDue) return
    this.#conn.send(encodeAck(this.#received))
    this.#acknowledged()
  }

  /** An acknowledgement of everything received was written. */
  #acknowledged(): void {
    this.#ackSent = this.#received
    this.#owed = 0
    this.#clearAck()
  }

  #clearAck(): void {
    this.#ackDue = false
    clearTimeout(this.#ackTimer)
    clearImmediate(this.#ackTurn)
    this.#ackTimer = this.#ackTurn = undefined
  }

  /** Ends the connection, not the session (4461). */
  #violation(reason: string): void {
    const conn = this.#conn
    if (!conn) return
    this.lost(conn)
    conn.close(CLOSE.violation, reason)
  }

  #startExpiry(): void {
    // unref: a session waiting for its client never keeps the process alive on its own.
    this.#expiry ??= setTimeout(() => this.#end('expired'), this.#ctx.settings.window).unref()
  }

  #end(reason: SessionEndReason): void {
    if (this.#ended) return
    this.#ended = true
    this.#conn = undefined
    this.#clearAck()
    clearTimeout(this.#expiry)
    this.#expiry = undefined
    this.#unacked = new Fifo()
    this.#waiting = new Fifo()
    this.#ctx.ended(this)
    this.#events.emit('end', reason)
    this.#events.clear()
  }
}

function toPayload(data: SessionData): Payload {
  if (typeof data === 'string' || Buffer.isBuffer(data)) return data
  if (data instanceof ArrayBuffer) return Buffer.from(data)
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength)
  throw new TypeError(
    `session.send: data must be a string, Buffer, ArrayBuffer or view, got ${typeof data}`,
  )
}

function toBuffer(data: Uint8Array): Buffer {
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength)
}
