import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { onPath } from '@ipfo/core/agent'
import { parse } from 'plist'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { BIN, runCli } from './run-cli.js'

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ipfo-service-'))
})
afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

const has = onPath(process.env.PATH)

describe('ipfo service install', () => {
  it('writes a systemd unit that systemd-analyze accepts: Type=notify, watchdog, absolute paths', async () => {
    const result = await runCli([
      'service',
      'install',
      '--platform',
      'linux',
      '--dir',
      dir,
      '--config',
      '/etc/ipfo/ipfo.yaml',
      '--json',
    ])
    expect(result.code).toBe(0)
    const unit = await readFile(join(dir, 'ipfo.service'), 'utf8')
    expect(unit).toContain('Type=notify')
    expect(unit).toContain('WatchdogSec=10s')
    // The agent's notify helper (a child process) sends READY=1 and the watchdog pets.
    expect(unit).toContain('NotifyAccess=all')
    expect(unit).toContain(
      `ExecStart=${process.execPath} --max-semi-space-size=1 --single-threaded-gc --no-memory-reducer ${BIN} agent --config /etc/ipfo/ipfo.yaml`,
    )
    expect(JSON.parse(result.stdout)).toMatchObject({
      kind: 'systemd',
      next: expect.arrayContaining(['systemctl enable --now ipfo']),
    })
    if (has('systemd-analyze')) {
      const verify = spawn('systemd-analyze', ['verify', join(dir, 'ipfo.service')])
      let stderr = ''
      verify.stderr.on('data', (d) => {
        stderr += d
      })
      const code = await new Promise((r) => verify.on('exit', r))
      expect({ code, stderr: stderr.split('\n').filter((l) => l.includes('ipfo.service')) }).toEqual({
        code: 0,
        stderr: [],
      })
    }
    const again = await runCli(['service', 'install', '--platform', 'linux', '--dir', dir])
    expect(again.code).toBe(3)
    expect(again.stderr).toContain('--force')
    expect((await runCli(['service', 'uninstall', '--platform', 'linux', '--dir', dir])).code).toBe(0)
    expect(existsSync(join(dir, 'ipfo.service'))).toBe(false)
  })

  it('writes a launchd plist on macOS that runs the agent at boot and keeps it alive', async () => {
    const result = await runCli([
      'service',
      'install',
      '--platform',
      'darwin',
      '--dir',
      dir,
      '--config',
      '/etc/ipfo/ipfo.yaml',
    ])
    expect(result.code).toBe(0)
    const job = parse(await readFile(join(dir, 'dev.ipfo.agent.plist'), 'utf8')) as Record<string, unknown>
    expect(job).toMatchObject({
      Label: 'dev.ipfo.agent',
      ProgramArguments: [
        process.execPath,
        '--max-semi-space-size=1',
        '--single-threaded-gc',
        '--no-memory-reducer',
        BIN,
        'agent',
        '--config',
        '/etc/ipfo/ipfo.yaml',
      ],
      RunAtLoad: true,
      KeepAlive: { SuccessfulExit: false },
    })
  })
})
