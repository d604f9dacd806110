import type { RawData } from './codec'
import type { WebSocketLike } from './options'
import { byteLength } from './queue'
import { cut, noop, quietClose } from './attempt'

/** A heartbeat or handshake frame in a sent log: counted against bufferedAmount, never re-sent. */
export const CONTROL = Symbol('control')

/**
 * What was written to one socket whose bytes may still sit in its native buffer, oldest first.
 * Binary frames arrive here already copied (the flow's `ownFrame`): what recovery re-sends is what
 * was sent, whatever the caller did with its buffer since. Slots are reused in place: recording a
 * write must not allocate on the hot path.
 */
export class SentLog<Out> {
  #data: (Out | typeof CONTROL)[] = []
  #raw: RawData[] = []
  #len = 0
  #limit = 64

  /** Logs a write; `before` is the socket's bufferedAmount before it, `ws` the socket. */
  record(data: Out | typeof CONTROL, raw: RawData, before: number, ws: WebSocketLike): void {
    // An empty native buffer before this write means everything logged so far was transmitted.
    let n = before === 0 ? 0 : this.#len
    this.#data[n] = data
    this.#raw[n] = raw
    this.#len = ++n
    if (n > this.#limit) this.#trim(ws.bufferedAmount)
  }

  /** The logged messages (control frames left out) behind the last `buffered` bytes, oldest first. */
  unsent(buffered: number): { data: Out; raw: RawData }[] {
    const out: { data: Out; raw: RawData }[] = []
    for (let i = this.#len - this.#tail(buffered); i < this.#len; i++) {
      const data = this.#data[i] as Out | typeof CONTROL
      if (data !== CONTROL) out.push({ data, raw: this.#raw[i] as RawData })
    }
    return out
  }

  /**
   * Whether a message (not a control frame) is behind the last `buffered` bytes. A socket's buffer
   * only shrinks once nothing more is written to it, so `false` stays `false`.
   */
  holds(buffered: number): boolean {
    return this.unsent(buffered).length > 0
  }

  /**
   * How many logged frames, counted from the newest, overlap the last `buffered` bytes. `size`
   * may count fewer bytes than a frame has (never more): more frames are then taken, none missed.
   */
  #tail(buffered: number, size: (raw: RawData) => number = byteLength): number {
    let sum = 0
    let i = this.#len
    while (i > 0 && sum < buffered) sum += size(this.#raw[--i] as RawData)
    return this.#len - i
  }

  /** Forgets frames older than the last `buffered` bytes (they were transmitted). */
  #trim(buffered: number): void {
    const keep = this.#tail(buffered, atMostBytes)
    const from = this.#len - keep
    const data = this.#data
    const raw = this.#raw
    for (let i = 0; i < keep; i++) {
      data[i] = data[from + i] as Out | typeof CONTROL
      raw[i] = raw[from + i] as RawData
    }
    // Release what no longer counts (old messages must not be kept alive), keeping the slots.
    for (let i = keep; i < this.#len; i++) data[i] = raw[i] = undefined as never
    this.#len = keep
    this.#limit = Math.max(64, keep * 2)
  }
}

/** What recovery needs from its socket. */
export type RecoveryHost<Out> = {
  /** Puts messages back at the front of the queue, in order. */
  requeue(messages: { data: Out; raw: RawData }[]): void
  /** Nothing is left to wait for. */
  settled(): void
}

type Left<Out> = {
  ws: WebSocketLike
  log: SentLog<Out>
  /** The socket's bufferedAmount when it was settled; -1 while it may still transmit. */
  buffered: number
  timer: ReturnType<typeof setTimeout> | undefined
}

/**
 * Recovery of what sockets we stopped using never transmitted. A dead socket's buffer is final at
 * once; a socket given up on while open (heartbeat, handshake, `reconnect()`) is closing, not
 * dead, and may still transmit what it holds, so it is watched until its close event or a bound.
 * Messages go back to the front of the queue in the order they were first sent, once no socket
 * is left that may still transmit; until then the next connection waits before flushing.
 */
export class Recovery<Out> {
  #left: Left<Out>[] = []

  readonly #bound: number
  readonly #host: RecoveryHost<Out>

  /** @param bound ms to wait for an abandoned socket's close event. */
  constructor(bound: number, host: RecoveryHost<Out>) {
    this.#bound = bound
    this.#host = host
  }

  /**
   * Takes a detached socket we stop using, with what was written to it (`log`, null when nothing
   * is to be recovered): closes it, and recovers what it never transmitted.
   */
  take(ws: WebSocketLike, log: SentLog<Out> | null): void {
    const dead = ws.readyState === 3
    if (!dead) quietClose(ws)
    // Nothing but control frames (or nothing at all) left unsent: nothing to lose or duplicate.
    if (log === null || (!dead && !log.holds(ws.bufferedAmount)))
      return void (dead || cut(ws, 1000))
    const left: Left<Out> = { ws, log, buffered: -1, timer: undefined }
    const done = () => this.#done(left)
    this.#left.push(left)
    if (dead) return done()
    ws.onclose = done
    left.timer = setTimeout(done, this.#bound)
  }

  /**
   * Whether the next connection must wait before flushing: a socket given up on may still
   * transmit a message. One that has transmitted everything since is settled now.
   */
  waiting(): boolean {
    for (const left of this.#left)
      if (left.buffered < 0 && !left.log.holds(left.ws.bufferedAmount)) this.#done(left)
    return this.#left.length > 0
  }

  /** Whether a socket is still watched (flush() waits for it). */
  get pending(): boolean {
    return this.#left.length > 0
  }

  /** Settles every socket now: what each still holds goes back to the queue. */
  settle(): void {
    for (const left of this.#left) if (left.buffered < 0) this.#done(left)
  }

  /**
   * A socket's buffer is final (close event, bound, or settle): it must not transmit what goes
   * back to the queue after all. Once none is left to wait for, everything is put back in order.
   */
  #done(left: Left<Out>): void {
    if (left.buffered >= 0) return
    clearTimeout(left.timer)
    left.ws.onclose = noop
    left.buffered = left.ws.bufferedAmount
    if (left.ws.readyState !== 3) cut(left.ws, 0)
    if (this.#left.some((l) => l.buffered < 0)) return
    const all = this.#left
    this.#left = []
    // Newest socket first: each puts its messages in front of the later ones.
    for (const l of all.reverse()) this.#host.requeue(l.log.unsent(l.buffered))
    this.#host.settled()
  }
}

// A string's UTF-16 length is at most its UTF-8 byte count. Trimming by it keeps every frame that
// may still be unsent (and perhaps a few more) without encoding each string again in a burst:
// exact counting here made a logged text send about 20 times slower than an unlogged one.
function atMostBytes(raw: RawData): number {
  return typeof raw === 'string' ? raw.length : byteLength(raw)
}
