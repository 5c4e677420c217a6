import { describe, expect, it } from 'vitest'
import { recoveryDecision } from './recovery.js'

describe('what a restarted agent does with a checklist the last run did not finish', () => {
  it.each([
    // action, reached, every address present now, decision, steps left, PreAcq undone
    ['acquire', 'armed', false, 'forget', [], false],
    ['acquire', 'armed', true, 'finished', ['announce', 'PostAcq', 'notify'], false],
    ['acquire', 'started', false, 'rolled-back', [], false],
    ['acquire', 'started', true, 'finished', ['announce', 'PostAcq', 'notify'], false],
    ['acquire', 'prepared', false, 'rolled-back', [], true],
    ['acquire', 'prepared', true, 'finished', ['announce', 'PostAcq', 'notify'], false],
    ['acquire', 'changed', true, 'finished', ['announce', 'PostAcq', 'notify'], false],
    ['acquire', 'changed', false, 'rolled-back', [], true],
    ['release', 'started', true, 'rolled-back', [], false],
    ['release', 'started', false, 'rolled-back', [], false],
    ['release', 'changed', false, 'finished', ['PostRel', 'notify'], false],
    ['release', 'changed', true, 'rolled-back', [], false],
  ] as const)('%s reached %s, complete %s: %s', (action, reached, complete, kind, steps, undo) => {
    const decision = recoveryDecision({ action, reached }, complete)
    expect(decision.kind).toBe(kind)
    expect(decision.kind === 'finished' ? decision.steps : []).toEqual(steps)
    expect(decision.kind === 'rolled-back' && decision.undoPreAcq).toBe(undo)
  })

  it('says why, in words an administrator reads in checklist-recovered', () => {
    expect(recoveryDecision({ action: 'release', reached: 'started' }, true)).toEqual({
      kind: 'rolled-back',
      reason: 'the addresses are still held; the release will be decided again',
      undoPreAcq: false,
    })
  })
})
