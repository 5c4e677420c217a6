import { type ChildProcess, spawn } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { afterEach, describe, expect, it } from 'vitest'
import { processGroupAlive, signalProcessGroup, stopProcessGroup } from './process-group.js'

const started: ChildProcess[] = []
afterEach(() => {
  for (const child of started.splice(0)) if (child.pid) signalProcessGroup(child.pid, 'SIGKILL')
})

/** A shell in a group of its own that starts a grandchild and prints the grandchild's pid. */
async function group(body: string): Promise<{ pgid: number; grandchild: number }> {
  const child = spawn('sh', ['-c', `${body} & echo $!; wait`], {
    detached: true,
    stdio: ['ignore', 'pipe', 'ignore'],
  })
  started.push(child)
  const grandchild = await new Promise<number>((resolve) =>
    child.stdout?.once('data', (chunk: Buffer) => resolve(Number(chunk.toString().trim()))),
  )
  return { pgid: child.pid!, grandchild }
}

/** Gone, or a zombie waiting for an init that does not reap (containers): either way it runs no more. */
async function processGone(pid: number): Promise<boolean> {
  try {
    return /^State:\s+Z/m.test(await readFile(`/proc/${pid}/status`, 'utf8'))
  } catch {
    return true
  }
}

describe('stopProcessGroup', () => {
  it('stops the whole group with SIGTERM, grandchildren included', async () => {
    const { pgid, grandchild } = await group('sleep 1000')
    expect(processGroupAlive(pgid)).toBe(true)
    await stopProcessGroup(pgid, 1_000)
    expect(await processGone(grandchild)).toBe(true)
  })

  it('sends SIGKILL after the grace period to a group that ignores SIGTERM', async () => {
    const { pgid, grandchild } = await group("trap '' TERM; sleep 1000")
    const begun = Date.now()
    await stopProcessGroup(pgid, 300)
    expect(Date.now() - begun).toBeGreaterThanOrEqual(300)
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(await processGone(grandchild)).toBe(true)
  })

  it('returns at once for a group that is gone', async () => {
    const child = spawn('sleep', ['1000'], { detached: true, stdio: 'ignore' })
    started.push(child)
    const exited = new Promise((resolve) => child.once('exit', resolve))
    const pgid = child.pid!
    signalProcessGroup(pgid, 'SIGKILL')
    await exited
    expect(processGroupAlive(pgid)).toBe(false)
    const begun = Date.now()
    await stopProcessGroup(pgid, 5_000)
    expect(Date.now() - begun).toBeLessThan(1_000)
  })
})
