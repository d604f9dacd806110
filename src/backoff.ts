import type { CloseInfo } from './events'
import { reportLater } from './events'
import { MAX_DELAY, type ReconnectOptions } from './options'

/** How a retry delay is computed. */
export type BackoffOptions = {
  initialDelay: number
  maxDelay: number
  factor: number
  jitter: 'full' | 'none' | number
  delay?: ((attempt: number) => number) | undefined
}

/**
 * Delay before retry number `attempt` (1-based): `min(maxDelay, initialDelay × factor^(attempt−1))`,
 * then jitter: `'full'` → uniform in [0, d]; `'none'` → d; a number j → d × (1 − j·U).
 * A custom `delay(attempt)` replaces the formula (and the jitter).
 */
export function backoffDelay(attempt: number, o: BackoffOptions, random: () => number): number {
  if (o.delay) return Math.min(MAX_DELAY, Math.max(0, o.delay(attempt)))
  // An initialDelay of 0 stays 0 (0 × an overflowed factor^n would be NaN, a timer of 0 ms).
  const d = o.initialDelay && Math.min(o.maxDelay, o.initialDelay * o.factor ** (attempt - 1))
  if (o.jitter === 'none') return d
  if (o.jitter === 'full') return d * random()
  return d * (1 - o.jitter * random())
}

// Close codes after which retrying cannot help: protocol error, unsupported data, invalid
// payload, policy violation, message too big, missing extension; and a peer that does not speak
// the resumable-session protocol (PROTOCOL.md, section 8).
const NO_RETRY = [1002, 1003, 1007, 1008, 1009, 1010, 4460]

/** Whether a close is worth a retry: `shouldReconnect`, else the default close-code policy. */
export function willRetry(r: ReconnectOptions, close: CloseInfo, attempt: number): boolean {
  const custom = r.shouldReconnect
  if (custom) {
    try {
      return custom(close, { attempt }) === true
    } catch (error) {
      // The app's bug: reported, and the default policy decides.
      reportLater(error)
    }
  }
  return !NO_RETRY.includes(close.code)
}

/** The delay before retry number `attempt`; a throwing `delay` or `random` is reported. */
export function retryDelay(attempt: number, r: ReconnectOptions, random: () => number): number {
  try {
    return backoffDelay(attempt, r, random)
  } catch (error) {
    reportLater(error)
    return backoffDelay(attempt, { ...r, delay: undefined, jitter: 'none' }, Math.random)
  }
}
