import { describe, expect, it } from 'vitest'
import { doubleAnswers, doubleUnicast, emptyAnswers, firstAnswer, longestGap, record } from './answers.js'

function answersFrom(lines: string[]) {
  const answers = emptyAnswers()
  for (const line of lines) record(answers, line)
  return answers
}

describe('client answers', () => {
  const answers = answersFrom([
    'ready 0 - 999.000',
    'u 1 a 1000.000',
    'b 1 a 1000.100',
    'u 2 a 1001.000',
    'b 2 a 1001.100',
    'u 40 b 1040.500',
    'b 40 b 1040.600',
    'b 40 a 1040.700',
    'u 41 b 1041.500',
    'sent 41 - 1042.000',
  ])

  it('finds the longest silence and who answered on either side of it', () => {
    expect(longestGap(answers, 900, 1041.5)).toEqual({
      ms: 39.5,
      from: { seq: 2, node: 'a', at: 1001 },
      to: { seq: 40, node: 'b', at: 1040.5 },
    })
  })

  it('counts a window that ends in silence up to its end', () => {
    expect(longestGap(answers, 1040, 1100).ms).toBeCloseTo(58.5)
  })

  it('counts broadcast probes answered by both nodes, by when they were answered', () => {
    expect(doubleAnswers(answers, 0, 2000)).toBe(1)
    expect(doubleAnswers(answers, 0, 1040)).toBe(0)
    expect(doubleUnicast(answers)).toBe(0)
  })

  it('keeps the number of probes sent and finds first answers', () => {
    expect(answers.sent).toBe(41)
    expect(firstAnswer(answers, 'b', 0)).toBe(1040.5)
    expect(firstAnswer(answers, 'a', 1002)).toBeUndefined()
  })
})
