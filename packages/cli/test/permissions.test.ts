import { execFile } from 'node:child_process'
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { AgentStatus } from '@ipfo/core'
import { isRoot } from '@ipfo/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AgentProcess } from '../src/demo/agent-process.js'
import { loopbackStage } from '../src/demo/loopback-stage.js'
import { type NodeFiles, writeNodeFiles } from '../src/demo/node-files.js'
import { BIN, runCli } from './run-cli.js'

/**
 * What a local user who is not root can do to a running pair: nothing. The control socket is root's
 * (0600) even when its folder can be reached, and the key file is 0600. Runs real agents on
 * loopback as root and the CLI as `nobody` (setpriv).
 */
let dir: string
let files: NodeFiles

const asNobody = (command: string, args: string[]) =>
  new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(
      'setpriv',
      ['--reuid=65534', '--regid=65534', '--clear-groups', command, ...args],
      (error, stdout, stderr) =>
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
    )
  })

describe.skipIf(!isRoot)('a non-root user and a running pair', () => {
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ipfo-perm-'))
    await chmod(dir, 0o755) // nobody can reach the socket path: only the socket's own mode stops it
    const stage = loopbackStage(dir, 30_000 + Math.floor(Math.random() * 20_000))
    files = await writeNodeFiles(stage, dir)
    await chmod(dir, 0o755)
    for (const node of ['a', 'b'] as const) {
      new AgentProcess(
        node,
        stage.agentCommand(node, ['--config', files.config[node]]),
        () => {},
        () => {},
      ).start()
    }
    const end = Date.now() + 10_000
    for (;;) {
      const r = await runCli(['status', '--socket', files.socket.b, '--json'])
      if (r.code === 0 && (JSON.parse(r.stdout) as AgentStatus).peers[0]?.alive) break
      if (Date.now() > end) throw new Error('the pair did not start')
      await new Promise((r) => setTimeout(r, 50))
    }
  })
  afterAll(async () => {
    await AgentProcess.killAll()
    await rm(dir, { recursive: true, force: true })
  })

  it.each([
    ['takeover', ['takeover', 'a']],
    ['release', ['release', 'a']],
    ['maintenance on', ['maintenance', 'on']],
    ['status', ['status']],
  ])('cannot %s: exit 5, permission denied, a hint', async (_, args) => {
    const result = await asNobody(process.execPath, [BIN, ...args, '--socket', files.socket.b])
    expect(result.code, result.stderr).toBe(5)
    expect(result.stderr).toContain(`ipfo: permission denied on control socket ${files.socket.b}`)
    expect(result.stderr).toContain("hint: run ipfo as root (the agent's user)")
  })

  it('cannot read the key', async () => {
    const key = JSON.parse(await readFile(files.config.a, 'utf8')).key as string
    const result = await asNobody('cat', [key])
    expect(result.code).not.toBe(0)
    expect(result.stderr).toContain('Permission denied')
  })

  it('nothing changed: b holds nothing, no maintenance', async () => {
    const status = JSON.parse(
      (await runCli(['status', '--socket', files.socket.b, '--json'])).stdout,
    ) as AgentStatus
    expect(status.maintenance).toBe(false)
    expect(status.held).toEqual([])
  })
})
