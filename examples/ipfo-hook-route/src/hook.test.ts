// src/hook.test.ts
import { type CommandRunner, parseHookOptions, readHookEvent, systemDeps } from '@ipfo/hooks-stdlib'
import { expect, it } from 'vitest'
import { routeHook } from './hook.js'

/** Records each command line instead of running it, and answers as a command that succeeded. */
function recordingRunner(): CommandRunner & { lines: string[] } {
  const lines: string[] = []
  return {
    lines,
    async run(command, args) {
      lines.push([command, ...args].join(' '))
      return { exitCode: 0, signal: null, stdout: '', stderr: '' }
    },
  }
}

it('adds the route when the address is acquired', async () => {
  const runner = recordingRunner()
  const event = await readHookEvent({ IPFO_PHASE: 'PostAcq' }, ['acquire', '192.168.1.100/24', 'eth0'])
  const options = parseHookOptions(routeHook, { to: '10.20.0.0/16', via: '192.168.1.1' })
  const outcome = await routeHook.run(event, options, systemDeps({}, { runner }))
  expect(runner.lines).toEqual(['ip route replace 10.20.0.0/16 via 192.168.1.1 dev eth0 src 192.168.1.100'])
  expect(outcome.ok).toBe(true)
})
