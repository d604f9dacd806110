import { isShared, ownFrame, type RawData } from './codec'
import { reportLater, type DropReason } from './events'
import type { BackpressureOptions, QueueOptions, WebSocketLike } from './options'
import { byteLength, Queue, type Entry } from './queue'
import { CONTROL, SentLog } from './recovery'
import type { Resume } from './resume'

/** What `send()` did with a message. */
export type SendResult = 'sent' | 'queued' | 'dropped'

/** What the flow needs from its socket. */
export type FlowHost<Out> = {
  drop(messages: Out[], reason: DropReason): void
  drain(): void
  /** Called on every poll tick (flush() waiters look again then). */
  tick(): void
}

// The browser has no event for "bufferedAmount went down": poll, but only while something waits.
const POLL_MS = 10
// While a backlog waits for the buffer to drain (backpressure on), poll as often as timers allow
// (browsers clamp chained timers to 4 ms). Writing resumes at lowWaterMark only at a tick, and on
// loopback 256 KiB drains in about 2 ms: polled every 10 ms, a naive 64 MiB burst in 64 KiB chunks
// ran at 0.55-0.86x native (the buffer sat empty between ticks), at 1 ms 0.88-1.48x (bench burst).
const BACKLOG_POLL_MS = 1

/**
 * The send path: direct writes while the native buffer is below the high-water mark, the queue
 * otherwise, drain at the low-water mark, and the log of what each socket was given (for
 * recovery). Its state is its own: the socket tells it which native socket to write to.
 */
export class Flow<Out> {
  readonly queue = new Queue<Entry<Out>>()
  /** The OPEN native socket writes go to; null while there is none. */
  #ws: WebSocketLike | null = null
  /** True while the handshake runs: writes go straight to the socket, ahead of the queue. */
  #direct = false
  /** flush() promises waiting; while > 0 the buffer is polled. */
  #watchers = 0
  /** What was written to `#logWs`, while its bytes may still sit in its buffer. */
  #log: SentLog<Out> | null = null
  #logWs: WebSocketLike | null = null
  readonly #high: number
  readonly #low: number
  #pressure = false
  #timer: ReturnType<typeof setTimeout> | undefined

  readonly #q: QueueOptions | null
  readonly #recover: boolean
  readonly #host: FlowHost<Out>
  /** With `resume`: numbers, frames and keeps what is written, and bounds it. */
  readonly #session: Resume<Out> | null

  constructor(
    q: QueueOptions | null,
    bp: BackpressureOptions | null,
    recover: boolean,
    host: FlowHost<Out>,
    session: Resume<Out> | null,
  ) {
    this.#q = q
    // A resumable session keeps every unacknowledged message itself: it supersedes recovery.
    this.#recover = recover && !session
    this.#host = host
    this.#session = session
    // Without a queue there is nowhere to hold messages back: write straight through.
    this.#high = bp && q ? bp.highWaterMark : Infinity
    this.#low = bp && q ? bp.lowWaterMark : Infinity
  }

