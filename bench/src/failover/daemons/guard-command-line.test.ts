import { spawn } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { GUARD_PERL } from '@ipfo/core/guard'
import { describe, expect, it } from 'vitest'
import { roleOf } from '../../idle/process-cost.js'
import { GUARD_COMMAND_LINE } from './guard-command-line.js'

describe.skipIf(process.platform !== 'linux')("the guard's command line, as the benchmarks find it", () => {
  it('matches a running guard, which node death freezes with its agent and bench:idle counts as the guard', async () => {
    const guard = spawn('perl', ['-e', GUARD_PERL, '--', process.execPath, '/nowhere/report.js'], {
      stdio: ['pipe', 'ignore', 'ignore'],
    })
    try {
      const line = async () => (await readFile(`/proc/${guard.pid}/cmdline`, 'utf8')).replace(/\0/g, ' ')
      await expect.poll(line).toMatch(GUARD_COMMAND_LINE)
      expect(roleOf((await readFile(`/proc/${guard.pid}/cmdline`, 'utf8')).split('\0'))).toBe('guard')
    } finally {
      guard.kill('SIGKILL')
    }
  })
})
