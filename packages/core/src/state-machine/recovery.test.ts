import { describe, expect, it } from 'vitest'
import { recoveryDecision } from './recovery.js'

describe('what a restarted agent does with a checklist the last run did not finish', () => {
  it.each([
    // action, reached, every address present now, decision, steps left
    ['acquire', 'armed', false, 'forget', []],
    ['acquire', 'armed', true, 'finished', ['announce', 'PostAcq', 'notify']],
    ['acquire', 'started', false, 'rolled-back', []],
    ['acquire', 'started', true, 'finished', ['announce', 'PostAcq', 'notify']],
    ['acquire', 'changed', true, 'finished', ['announce', 'PostAcq', 'notify']],
    ['acquire', 'changed', false, 'rolled-back', []],
    ['release', 'started', true, 'rolled-back', []],
    ['release', 'started', false, 'rolled-back', []],
    ['release', 'changed', false, 'finished', ['PostRel', 'notify']],
    ['release', 'changed', true, 'rolled-back', []],
  ] as const)('%s reached %s, complete %s: %s', (action, reached, complete, kind, steps) => {
    const decision = recoveryDecision({ action, reached }, complete)
    expect(decision.kind).toBe(kind)
    expect(decision.kind === 'finished' ? decision.steps : []).toEqual(steps)
  })

  it('says why, in words an administrator reads in checklist-recovered', () => {
    expect(recoveryDecision({ action: 'release', reached: 'started' }, true)).toEqual({
      kind: 'rolled-back',
      reason: 'the addresses are still held; the release will be decided again',
    })
  })
})
