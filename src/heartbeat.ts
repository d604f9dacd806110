import { toFrame, type RawData } from './codec'
import { reportLater } from './events'
import type { HeartbeatOptions } from './options'

/**
 * Pings every `interval`; when nothing at all arrives within `timeout` of the first ping not yet
 * followed by an inbound frame, calls `dead`. Inbound frames only set a flag (the message hot
 * path must not touch timers). Runs while the socket is open: `start()` and `stop()` belong to
 * the open phase.
 */
export class Heartbeat {
  /** An inbound frame arrived since the deadline was armed. */
  #rx = false
  #ticker: ReturnType<typeof setInterval> | undefined
  #deadline: ReturnType<typeof setTimeout> | undefined
  #lastTick = 0
  #armedAt = 0

  readonly #o: HeartbeatOptions
  readonly #ping: (raw: RawData) => boolean
  readonly #dead: () => void

  constructor(o: HeartbeatOptions, ping: (raw: RawData) => boolean, dead: () => void) {
    this.#o = o
    this.#ping = ping
    this.#dead = dead
  }

  /**
   * An inbound frame: proves liveness. Returns true for a pong (`isPong`), which is not a message;
   * a throwing `isPong` is reported and the frame counts as a message.
   */
  receive(raw: RawData): boolean {
    this.#rx = true
    const isPong = this.#o.isPong
    if (isPong === undefined) return false
    try {
      return isPong(raw) === true
    } catch (error) {
      reportLater(error)
      return false
    }
  }

  start(): void {
    this.stop()
    this.#lastTick = Date.now()
    this.#ticker = setInterval(this.#onTick, this.#o.interval)
  }

  stop(): void {
    if (this.#ticker !== undefined) clearInterval(this.#ticker)
    if (this.#deadline !== undefined) clearTimeout(this.#deadline)
    this.#ticker = this.#deadline = undefined
  }

  /**
   * Pings now (page shown again). A pending deadline stands, so that a tab shown again and again
   * cannot keep a dead connection alive; one already overdue was frozen with the page: a fresh one.
   */
  probe(): void {
    this.#beat(this.#deadline === undefined || Date.now() - this.#armedAt > this.#o.timeout)
  }

  #onTick = (): void => {
    const now = Date.now()
    // Timers of background tabs are throttled and a sleeping laptop runs none: a late tick
    // means the connection went unwatched for a while, so probe it afresh.
    const late = now - this.#lastTick > this.#o.interval * 2
    this.#lastTick = now
    this.#beat(late)
  }

  #beat(fresh: boolean): void {
    const m = this.#o.message
    let frame: RawData
    try {
      // Sent as send() sends a value: null, a number or false as their string form, so that the
      // frame's byte count (and the recovery that relies on it) stays a number.
      frame = toFrame(typeof m === 'function' ? m() : m)
    } catch (error) {
      // No ping, no deadline: a quiet but healthy peer must not be killed for the app's bug.
      return reportLater(error)
    }
    if (!this.#ping(frame)) return
    if (fresh || this.#deadline === undefined || this.#rx) this.#arm()
  }

  #arm(): void {
    if (this.#deadline !== undefined) clearTimeout(this.#deadline)
    this.#rx = false
    this.#armedAt = Date.now()
    this.#deadline = setTimeout(this.#onDeadline, this.#o.timeout)
  }

  #onDeadline = (): void => {
    this.#deadline = undefined
    if (this.#rx) return
    // A deadline that fires far too late was frozen with the page: frames may be queued behind
    // it, so give the connection one fresh probe instead of declaring it dead.
    if (Date.now() - this.#armedAt > this.#o.timeout * 2 + 1000) return this.#beat(true)
    this.#dead()
  }
}
