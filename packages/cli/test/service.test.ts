import { execFileSync, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parse } from 'plist'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { AgentProcess } from '../src/demo/agent-process.js'
import { loopbackStage } from '../src/demo/loopback-stage.js'
import { writePairFiles } from '../src/demo/pair-files.js'
import { BIN, runCli } from './run-cli.js'

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ipfo-service-'))
})
afterEach(async () => {
  await AgentProcess.killAll()
  await rm(dir, { recursive: true, force: true })
})

const has = (tool: string) => {
  try {
    execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

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
    expect(unit).toContain(
      `ExecStart=${process.execPath} --max-semi-space-size=1 ${BIN} agent --config /etc/ipfo/ipfo.yaml`,
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

describe.skipIf(!has('systemd-notify') || !has('python3'))('the agent under systemd', () => {
  it('reports READY=1 once running and pets the watchdog through NOTIFY_SOCKET', async () => {
    const socket = join(dir, 'notify.sock')
    const listener = spawn('python3', [
      '-c',
      `import socket,sys\ns=socket.socket(socket.AF_UNIX,socket.SOCK_DGRAM)\ns.bind(${JSON.stringify(socket)})\nprint('bound',flush=True)\nwhile True:\n  print(s.recv(4096).decode().replace('\\n',' '),flush=True)`,
    ])
    const messages: string[] = []
    listener.stdout.on('data', (d) => messages.push(...String(d).trim().split('\n')))
    try {
      while (!messages.includes('bound')) await new Promise((r) => setTimeout(r, 20))
      const stage = loopbackStage(dir, 30_000 + Math.floor(Math.random() * 20_000))
      const files = await writePairFiles(stage, dir)
      const [cmd, ...args] = stage.agentCommand('a', ['--config', files.config.a])
      const agent = spawn(cmd!, args, {
        env: { ...process.env, NOTIFY_SOCKET: socket, WATCHDOG_USEC: '400000' },
        stdio: 'ignore',
      })
      for (let i = 0; i < 100 && messages.filter((m) => m.includes('WATCHDOG=1')).length < 2; i++) {
        await new Promise((r) => setTimeout(r, 50))
      }
      agent.kill('SIGTERM')
      await new Promise((r) => agent.on('exit', r))
      await new Promise((r) => setTimeout(r, 300))
      expect(messages.find((m) => m.includes('READY=1'))).toContain(
        'STATUS=node a: heartbeats every 100ms, detection 300ms',
      )
      expect(messages.filter((m) => m.includes('WATCHDOG=1')).length).toBeGreaterThanOrEqual(2)
      expect(messages.some((m) => m.includes('STOPPING=1'))).toBe(true)
    } finally {
      listener.kill()
    }
  })
})
