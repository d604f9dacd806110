// Small statistics helpers: every figure is reported as median, min and max over repetitions.
export function median(xs) {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b)
  if (s.length === 0) return null
  const m = s.length >> 1
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2
}

/** { median, min, max, n } of the finite values (nulls when there are none). */
export function summary(xs) {
  const s = xs.filter((x) => Number.isFinite(x))
  if (s.length === 0) return { median: null, min: null, max: null, n: 0 }
  return { median: median(s), min: Math.min(...s), max: Math.max(...s), n: s.length }
}

/** Element-wise ratio of two equally long series (a round-by-round ratio). */
export const ratios = (xs, ys) => xs.map((x, i) => x / ys[i])

/** Mulberry32: a tiny seeded PRNG, so the fault schedule is the same for every library. */
export function seeded(seed) {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
