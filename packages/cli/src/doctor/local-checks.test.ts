import { type CommandRunner, configSchema } from '@ipfo/core'
import { describe, expect, it } from 'vitest'
import { checkTools } from './local-checks.js'

const config = configSchema.parse({
  node: 'b',
  key: '/etc/ipfo/key',
  links: [{ name: 'private', targets: ['10.1.0.1'] }],
  peers: [{ id: 'a', takeover: [{ interface: 'eth0', address: '192.168.1.100/24' }] }],
})

/** A runner on which the named tools are not installed (exit code null, as the system runner says). */
function hostWithout(...missing: string[]): CommandRunner {
  return {
    run: async (command) =>
      missing.includes(command)
        ? {
            exitCode: null,
            signal: null,
            stdout: '',
            stderr: `${command} is not installed (not found in PATH)\n`,
          }
        : { exitCode: 0, signal: null, stdout: `${command} version 1.0\n`, stderr: '' },
  }
}

describe('checkTools', () => {
  it('warns when socat is missing (announcements still work, later) and fails when arping is', async () => {
    const withoutSocat = await checkTools(config, hostWithout('socat'))
    expect(withoutSocat.find((c) => c.check === 'socat installed')).toMatchObject({
      verdict: 'warn',
      hint: 'apt-get install socat',
    })
    expect(withoutSocat.find((c) => c.check === 'socat installed')?.detail).toContain(
      'through arping instead',
    )
    const withoutArping = await checkTools(config, hostWithout('arping'))
    expect(withoutArping.find((c) => c.check === 'arping installed')?.verdict).toBe('fail')
    expect(withoutArping.find((c) => c.check === 'socat installed')?.verdict).toBe('pass')
  })

  it('fails without perl: the agent does not start without its guard', async () => {
    expect((await checkTools(config, hostWithout())).find((c) => c.check === 'perl installed')?.verdict).toBe(
      'pass',
    )
    expect(
      (await checkTools(config, hostWithout('perl'))).find((c) => c.check === 'perl installed'),
    ).toMatchObject({ verdict: 'fail', hint: expect.stringContaining('perl-base') })
  })
})
