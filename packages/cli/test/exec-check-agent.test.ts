import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { AgentStatus } from '@ipfo/core'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { type AgentLogLine, AgentProcess } from '../src/demo/agent-process.js'
import { loopbackStage } from '../src/demo/loopback-stage.js'
import { writeNodeFiles } from '../src/demo/node-files.js'
import { until } from './pair-harness.js'

/**
 * exec health checks in a real agent (two agents on loopback, simulated addresses): a check that
 * hangs is killed at its timeout, with every process of its group, and counts as failed; enough of
 * those and the VIP goes to the peer, whose own exec check passes.
 */
let dir: string
const lines: { node: string; line: AgentLogLine }[] = []
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ipfo-exec-check-'))
  lines.length = 0
})
afterEach(async () => {
  await AgentProcess.killAll()
  // A check the agent failed to kill would still be here: kill it, so no test leaves one behind.
  for (const pid of await hungPids()) {
    try {
      process.kill(-pid, 'SIGKILL')
    } catch {
      // gone, as it should be
    }
  }
  await rm(dir, { recursive: true, force: true })
})

/** The process groups the hanging check wrote down, one per run. */
async function hungPids(): Promise<number[]> {
  const text = await readFile(join(dir, 'hung.pids'), 'utf8').catch(() => '')
  return text.split('\n').filter(Boolean).map(Number)
}

/** Whether any process of the group is left. */
const groupAlive = (pgid: number) => {
  try {
    process.kill(-pgid, 0)
    return true
  } catch {
    return false
  }
}

describe('exec health checks in the agent', () => {
  it('a hanging check is killed at its timeout with its whole group, counts as failed, and moves the VIP', async () => {
    // a's check hangs once "hang" exists (and leaves a grandchild in its group); b's always passes.
    const check = join(dir, 'check.sh')
    await writeFile(
      check,
      `#!/bin/sh\nif [ -e ${dir}/hang ]; then\n  echo $$ >> ${dir}/hung.pids\n  sleep 300 &\n  sleep 300\nfi\nexit 0\n`,
    )
    await chmod(check, 0o755)
    const stage = loopbackStage(dir, 30_000 + Math.floor(Math.random() * 20_000))
    const address = { interface: 'demo0', address: stage.vip, requires: ['script'] }
    const checkOf = (program: string) => ({
      script: { kind: 'exec', argv: [program], interval: '200ms', timeout: '150ms', fall: 2, rise: 2 },
    })
    const files = await writeNodeFiles(stage, dir, {
      a: { checks: checkOf(check), owns: [address] },
      b: { checks: checkOf('/bin/true'), peers: [{ id: 'a', takeover: [address] }] },
    })
    const agent = (node: 'a' | 'b') =>
      new AgentProcess(
        node,
        stage.agentCommand(node, ['--config', files.config[node]]),
        (n, line) => lines.push({ node: n, line }),
        () => {},
      )
    const status = async (node: 'a' | 'b') => {
      const { controlRequest } = await import('@ipfo/core/agent')
      return controlRequest<AgentStatus>(files.socket[node], { method: 'status' }).catch(() => undefined)
    }
    agent('a').start()
    agent('b').start()
    await until('a to hold the VIP, b to see a fit', async () => {
      const [sa, sb] = [await status('a'), await status('b')]
      return sa?.held.length === 1 && sb?.peers[0]?.fit?.length === 1 && (sa.checks[0]?.runs ?? 0) > 2
    })

    await writeFile(join(dir, 'hang'), '')
    await until('b to hold the VIP', async () => (await status('b'))?.held.length === 1, 15_000)
    const failed = lines.find((l) => l.node === 'a' && l.line.kind === 'check-failed')?.line
    expect(failed).toMatchObject({ check: 'script', detail: 'timed out after 150 ms (killed)' })
    expect((await status('a'))?.held).toEqual([])
    // Every hung run was killed, its background sleep too: no process of theirs is left.
    const pids = await hungPids()
    expect(pids.length).toBeGreaterThanOrEqual(2)
    await until('the hung checks to be gone', () => pids.every((pgid) => !groupAlive(pgid)), 3_000)
  }, 60_000)
})
