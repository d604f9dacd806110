// Types of stats.mjs for the TypeScript tests that share its seeded generator.
export function median(xs: number[]): number | null
export function summary(xs: number[]): {
  median: number | null
  min: number | null
  max: number | null
  n: number
}
export const ratios: (xs: number[], ys: number[]) => number[]
/** Mulberry32: a tiny seeded PRNG, returning numbers in [0, 1). */
export function seeded(seed: number): () => number
