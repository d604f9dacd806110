import { TimeoutError } from './errors'
import { MAX_DELAY } from './options'

/** Throws a `TypeError` for a `timeout` that is not a non-negative number of ms. */
export function checkTimeout(what: string, timeout: unknown): void {
  if (timeout !== undefined && !(typeof timeout === 'number' && timeout >= 0)) {
    throw new TypeError(
      process.env.NODE_ENV !== 'production'
        ? `steadysocket: ${what} timeout must be a non-negative number of ms, got ${String(timeout)}`
        : `steadysocket: ${what} timeout`,
    )
  }
}

/**
 * A promise that `check` settles (`true`: resolve; an error: reject; `false`: not yet), run now
 * and again whenever the owner runs its `waiters`. `timeout` ms: a `TimeoutError`; `0`: `check`
 * decides now; beyond the timer limit (`Infinity` included), where a timer would fire at once: none.
 * `cleanup` runs once it settles.
 */
export function waitFor(
  waiters: Set<() => void>,
  what: string,
  timeout: number | undefined,
  check: () => boolean | Error,
  cleanup?: () => void,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let timer: ReturnType<typeof setTimeout> | undefined
    const done = () => {
      waiters.delete(run)
      clearTimeout(timer)
      cleanup?.()
    }
    const expire = () => {
      done()
      reject(
        new TimeoutError(
          `steadysocket: ${what} timed out` +
            (process.env.NODE_ENV !== 'production' ? ` after ${timeout} ms` : ''),
        ),
      )
    }
    const run = () => {
      const result = check()
      if (result === false) return
      done()
      if (result === true) resolve()
      else reject(result)
    }
    waiters.add(run)
    run()
    if (!waiters.has(run) || timeout === undefined || timeout > MAX_DELAY) return
    if (timeout === 0) expire()
    else timer = setTimeout(expire, timeout)
  })
}
