import { spawn } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { describe, expect, it } from 'vitest'
import { endAgentLeftovers, processGroupOf } from './agent-leftovers.js'

const running = async (pid: number) => {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '')
  return stat !== '' && stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z'
}

describe.skipIf(process.platform !== 'linux')('what a dead agent left', () => {
  it('ends its ip -batch, and only that, in the process group it led', async () => {
    // A stand-in for a dead agent's group: an `ip -batch -` waiting on its input and a sleep beside it.
    const group = spawn('sh', ['-c', 'sleep 30 & echo $! && exec ip -batch -'], {
      detached: true,
      stdio: ['pipe', 'pipe', 'ignore'],
    })
    try {
      const sleeper = Number(
        await new Promise<string>((r) => group.stdout!.once('data', (d) => r(String(d)))),
      )
      const pgid = await processGroupOf(group.pid!)
      expect(pgid).toBe(group.pid)
      // The exec done: its name is ip (mid-exec, its command line can read empty, as for no ip at all).
      await expect.poll(() => readFile(`/proc/${group.pid}/stat`, 'utf8')).toContain(`${group.pid} (ip) `)
      await expect.poll(() => readFile(`/proc/${group.pid}/cmdline`, 'utf8')).toContain('-batch')
      // A group the agent did not lead is not touched: it holds other programs' processes.
      expect(await endAgentLeftovers(sleeper, pgid)).toBeUndefined()
      expect(await running(group.pid!)).toBe(true)
      expect(await endAgentLeftovers(group.pid!, pgid)).toBeUndefined()
      expect(await running(group.pid!)).toBe(false)
      expect(await running(sleeper)).toBe(true)
      // Nothing left to end: at once.
      expect(await endAgentLeftovers(group.pid!, pgid)).toBeUndefined()
    } finally {
      try {
        process.kill(-group.pid!, 'SIGKILL')
      } catch {}
    }
  })

  it('does nothing without a group', async () => {
    expect(await endAgentLeftovers(1, undefined)).toBeUndefined()
    expect(await processGroupOf(2 ** 22 + 1)).toBeUndefined()
  })
})
