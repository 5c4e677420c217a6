import { describe, expect, it } from 'vitest'
import { systemCommandRunner } from './command-runner.js'

describe('systemCommandRunner', () => {
  it('captures stdout and stderr of a successful command', async () => {
    const result = await systemCommandRunner.run('sh', ['-c', 'echo out; echo err >&2'])
    expect(result).toEqual({ exitCode: 0, signal: null, stdout: 'out\n', stderr: 'err\n' })
  })

  it('passes arguments without a shell', async () => {
    const result = await systemCommandRunner.run('printf', ['%s|', 'a b', '$(id)', '; rm -rf /'])
    expect(result.stdout).toBe('a b|$(id)|; rm -rf /|')
  })

  it('returns a non-zero exit instead of throwing', async () => {
    const result = await systemCommandRunner.run('sh', ['-c', 'echo partial; echo broken >&2; exit 3'])
    expect(result).toEqual({ exitCode: 3, signal: null, stdout: 'partial\n', stderr: 'broken\n' })
  })

  it('says a missing binary is not installed', async () => {
    const result = await systemCommandRunner.run('ipfo-no-such-command', ['x'])
    expect(result.exitCode).toBeNull()
    expect(result.stderr).toContain('ipfo-no-such-command is not installed')
  })

  it('kills a command that outlives its timeout', async () => {
    const started = Date.now()
    const result = await systemCommandRunner.run('sleep', ['5'], { timeoutMs: 100 })
    expect(Date.now() - started).toBeLessThan(2000)
    expect(result.exitCode).toBeNull()
    expect(result.signal).toBe('SIGKILL')
    expect(result.stderr).toContain('sleep timed out after 100 ms')
  })

  it('runs commands in the C locale, so their messages can be matched', async () => {
    const result = await systemCommandRunner.run('sh', ['-c', 'echo "$LC_ALL"'])
    expect(result.stdout).toBe('C\n')
  })
})
