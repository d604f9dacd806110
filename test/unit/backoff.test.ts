import { describe, expect, test } from 'vitest'
import { backoffDelay, type BackoffOptions } from '../../src/backoff'

const base: BackoffOptions = { initialDelay: 1000, maxDelay: 10000, factor: 2, jitter: 'none' }

describe('backoffDelay', () => {
  test('grows exponentially from initialDelay', () => {
    expect([1, 2, 3, 4].map((n) => backoffDelay(n, base, () => 0.5))).toEqual([
      1000, 2000, 4000, 8000,
    ])
  })

  test('is capped at maxDelay', () => {
    expect(backoffDelay(5, base, () => 0.5)).toBe(10000)
    expect(backoffDelay(500, base, () => 0.5)).toBe(10000)
  })

  test('full jitter is uniform in [0, delay]', () => {
    const o = { ...base, jitter: 'full' as const }
    expect(backoffDelay(3, o, () => 0)).toBe(0)
    expect(backoffDelay(3, o, () => 0.25)).toBe(1000)
    expect(backoffDelay(3, o, () => 0.999)).toBeCloseTo(3996)
  })

  test('numeric jitter keeps the delay in [d·(1−j), d]', () => {
    const o = { ...base, jitter: 0.3 }
    expect(backoffDelay(2, o, () => 0)).toBe(2000)
    expect(backoffDelay(2, o, () => 1)).toBeCloseTo(1400)
    expect(backoffDelay(2, o, () => 0.5)).toBeCloseTo(1700)
  })

  test('is deterministic for the same random source', () => {
    const seq = () => {
      let x = 0.1
      return () => (x = (x * 9301 + 0.49297) % 1)
    }
    const o = { ...base, jitter: 'full' as const }
    const a = seq()
    const b = seq()
    const run = (r: () => number) => [1, 2, 3, 4, 5].map((n) => backoffDelay(n, o, r))
    expect(run(a)).toEqual(run(b))
  })

  test('a custom delay function replaces the formula and the jitter', () => {
    const o = { ...base, jitter: 'full' as const, delay: (n: number) => n * 7 }
    expect(backoffDelay(3, o, () => 0)).toBe(21)
  })

  test('factor 1 gives a constant delay', () => {
    expect(backoffDelay(9, { ...base, factor: 1 }, () => 0)).toBe(1000)
  })

  test('an initialDelay of 0 stays 0 however many attempts failed', () => {
    // 3^2500 overflows to Infinity, and 0 × Infinity is NaN: a timer of 0 ms, reported as NaN.
    expect(backoffDelay(2500, { ...base, initialDelay: 0, factor: 3 }, () => 1)).toBe(0)
  })
})
