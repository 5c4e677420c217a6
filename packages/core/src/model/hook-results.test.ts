import { describe, expect, it } from 'vitest'
import { parseResultLines, resultLine } from './hook-results.js'

describe('the hook results file', () => {
  it('reads back what the agent writes, refused hooks and killed ones included', () => {
    const text =
      resultLine({
        phase: 'Test',
        script: '/Library/IPFailover/10.0.0.5/Test',
        address: '10.0.0.5/24',
        exitCode: 0,
        signal: null,
        timedOut: false,
        durationMs: 12,
        stdout: 'ok',
        stderr: '',
      }) +
      resultLine({
        phase: 'PreAcq',
        script: '/Library/IPFailover/10.0.0.5/PreAcq_mount',
        address: '10.0.0.5/24',
        exitCode: null,
        signal: 'SIGKILL',
        timedOut: true,
        durationMs: 30000,
      }) +
      resultLine({
        phase: 'PostAcq',
        script: '/Library/IPFailover/10.0.0.5/PostAcq_web',
        address: '10.0.0.5/24',
        refused: 'is writable by group',
        fix: 'chmod g-w',
      })
    expect(parseResultLines(text)).toEqual([
      {
        phase: 'Test',
        script: '/Library/IPFailover/10.0.0.5/Test',
        exitCode: 0,
        signal: null,
        durationMs: 12,
        timedOut: false,
      },
      {
        phase: 'PreAcq',
        script: '/Library/IPFailover/10.0.0.5/PreAcq_mount',
        exitCode: null,
        signal: 'SIGKILL',
        durationMs: 30000,
        timedOut: true,
      },
      {
        phase: 'PostAcq',
        script: '/Library/IPFailover/10.0.0.5/PostAcq_web',
        exitCode: null,
        signal: null,
        durationMs: undefined,
        timedOut: false,
      },
    ])
  })

  it('skips a torn last line and lines that name no script, keeping the rest', () => {
    const good = resultLine({ phase: 'PreRel', script: '/x/PreRel', address: '10.0.0.5/24', exitCode: 1 })
    const text = `${good}{"phase":"PostRel"}\n[1,2]\nnull\n${good}{"phase":"PostRel","scr`
    expect(parseResultLines(text).map((r) => [r.script, r.exitCode])).toEqual([
      ['/x/PreRel', 1],
      ['/x/PreRel', 1],
    ])
  })

  it('writes one line per result, so an append never splits another', () => {
    const line = resultLine({ phase: 'Test', script: '/x/Test', address: '::1/128', stdout: 'a\nb' })
    expect(line.endsWith('\n')).toBe(true)
    expect(line.slice(0, -1)).not.toContain('\n')
  })
})
