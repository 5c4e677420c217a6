import { describe, expect, it } from 'vitest'
import { type CheckRule, type CheckState, initialCheckState, onCheckResult } from './check-state.js'

const RULE: CheckRule = { fall: 2, rise: 3, initial: 'passing' }

/** Feeds results ('+' good, '-' failed) one per 100 ms; the verdict changes with the time of each. */
function run(rule: CheckRule, results: string) {
  let state: CheckState = initialCheckState(rule, 0)
  const changes: string[] = []
  for (const [i, r] of [...results].entries()) {
    const step = onCheckResult(
      rule,
      state,
      { ok: r === '+', detail: r === '+' ? 'ok' : 'ECONNREFUSED' },
      (i + 1) * 100,
    )
    state = step.state
    if (step.changed) changes.push(`${step.changed}@${(i + 1) * 100}`)
  }
  return { state, changes }
}

describe('a check’s verdict, by fall and rise', () => {
  it.each([
    // results, changes
    ['++++', []],
    ['-+-+-+-+', []], // flapping every result: never `fall` failures in a row
    ['--', ['failed@200']],
    ['---', ['failed@200']],
    ['--++', ['failed@200']], // two good results are not `rise` (3)
    ['--+++', ['failed@200', 'recovered@500']],
    ['--++-+++', ['failed@200', 'recovered@800']], // a failure restarts the count of good ones
    ['--+++--', ['failed@200', 'recovered@500', 'failed@700']],
  ] as const)('%s: %j', (results, changes) => {
    expect(run(RULE, results).changes).toEqual(changes)
  })

  it('starts failing when told, and then needs rise good results', () => {
    const rule: CheckRule = { ...RULE, initial: 'failing' }
    expect(initialCheckState(rule, 0).passing).toBe(false)
    expect(run(rule, '++').changes).toEqual([])
    expect(run(rule, '+++').changes).toEqual(['recovered@300'])
  })

  it('counts runs and failures, keeps the last result and when the verdict changed', () => {
    const { state } = run(RULE, '+--+')
    expect(state).toMatchObject({
      passing: false,
      runs: 4,
      failures: 2,
      since: 300,
      against: 1,
      last: { ok: true, detail: 'ok', at: 400 },
    })
  })

  it('with fall 1 and rise 1, follows every result', () => {
    expect(run({ fall: 1, rise: 1, initial: 'passing' }, '-+-').changes).toEqual([
      'failed@100',
      'recovered@200',
      'failed@300',
    ])
  })
})
