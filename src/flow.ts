import type { RawData } from './codec'
import type { DropReason } from './events'
import type { BackpressureOptions, QueueOptions, WebSocketLike } from './options'
import { byteLength, Queue, type Entry } from './queue'

/** What `send()` did with a message. */
export type SendResult = 'sent' | 'queued' | 'dropped'

/** What the flow needs from its socket. */
export type FlowHost<Out> = {
  drop(messages: Out[], reason: DropReason): void
  drain(): void
  /** Called on every poll tick (flush() waiters look again then). */
  tick(): void
}

// A heartbeat or handshake frame in the sent log: counted against bufferedAmount, never re-sent.
const CONTROL = Symbol('control')

// The browser has no event for "bufferedAmount went down": poll, but only while something waits.
const POLL_MS = 10

/**
 * The send path: direct writes while the native buffer is below the high-water mark, the bounded
 * queue otherwise, drain at the low-water mark, and recovery of what a dead socket never sent.
 */
export class Flow<Out> {
  /** The OPEN native socket writes go to; null while there is none. */
  ws: WebSocketLike | null = null
  /** True while the handshake runs: writes go straight to the socket, ahead of the queue. */
  direct = false
  /** flush() promises waiting; while > 0 the buffer is polled. */
  watchers = 0
  readonly queue = new Queue<Entry<Out>>()
  readonly #high: number
  readonly #low: number
  #pressure = false
  #timer: ReturnType<typeof setTimeout> | undefined
  // Messages written whose bytes may still sit in the native buffer, oldest first: slots
  // 0..logLen-1 of two parallel arrays, reused in place (the hot path must not allocate).
  #logData: (Out | typeof CONTROL)[] = []
  #logRaw: RawData[] = []
  #logLen = 0
  #logLimit = 64

  readonly #q: QueueOptions | null
  readonly #recover: boolean
  readonly #host: FlowHost<Out>

  constructor(
    q: QueueOptions | null,
    bp: BackpressureOptions | null,
    recover: boolean,
    host: FlowHost<Out>,
  ) {
    this.#q = q
    this.#recover = recover
    this.#host = host
    // Without a queue there is nowhere to hold messages back: write straight through.
    this.#high = bp && q ? bp.highWaterMark : Infinity
    this.#low = bp && q ? bp.lowWaterMark : Infinity
  }

  send(data: Out, raw: RawData): SendResult {
    const ws = this.ws
    // readyState: between a failed socket's error and close events, a write would be discarded.
    if (ws !== null && ws.readyState === 1 && (this.queue.length === 0 || this.direct)) {
      const buffered = ws.bufferedAmount
      if (buffered <= this.#high || this.direct) {
        // What the handshake sends belongs to that connection (the next one runs its own
        // handshake), so it is logged as control: counted, never re-sent.
        this.#write(ws, this.direct ? CONTROL : data, raw, buffered)
        return 'sent'
      }
      this.#engage()
    }
    return this.#enqueue(data, raw)
  }

  /** Writes a heartbeat frame; returns false when no socket is open. */
  control(raw: RawData): boolean {
    const ws = this.ws
    if (ws === null || ws.readyState !== 1) return false
    this.#write(ws, CONTROL, raw, ws.bufferedAmount)
    return true
  }

