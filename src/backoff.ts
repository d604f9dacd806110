import { MAX_DELAY } from './options'

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
  const d = Math.min(o.maxDelay, o.initialDelay * Math.pow(o.factor, attempt - 1))
  if (o.jitter === 'none') return d
  if (o.jitter === 'full') return d * random()
  return d * (1 - o.jitter * random())
}
