import { describe, expect, it } from 'vitest'
import { formatDuration, parseDuration } from './duration.js'

describe('parseDuration', () => {
  it.each([
    ['10ms', 10],
    ['3s', 3000],
    ['1.5s', 1500],
    ['2m', 120_000],
    ['1h', 3_600_000],
    [' 20ms ', 20],
  ])('parses %s as %d ms', (text, ms) => {
    expect(parseDuration(text)).toEqual({ ok: true, ms })
  })

  it.each(['', '10', 'ms', '3 s', '-1s', '1d', 'fast'])('rejects %j with a hint', (text) => {
    const result = parseDuration(text)
    expect(result.ok).toBe(false)
    if (!result.ok) expect(result.reason).toMatch(/e\.g\. "20ms"/)
  })

  it('rejects fractions of a millisecond', () => {
    expect(parseDuration('0.5ms')).toEqual({
      ok: false,
      reason: '"0.5ms" is 0.5 ms; durations must be whole milliseconds',
    })
  })
})

describe('formatDuration', () => {
  it.each([
    [30, '30ms'],
    [3000, '3s'],
    [1500, '1.5s'],
    [120_000, '2m'],
    [7_200_000, '2h'],
  ])('formats %d ms as %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text)
  })

  it('round-trips through parseDuration', () => {
    for (const ms of [1, 10, 999, 1000, 1234, 60_000, 90_000]) {
      expect(parseDuration(formatDuration(ms))).toEqual({ ok: true, ms })
    }
  })
})