  /** Writes queued messages in order while the native buffer is at or below the high-water mark. */
  flush(): void {
    const ws = this.ws
    if (ws === null || this.direct) return
    const ttl = this.#q?.ttl ?? 0
    const now = ttl > 0 ? Date.now() : 0
    let expired: Out[] | undefined
    while (this.queue.length > 0) {
      const buffered = ws.bufferedAmount
      if (buffered > this.#high) {
        this.#engage()
        break
      }
      const e = this.queue.shift() as Entry<Out>
      if (ttl > 0 && now - e.time > ttl) (expired ??= []).push(e.data)
      else this.#write(ws, e.data, e.raw, buffered)
    }
    if (expired) this.#host.drop(expired, 'expired')
    this.#settle()
    // Still under pressure (the buffer is above the low-water mark): watch it until it drains.
    if (this.#pressure) this.poll()
  }

  /** The socket is gone: stop polling and, when asked, put its untransmitted messages back in front. */
  detach(dead: WebSocketLike | null, recover: boolean): void {
    const log = this.takeLog()
    if (recover && dead) this.requeue(log, dead.bufferedAmount)
  }

  /**
   * Stops writing to the current socket and hands over its sent log, so that what the socket
   * still holds can be put back later (see `requeue`).
   */
  takeLog(): SentLog<Out> {
    this.stopPolling()
    this.ws = null
    this.direct = false
    const log: SentLog<Out> = { data: this.#logData, raw: this.#logRaw, len: this.#logLen }
    this.#logData = []
    this.#logRaw = []
    this.#logLen = 0
    return log
  }

  /** Puts back at the front of the queue, in order, the logged messages behind the last `buffered` bytes. */
  requeue(log: SentLog<Out>, buffered: number): void {
    if (!this.#recover || buffered <= 0) return
    const now = Date.now()
    for (let i = log.len - 1, n = tailCount(log.raw, log.len, buffered); n > 0; i--, n--) {
      const data = log.data[i] as Out | typeof CONTROL
      if (data === CONTROL) continue
      const raw = log.raw[i] as RawData
      this.queue.unshift({ data, raw, bytes: byteLength(raw), time: now })
    }
  }

  /**
   * Whether a message (not a heartbeat ping) is among the logged ones behind the last `buffered`
   * bytes: what `requeue` would put back. A socket's buffer only shrinks once nothing more is
   * written to it, so `false` stays `false`.
   */
  holds(log: SentLog<Out>, buffered: number): boolean {
    if (!this.#recover) return false
    for (let i = log.len - 1, n = tailCount(log.raw, log.len, buffered); n > 0; i--, n--)
      if (log.data[i] !== CONTROL) return true
    return false
  }

  /** Removes and returns the queued messages `which` accepts (every one without it), in order. */
  clear(which?: (message: Out) => boolean): Out[] {
    const all = this.queue.drain()
    if (!which) return all.map((e) => e.data)
    let take: boolean[]
    try {
      take = all.map((e) => which(e.data))
    } catch (error) {
      for (const e of all) this.queue.push(e)
      throw error
    }
    const out: Out[] = []
    all.forEach((e, i) => (take[i] ? out.push(e.data) : this.queue.push(e)))
    return out
  }

  /** Polls the native buffer until the queue drains and no flush() waits. */
  poll(): void {
    if (this.#timer === undefined && this.ws !== null)
      this.#timer = setTimeout(this.#onTick, POLL_MS)
  }

  stopPolling(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer)
    this.#timer = undefined
  }

  #onTick = (): void => {
    this.#timer = undefined
    const ws = this.ws
    if (ws === null) return
    if (this.queue.length > 0 && ws.bufferedAmount <= this.#low) this.flush()
    else this.#settle()
    this.#host.tick()
    if (this.#pressure || this.watchers > 0) this.poll()
  }

  #engage(): void {
    this.#pressure = true
    this.poll()
  }

  /** Ends a backpressure episode with one `drain` once the queue is empty and the buffer is low. */
  #settle(): void {
    const ws = this.ws
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

  #write(ws: WebSocketLike, data: Out | typeof CONTROL, raw: RawData, buffered: number): void {
    ;(ws.send as (d: RawData) => void)(raw)
    if (!this.#recover) return
    // An empty native buffer before this write means everything logged so far was transmitted.
    let n = buffered === 0 ? 0 : this.#logLen
    this.#logData[n] = data
    this.#logRaw[n] = raw
    this.#logLen = ++n
    if (n > this.#logLimit) this.#trimLog(ws.bufferedAmount)
  }

  /** Forgets logged messages older than the last `buffered` bytes (they were transmitted). */
  #trimLog(buffered: number): void {
    const keep = tailCount(this.#logRaw, this.#logLen, buffered)
    const from = this.#logLen - keep
    const logData = this.#logData
    const logRaw = this.#logRaw
    for (let i = 0; i < keep; i++) {
      logData[i] = logData[from + i] as Out | typeof CONTROL
      logRaw[i] = logRaw[from + i] as RawData
    }
    // Release what no longer counts (old messages must not be kept alive), keeping the slots.
    for (let i = keep; i < this.#logLen; i++) logData[i] = logRaw[i] = undefined as never
    this.#logLen = keep
    this.#logLimit = Math.max(64, keep * 2)
  }

  #enqueue(data: Out, raw: RawData): SendResult {
    const q = this.#q
    if (q === null) {
      this.#host.drop([data], 'disabled')
      return 'dropped'
    }
    const bytes = byteLength(raw)
    const queue = this.queue
    const fits = () => queue.length < q.maxMessages && queue.bytes + bytes <= q.maxBytes
    if (!fits()) {
      // A message larger than the whole queue can never fit, whatever is evicted.
      if (q.overflow === 'reject' || bytes > q.maxBytes || q.maxMessages < 1) {
        this.#host.drop([data], 'overflow')
        return 'dropped'
      }
      const evicted: Out[] = []
      while (!fits()) evicted.push((queue.shift() as Entry<Out>).data)
      // Queue first, report after: a drop listener that sends must meet the queue as it now is.
      queue.push({ data, raw, bytes, time: q.ttl > 0 ? Date.now() : 0 })
      this.#pressure = true
      this.#host.drop(evicted, 'overflow')
      return 'queued'
    }
    queue.push({ data, raw, bytes, time: q.ttl > 0 ? Date.now() : 0 })
    // Every 'queued' is followed by a `drain`, also while the socket is not open: a sender that
    // waits for it after 'queued' (the upload recipe) resumes once the queue is written.
    this.#pressure = true
    return 'queued'
  }
}

/** What was written to one socket, oldest first: slots 0..len-1. */
export type SentLog<Out> = { data: (Out | typeof CONTROL)[]; raw: RawData[]; len: number }

/** How many logged messages, counted from the newest, overlap the last `buffered` bytes. */
function tailCount(raw: RawData[], len: number, buffered: number): number {
  let sum = 0
  let i = len
  while (i > 0 && sum < buffered) sum += byteLength(raw[--i] as RawData)
  return len - i
}
