import { describe, expect, it } from 'vitest'
import { justAfterStalls, sharedStalls } from './shared-stalls.js'

describe('stalls the agents share with the witness', () => {
  it('counts an agent stall as the machine when the witness stalled over the same span', () => {
    const witness = [{ at: 10_040, ms: 30 }]
    // Both agents resumed with the witness; one stall a second later is the agent's own.
    const agent = [
      { at: 10_041, ms: 25 },
      { at: 10_039, ms: 20 },
      { at: 11_040, ms: 15 },
    ]
    expect(sharedStalls(agent, witness)).toEqual([agent[0], agent[1]])
  })

  it('does not count stalls that only come near each other', () => {
    expect(sharedStalls([{ at: 10_000, ms: 12 }], [{ at: 9_980, ms: 10 }])).toEqual([])
    expect(sharedStalls([{ at: 10_000, ms: 12 }], [{ at: 10_030, ms: 10 }])).toEqual([])
    expect(sharedStalls([{ at: 10_000, ms: 12 }], [])).toEqual([])
  })

  it('finds the peer-lost verdicts that came just after a stall of the machine', () => {
    const witness = [{ at: 5_000, ms: 28 }]
    expect(justAfterStalls([4_990, 5_020, 5_200], witness, 60)).toEqual([4_990, 5_020])
  })
})
