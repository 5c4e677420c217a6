import { describe, expect, it } from 'vitest'
import { ownStamp } from './daemon-set.js'

describe('a daemon line’s own time', () => {
  it('is ipfo’s JSON log time, to the millisecond', () => {
    const line =
      '{"level":30,"time":"2026-12-07T15:12:11.303Z","kind":"acquiring","owner":"a","eventTime":"2026-12-07T15:12:11.303Z"}'
    expect(ownStamp(line)).toBe(Date.parse('2026-12-07T15:12:11.303Z'))
  })
  it('is none for a line without one (keepalived, ucarp), which keeps the time it was read', () => {
    expect(ownStamp('Mon Dec  7 15:12:11 2026: (VI_1) Entering MASTER STATE')).toBeUndefined()
    expect(ownStamp('{"time":"not a time"}')).toBeUndefined()
  })
})
