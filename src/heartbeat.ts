import { toFrame, type RawData } from './codec'
import { reportLater } from './events'
import type { HeartbeatOptions } from './options'

/**
 * Pings every `interval`; when nothing at all arrives within `timeout` of the first ping not yet
 * followed by an inbound frame, calls `dead`. Inbound frames only set a flag (the message hot
 * path must not touch timers). Runs while the socket is open: `start()` and `stop()` belong to
 * the open phase. Its state lives in the constructor's closure (shorter than private fields).
 */
export class Heartbeat {
  /**
   * An inbound frame: proves liveness. Returns true for a pong (`isPong`), which is not a message;
   * a throwing `isPong` is reported and the frame counts as a message.
   */
  declare readonly receive: (raw: RawData) => boolean
  declare readonly start: () => void
  declare readonly stop: () => void
  /**
   * Pings now (page shown again). A pending deadline stands, so that a tab shown again and again
   * cannot keep a dead connection alive; one already overdue was frozen with the page: a fresh one.
   */
  declare readonly probe: () => void

  constructor(o: HeartbeatOptions, ping: (raw: RawData) => boolean, dead: () => void) {
    /** An inbound frame arrived since the deadline was armed. */
    let rx = false
    let ticker: ReturnType<typeof setInterval> | undefined
    let deadline: ReturnType<typeof setTimeout> | undefined
    let lastTick = 0
    let armedAt = 0

    const beat = (fresh: boolean): void => {
      const m = o.message
      let frame: RawData
      try {
        // Sent as send() sends a value: null, a number or false as their string form, so that the
        // frame's byte count (and the recovery that relies on it) stays a number.
        frame = toFrame(typeof m === 'function' ? m() : m)
      } catch (error) {
        // No ping, no deadline: a quiet but healthy peer must not be killed for the app's bug.
        return reportLater(error)
      }
      if (ping(frame) && (fresh || deadline === undefined || rx)) {
        clearTimeout(deadline)
        rx = false
        armedAt = Date.now()
        deadline = setTimeout(() => {
          deadline = undefined
          if (rx) return
          // A deadline that fires far too late was frozen with the page: frames may be queued
          // behind it, so give the connection one fresh probe instead of declaring it dead.
          if (Date.now() - armedAt > o.timeout * 2 + 1000) return beat(true)
          dead()
        }, o.timeout)
      }
    }
    const stop = (): void => {
      clearInterval(ticker)
      clearTimeout(deadline)
      ticker = deadline = undefined
    }

    Object.assign(this, {
      receive(raw: RawData): boolean {
        rx = true
        const isPong = o.isPong
        if (isPong === undefined) return false
        try {
          return isPong(raw) === true
        } catch (error) {
          reportLater(error)
          return false
        }
      },
      start(): void {
        stop()
        lastTick = Date.now()
        ticker = setInterval(() => {
          const now = Date.now()
          // Timers of background tabs are throttled and a sleeping laptop runs none: a late tick
          // means the connection went unwatched for a while, so probe it afresh.
          const late = now - lastTick > o.interval * 2
          lastTick = now
          beat(late)
        }, o.interval)
      },
      stop,
      probe: () => beat(deadline === undefined || Date.now() - armedAt > o.timeout),
    })
  }
}
