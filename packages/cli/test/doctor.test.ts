import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { AgentProcess } from '../src/demo/agent-process.js'
import { loopbackStage } from '../src/demo/loopback-stage.js'
import { writePairFiles } from '../src/demo/pair-files.js'
import { runCli } from './run-cli.js'

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ipfo-doctor-'))
})
afterEach(async () => {
  await AgentProcess.killAll()
  await rm(dir, { recursive: true, force: true })
})

type Check = { check: string; verdict: string; detail: string; hint?: string }
const verdicts = (checks: Check[]) => Object.fromEntries(checks.map((c) => [c.check, c.verdict]))

async function config(extra: string): Promise<string> {
  const key = join(dir, 'hb.key')
  await runCli(['keygen', key, '--force'])
  const port = 40_000 + Math.floor(Math.random() * 10_000)
  const file = join(dir, 'ipfo.yaml')
  await writeFile(
    file,
    `node: b\nkey: ${key}\nport: ${port}\nlinks:\n  - { name: private, listen: 127.0.0.1, targets: ["127.0.0.1:${port + 1}"] }\npaths: { socket: ${join(dir, 'b.sock')} }\n${extra}`,
  )
  return file
}

describe('ipfo doctor', () => {
  it('passes a sound config and says why it cannot check the peers without an agent', async () => {
    const file = await config(
      'peers:\n  - id: a\n    takeover:\n      - { interface: lo, address: 127.0.0.50/8 }\n',
    )
    const result = await runCli(['doctor', '--config', file, '--json'])
    expect(result.code).toBe(0)
    const { ok, checks } = JSON.parse(result.stdout) as { ok: boolean; checks: Check[] }
    expect(ok).toBe(true)
    expect(verdicts(checks)).toMatchObject({
      'config and key': 'pass',
      'ip installed': 'pass',
      'arping installed': 'pass',
      'interface lo': 'pass',
      '127.0.0.50 on lo': 'pass',
      peers: 'warn',
    })
  })

  it('fails a missing interface and an address on no subnet, with a hint each, and exits 1', async () => {
    const file = await config(
      'peers:\n  - id: a\n    takeover:\n      - { interface: nope0, address: 10.9.9.9/24 }\n      - { interface: lo, address: 192.0.2.7/24 }\n',
    )
    const result = await runCli(['doctor', '--config', file])
    expect(result.code).toBe(1)
    expect(result.stdout).toMatch(/FAIL\s+interface nope0\s+does not exist/)
    expect(result.stdout).toMatch(/WARN\s+192\.0\.2\.7 on lo\s+is on no subnet/)
    expect(result.stdout).toContain('-> check the interface names in the config with `ip link`')
  })

  it('with running agents: every peer on every link, the same interval, clocks agreeing', async () => {
    const stage = loopbackStage(dir, 30_000 + Math.floor(Math.random() * 20_000))
    const files = await writePairFiles(stage, dir)
    for (const node of ['a', 'b'] as const) {
      new AgentProcess(
        node,
        stage.agentCommand(node, ['--config', files.config[node]]),
        () => {},
        () => {},
      ).start()
    }
    const check = async () =>
      JSON.parse((await runCli(['doctor', '--config', files.config.b, '--json'])).stdout)
    let report = await check()
    for (let i = 0; i < 20 && verdicts(report.checks)['a on public'] !== 'pass'; i++) {
      await new Promise((r) => setTimeout(r, 250))
      report = await check()
    }
    expect(verdicts(report.checks)).toMatchObject({
      'a on private': 'pass',
      'a on public': 'pass',
      'a settings': 'pass',
      'a clock': 'pass',
    })
    const ports = (report.checks as Check[]).filter((c) => c.check.startsWith('UDP '))
    expect(ports.map((c) => c.detail)).toEqual(['in use by the running agent', 'in use by the running agent'])
  })
})
