import { describe, expect, it } from 'vitest'
import { ACQUIRE_CAUSES, EVENT_KINDS, RELEASE_CAUSES } from './events.js'

describe('the closed lists of the event union', () => {
  it('lists each event kind once (the compiler checks none is missing)', () => {
    expect(new Set(EVENT_KINDS).size).toBe(EVENT_KINDS.length)
    expect(EVENT_KINDS).toContain('peer-lost')
    expect(EVENT_KINDS).toContain('error')
  })

  it('lists each cause once, as kebab-case words fit for a metric label', () => {
    for (const list of [ACQUIRE_CAUSES, RELEASE_CAUSES]) {
      expect(new Set(list).size).toBe(list.length)
      for (const cause of list) expect(cause).toMatch(/^[a-z]+(-[a-z]+)*$/)
    }
  })
})
