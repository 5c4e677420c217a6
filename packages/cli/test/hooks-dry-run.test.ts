import { chmod, copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { runCli } from './run-cli.js'

let dir: string
let folder: string
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ipfo-hooks-test-'))
  folder = join(dir, 'hooks', '10.1.2.3')
  await mkdir(folder, { recursive: true, mode: 0o755 })
  await chmod(join(dir, 'hooks'), 0o755)
})
afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

async function script(name: string, body: string, mode = 0o755) {
  await writeFile(join(folder, name), `#!/bin/sh\n${body}\n`)
  await chmod(join(folder, name), mode)
}

describe('ipfo hooks test', () => {
  it('runs a phase in order with the contract argv and variables, and reports each result', async () => {
    await script('PostAcq-10-echo', 'echo "phase=$IPFO_PHASE action=$IPFO_ACTION args=$*"')
    await script('PostAcq-20-fail', 'echo broken >&2; exit 3')
    const result = await runCli([
      'hooks',
      'test',
      '10.1.2.3',
      '--phase',
      'PostAcq',
      '--dir',
      join(dir, 'hooks'),
      '--json',
    ])
    expect(result.code).toBe(0)
    const json = JSON.parse(result.stdout)
    expect(json.verdict).toBe('ok')
    expect(json.hooks.map((h: { script: string }) => h.script.split('/').pop())).toEqual([
      'PostAcq-10-echo',
      'PostAcq-20-fail',
    ])
    expect(json.hooks[0].stdout).toBe('phase=PostAcq action=acquire args=acquire 10.1.2.3/32 eth0\n')
    expect(json.hooks[1]).toMatchObject({ exitCode: 3, stderr: 'broken\n' })
  })

  it("shows Apple's notification-only idiom: a copy of false as Test", async () => {
    await copyFile('/usr/bin/false', join(folder, 'Test'))
    const result = await runCli([
      'hooks',
      'test',
      '10.1.2.3',
      '--phase',
      'Test',
      '--dir',
      join(dir, 'hooks'),
      '--json',
    ])
    expect(JSON.parse(result.stdout)).toMatchObject({ phase: 'Test', verdict: 'notify-only' })
  })

  it.skipIf(process.getuid?.() !== 0)('as root, refuses a hook others can write, with the fix', async () => {
    await script('PreRel-10-open', 'echo should not run', 0o777)
    const result = await runCli([
      'hooks',
      'test',
      '10.1.2.3',
      '--phase',
      'PreRel',
      '--dir',
      join(dir, 'hooks'),
    ])
    expect(result.stdout).toContain(`REFUSED   ${join(folder, 'PreRel-10-open')}`)
    expect(result.stdout).toContain(`chmod go-w ${join(folder, 'PreRel-10-open')}`)
    expect(result.stdout).not.toContain('should not run')
  })
})
