import { describe, expect, it } from 'vitest'
import { percentile, quantile, summarize } from './stats.js'

describe('stats', () => {
  it('takes the median between the middle values and p95 by nearest rank', () => {
    const xs = Array.from({ length: 20 }, (_, i) => i + 1)
    expect(summarize(xs)).toEqual({ n: 20, min: 1, median: 10.5, p95: 19, max: 20 })
  })

  it('interpolates quartiles', () => {
    expect(quantile([1, 2, 3, 4, 5], 0.25)).toBe(2)
    expect(quantile([10, 20], 0.75)).toBe(17.5)
  })

  it('handles one value and none', () => {
    expect(summarize([7])).toEqual({ n: 1, min: 7, median: 7, p95: 7, max: 7 })
    expect(summarize([])).toBeUndefined()
    expect(percentile([], 95)).toBeNaN()
  })
})
