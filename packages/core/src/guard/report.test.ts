import { describe, expect, it } from 'vitest'
import { readGuardReport } from './report.js'

const GOOD = {
  time: 1_800_000_000_000,
  node: 'a',
  removed: ['10.0.0.100/24@eth0'],
  kept: [],
  lastWord: ['lan'],
  failures: [],
  tookMs: 3.2,
  log: 1,
  stateDir: '/var/lib/ipfo',
}

describe("the guard's report, as Node reads it back", () => {
  it('reads what the guard writes, with a log file or descriptor, and an event log or none', () => {
    expect(readGuardReport(JSON.stringify(GOOD))).toEqual(GOOD)
    const withFiles = { ...GOOD, log: '/var/log/ipfo.log', eventLog: '/var/log/ipfo.jsonl' }
    expect(readGuardReport(JSON.stringify(withFiles))).toEqual(withFiles)
  })

  it('names the field it cannot read', () => {
    const bad: [string, RegExp][] = [
      ['{', /^the guard's report is not JSON: \{/],
      ['[1]', /^the guard's report is not an object/],
      [JSON.stringify({ ...GOOD, node: '' }), /^the guard's report, node: expected a non-empty string/],
      [JSON.stringify({ ...GOOD, removed: [1] }), /^the guard's report, removed: expected a list of strings/],
      [JSON.stringify({ ...GOOD, tookMs: -1 }), /^the guard's report, tookMs: expected a number, 0 or more/],
      [JSON.stringify({ ...GOOD, log: 0 }), /^the guard's report, log: expected a file descriptor or a path/],
      [
        JSON.stringify({ ...GOOD, eventLog: 5 }),
        /^the guard's report, eventLog: expected a non-empty string/,
      ],
    ]
    for (const [text, message] of bad) expect(() => readGuardReport(text), text).toThrow(message)
  })
})