  /**
   * Writes `raw` now, or holds it (a copy of binary data: see `ownFrame`). A native `send()` that
   * throws on a direct write throws from here, as it would from the caller's own native call.
   */
  send(data: Out, raw: RawData): SendResult {
    const ws = this.#ws
    // readyState: between a failed socket's error and close events, a write would be discarded.
    if (ws !== null && ws.readyState === 1 && (this.queue.length === 0 || this.#direct)) {
      const buffered = ws.bufferedAmount
      const session = this.#session
      if ((buffered <= this.#high && (!session || session._room(raw))) || this.#direct) {
        // What the handshake sends belongs to that connection (the next one runs its own
        // handshake), so it is logged as control: counted, never re-sent. In a session it is a
        // message like any other.
        this.#write(ws, this.#direct && !session ? CONTROL : data, raw, buffered, false)
        return 'sent'
      }
      // A full session buffer is no backpressure episode of its own: the queue's is.
      if (buffered > this.#high) this.#engage()
    }
    return this.#enqueue(data, raw)
  }

  /** Writes a heartbeat frame; returns false when no socket is open or it refused the frame. */
  control(raw: RawData): boolean {
    const ws = this.#ws
    if (ws === null || ws.readyState !== 1) return false
    try {
      // A session's ping is a control frame of the protocol: not numbered, not kept.
      if (this.#session) (ws.send as (d: RawData) => void)(raw)
      else this.#write(ws, CONTROL, raw, ws.bufferedAmount, false)
    } catch (error) {
      reportLater(error)
      return false
    }
    return true
  }

  /**
   * Writes go to `ws` from now on (`direct`: the handshake runs, ahead of the queue). A socket
   * other than the last one starts a new log.
   */
  use(ws: WebSocketLike, direct: boolean): void {
    this.#ws = ws
    this.#direct = direct
    if (this.#recover && this.#logWs !== ws) {
      this.#log = new SentLog<Out>()
      this.#logWs = ws
    }
    if (!direct) {
      this.#flush()
      if (this.#watchers > 0) this.#poll()
    }
  }

  /** No writes until `use()` again (the socket waits for recovery); the log is kept. */
  pause(): void {
    clearTimeout(this.#timer)
    this.#timer = undefined
    this.#ws = null
    this.#direct = false
  }

  /** Stops writing to `ws` and hands over what was written to it (null: nothing to recover). */
  release(ws: WebSocketLike): SentLog<Out> | null {
    if (this.#ws === ws) this.pause()
    if (this.#logWs !== ws) return null
    const log = this.#log
    this.#log = this.#logWs = null
    return log
  }

  /** Writes queued messages in order while the native buffer is at or below the high-water mark. */
  #flush(): void {
    const ws = this.#ws
    if (ws === null || this.#direct) return
    const ttl = this.#q?.ttl ?? 0
    const now = ttl > 0 ? Date.now() : 0
    let expired: Out[] | undefined
    let refused: Out[] | undefined
    while (this.queue.length > 0) {
      const buffered = ws.bufferedAmount
      if (buffered > this.#high) {
        this.#engage()
        break
      }
      const e = this.queue.shift() as Entry<Out>
      // The session's buffer is full: its acknowledgements call pump() when there is room.
      if (this.#session?._room(e.raw) === false) {
        this.queue.unshift(e)
        break
      }
      if (ttl > 0 && now - e.time > ttl) (expired ??= []).push(e.data)
      else {
        try {
          this.#write(ws, e.data, e.raw, buffered, true)
        } catch (error) {
          // The WebSocket implementation refused this frame: nobody is left to throw to, so it
          // is reported, and the rest of the queue goes on (a throw here once left the socket
          // 'connecting' with an open native socket and the queue stuck).
          ;(refused ??= []).push(e.data)
          reportLater(error)
        }
      }
    }
    if (expired) this.#host.drop(expired, 'expired')
    if (refused) this.#host.drop(refused, 'refused')
    this.#settle()
    // Still under pressure (the buffer is above the low-water mark): watch it until it drains.
    if (this.#pressure) this.#poll()
  }

  /** Writes what the queue holds, if it can now (a session's acknowledgement made room). */
  pump(): void {
    this.#flush()
  }

  /** Puts messages back at the front of the queue, in order (recovered from a dead socket). */
  requeue(messages: { data: Out; raw: RawData }[]): void {
    const now = Date.now()
    // The array is the caller's to give away: reversed in place.
    for (const { data, raw } of messages.reverse())
      this.queue.unshift({ data, raw, bytes: byteLength(raw), time: now })
  }

  /** Removes and returns the queued messages `which` accepts (every one without it), in order. */
  clear(which?: (message: Out) => boolean): Out[] {
    const all = this.queue.drain()
    let take: boolean[]
    try {
      take = all.map((e) => !which || which(e.data))
    } catch (error) {
      for (const e of all) this.queue.push(e)
      throw error
    }
    const out: Out[] = []
    all.forEach((e, i) => (take[i] ? out.push(e.data) : this.queue.push(e)))
    return out
  }

  /** A flush() waits: the native buffer is polled until it is done; returns the "done" function. */
  watch(): () => void {
    this.#watchers++
    this.#poll()
    return () => void this.#watchers--
  }

  /** Polls the native buffer until the queue drains and no flush() waits. */
  #poll(): void {
    if (this.#timer === undefined && this.#ws !== null)
      this.#timer = setTimeout(this.#onTick, this.#pressure ? BACKLOG_POLL_MS : POLL_MS)
  }

  #onTick = (): void => {
    this.#timer = undefined
    const ws = this.#ws
    if (ws === null) return
    if (this.queue.length > 0 && ws.bufferedAmount <= this.#low) this.#flush()
    else this.#settle()
    this.#host.tick()
    if (this.#pressure || this.#watchers > 0) this.#poll()
  }

  #engage(): void {
    this.#pressure = true
    this.#poll()
  }

  /** Ends a backpressure episode with one `drain` once the queue is empty and the buffer is low. */
  #settle(): void {
    const ws = this.#ws
    if (
      this.#pressure &&
      this.queue.length === 0 &&
      ws !== null &&
      ws.bufferedAmount <= this.#low
    ) {
      this.#pressure = false
      this.#host.drain()
    }
  }

  /**
   * Writes a frame to the native socket; the recovery log keeps a copy of binary data unless the
   * frame is one already (`owned`: it comes from the queue). The native socket gets the caller's
   * own buffer, which it copies itself: handing it the log's fresh copy instead made Chromium
   * move that copy off the V8 heap first (64-byte binary sends took 4 times as long).
   */
  #write(
    ws: WebSocketLike,
    data: Out | typeof CONTROL,
    raw: RawData,
    buffered: number,
    owned: boolean,
  ): void {
    const session = this.#session
    if (session) return session._write(ws, data as Out, raw, owned)
    const log = this.#log
    const kept = owned || log === null || typeof raw === 'string' ? raw : ownFrame(raw)
    try {
      ;(ws.send as (d: RawData) => void)(raw)
    } catch (error) {
      // Chromium's send() refuses a view of shared memory (a threaded WebAssembly heap): it gets
      // a copy in ordinary memory. Checked only after a throw, off the hot path.
      if (owned || !isShared(raw)) throw error
      ;(ws.send as (d: RawData) => void)(kept === raw ? ownFrame(raw) : kept)
    }
    log?.record(data, kept, buffered, ws)
  }

  #enqueue(data: Out, raw: RawData): SendResult {
    const q = this.#q
    if (q === null) {
      this.#host.drop([data], 'disabled')
      return 'dropped'
    }
    const bytes = byteLength(raw)
    const queue = this.queue
    let evicted: Out[] | undefined
    if (queue.length >= q.maxMessages || queue.bytes + bytes > q.maxBytes) {
      // A message larger than the whole queue can never fit, whatever is evicted.
      if (q.overflow === 'reject' || bytes > q.maxBytes || q.maxMessages < 1) {
        this.#host.drop([data], 'overflow')
        return 'dropped'
      }
      evicted = []
      while (queue.length >= q.maxMessages || queue.bytes + bytes > q.maxBytes)
        evicted.push((queue.shift() as Entry<Out>).data)
    }
    queue.push({ data, raw: ownFrame(raw), bytes, time: q.ttl > 0 ? Date.now() : 0 })
    // Every 'queued' is followed by a `drain`, also while the socket is not open: a sender that
    // waits for it after 'queued' (the upload recipe) resumes once the queue is written.
    this.#pressure = true
    // Queued first, reported after: a drop listener that sends must meet the queue as it now is.
    if (evicted) this.#host.drop(evicted, 'overflow')
    return 'queued'
  }
}
