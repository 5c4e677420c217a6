import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { AgentProcess } from './agent-process.js'
import { PAIR, TRIO } from './node-roles.js'
import { runDemo } from './run-demo.js'
import { runTrioDemo } from './run-trio-demo.js'
import type { Stage } from './stage.js'

/** A stage whose "agents" start and then say nothing, as agents that never take the address would. */
function silentStage<N extends string>(nodes: readonly N[]): Stage<N> {
  return {
    mode: 'loopback',
    description: 'agents that never report',
    vip: '127.0.0.50/8',
    nodes,
    config: () => ({ links: [{ name: 'lo', targets: ['127.0.0.1'] }] }),
    agentCommand: () => [process.execPath, '-e', 'setInterval(() => {}, 1000)'],
    isolate: async () => {},
    revive: async () => {},
    holders: async () => [],
    destroy: async () => {},
  }
}

describe('runDemo', () => {
  const dirs: string[] = []
  afterEach(async () => {
    for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true })
  })

  it.each([
    {
      story: 'two nodes',
      run: (dir: string, io: Parameters<typeof runDemo>[2]) => runDemo(silentStage(PAIR), dir, io),
      missing: 'a taking 127.0.0.50/8 at start did not happen: a reported no "acquired" within 0.5 s',
    },
    {
      story: 'three nodes',
      run: (dir: string, io: Parameters<typeof runDemo>[2]) => runTrioDemo(silentStage(TRIO), dir, io),
      // The trio starts b and c once a's agent is up: that is what it waits for first.
      missing: 'a\'s agent starting did not happen: a reported no "agent-started" within 0.5 s',
    },
  ])(
    'never waits forever ($story): a step that does not happen is named, and every agent is stopped',
    async ({ run, missing }) => {
      const dir = await mkdtemp(join(tmpdir(), 'ipfo-demo-test-'))
      dirs.push(dir)
      const lines: string[] = []
      const started = Date.now()
      const failure = await run(dir, { print: (l) => lines.push(l), stepLimitMs: 500 }).catch(
        (e: unknown) => e,
      )
      expect(failure).toBeInstanceOf(Error)
      expect((failure as Error).message).toBe(missing)
      expect(Date.now() - started).toBeLessThan(10_000)
      expect(AgentProcess.live.size).toBe(0)
    },
  )
})
