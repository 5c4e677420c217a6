export interface Summary {
  readonly n: number
  readonly min: number
  readonly median: number
  readonly p95: number
  readonly max: number
}

const sorted = (xs: readonly number[]) => [...xs].sort((x, y) => x - y)

/** Linear interpolation between closest ranks (R type 7), for medians and box-plot quartiles. */
export function quantile(xs: readonly number[], q: number): number {
  const s = sorted(xs)
  if (s.length === 0) return Number.NaN
  const pos = (s.length - 1) * q
  const lo = Math.floor(pos)
  const hi = Math.ceil(pos)
  return s[lo]! + (s[hi]! - s[lo]!) * (pos - lo)
}

/** Nearest rank: the smallest value at or above p percent of the runs (with 20 runs, the 19th). */
export function percentile(xs: readonly number[], p: number): number {
  const s = sorted(xs)
  if (s.length === 0) return Number.NaN
  return s[Math.max(0, Math.ceil((p / 100) * s.length) - 1)]!
}

/** min, median, p95, max; undefined for no values. */
export function summarize(xs: readonly number[]): Summary | undefined {
  if (xs.length === 0) return undefined
  const s = sorted(xs)
  return {
    n: s.length,
    min: roundMs(s[0]!),
    median: roundMs(quantile(s, 0.5)),
    p95: roundMs(percentile(s, 95)),
    max: roundMs(s.at(-1)!),
  }
}

/** Milliseconds to one decimal, as the results keep them. */
export const roundMs = (ms: number): number => Math.round(ms * 10) / 10
