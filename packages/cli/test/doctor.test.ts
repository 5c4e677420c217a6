import { execFile, execFileSync } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { netnsAvailable } from '@ipfo/core/netns'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { AgentProcess } from '../src/demo/agent-process.js'
import { loopbackStage } from '../src/demo/loopback-stage.js'
import { writeNodeFiles } from '../src/demo/node-files.js'
import { BIN, runCli } from './run-cli.js'

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

async function config(extra: string, port = 40_000 + Math.floor(Math.random() * 10_000)): Promise<string> {
  const key = join(dir, 'hb.key')
  await runCli(['keygen', key, '--force'])
  const file = join(dir, 'ipfo.yaml')
  await writeFile(
    file,
    `node: b\nkey: ${key}\nport: ${port}\nlinks:\n  - { name: private, listen: 127.0.0.1, targets: ["127.0.0.1:${port + 1}"] }\npaths: { socket: ${join(dir, 'b.sock')} }\n${extra}`,
  )
  return file
}

/** Starts a and b on loopback; `keyOfA` gives a a key file of its own. */
async function startPair(keyOfA?: string) {
  const stage = loopbackStage(dir, 30_000 + Math.floor(Math.random() * 20_000))
  const files = await writeNodeFiles(stage, dir)
  if (keyOfA) {
    const a = JSON.parse(await readFile(files.config.a, 'utf8'))
    await writeFile(files.config.a, JSON.stringify({ ...a, key: keyOfA }))
  }
  for (const node of ['a', 'b'] as const) {
    new AgentProcess(
      node,
      stage.agentCommand(node, ['--config', files.config[node]]),
      () => {},
      () => {},
    ).start()
  }
  return files
}

/** Runs `ipfo doctor --json` until `done` says the report is settled (agents need a moment). */
async function doctorUntil(file: string, done: (v: Record<string, string>) => boolean) {
  const check = async () => JSON.parse((await runCli(['doctor', '--config', file, '--json'])).stdout)
  let report = await check()
  for (let i = 0; i < 20 && !done(verdicts(report.checks)); i++) {
    await new Promise((r) => setTimeout(r, 250))
    report = await check()
  }
  return report as { ok: boolean; checks: Check[] }
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
      'perl installed': 'pass',
      'socat installed': 'pass',
      'arping installed': 'pass',
      'interface lo': 'pass',
      '127.0.0.50 on lo': 'pass',
      peers: 'warn',
    })
    // Whether this host's firewall can be read depends on the host; the verdict is never "fail" here.
    expect(['pass', 'warn']).toContain(verdicts(checks)['firewall on private'] ?? verdicts(checks).firewall)
  })

  it('fails a missing interface, an address there with another prefix, and warns of one on no subnet, with a hint each, and exits 1', async () => {
    const file = await config(
      'peers:\n  - id: a\n    takeover:\n      - { interface: nope0, address: 10.9.9.9/24 }\n      - { interface: lo, address: 192.0.2.7/24 }\n      - { interface: lo, address: 127.0.0.1/32 }\n',
    )
    const result = await runCli(['doctor', '--config', file])
    expect(result.code).toBe(1)
    expect(result.stdout).toMatch(/FAIL\s+interface nope0\s+does not exist/)
    expect(result.stdout).toMatch(/WARN\s+192\.0\.2\.7 on lo\s+is on no subnet/)
    expect(result.stdout).toMatch(
      /FAIL\s+127\.0\.0\.1 on lo\s+is on the interface as 127\.0\.0\.1\/8, not \/32/,
    )
    expect(result.stdout).toContain(
      '-> remove it (ip addr del 127.0.0.1/8 dev lo), or write 127.0.0.1/8 in the config',
    )
    expect(result.stdout).toContain('-> check the interface names in the config with `ip link`')
  })

  it('with running agents: every peer on every link, the same interval, key and addresses, clocks agreeing', async () => {
    const files = await startPair()
    // Until b sees a healthy and holding its own address (not mid-failback), there is no "a addresses" verdict.
    const report = await doctorUntil(
      files.config.b,
      (v) => v['a on public'] === 'pass' && v['a addresses'] !== undefined,
    )
    expect(verdicts(report.checks)).toMatchObject({
      'a on private': 'pass',
      'a on public': 'pass',
      'a settings': 'pass',
      'a addresses': 'pass',
      'a clock': 'pass',
      'heartbeat key': 'pass',
    })
    const ports = (report.checks as Check[]).filter((c) => c.check.startsWith('UDP '))
    expect(ports.map((c) => c.detail)).toEqual(['in use by the running agent', 'in use by the running agent'])
  })

  it('with a peer signing with another key: fails "heartbeat key", naming both key ids', async () => {
    const otherKey = join(dir, 'other.key')
    await runCli(['keygen', otherKey])
    const files = await startPair(otherKey)
    const report = await doctorUntil(files.config.b, (v) => v['heartbeat key'] === 'fail')
    const key = report.checks.find((c) => c.check === 'heartbeat key')
    expect(key).toMatchObject({ verdict: 'fail' })
    expect(key?.detail).toMatch(
      /key 0x[0-9a-f]{2} is not in the key ring\) are dropped \(this node signs with key 0x[0-9a-f]{2}\)/,
    )
    expect(key?.hint).toContain('every node needs the same key')
    expect(verdicts(report.checks)['a on private']).toBe('warn')
  })
})

const nftMissing = (() => {
  try {
    execFileSync('nft', ['--version'], { stdio: 'ignore' })
    return undefined
  } catch {
    return 'nft is not installed (apt-get install nftables)'
  }
})()
const netns = netnsAvailable()
describe.skipIf(!netns.ok || nftMissing !== undefined)(
  `ipfo doctor and the firewall (root, a namespace, nftables) ${netns.reason ?? nftMissing ?? ''}`,
  () => {
    const run = promisify(execFile)
    const ns = `ipfo-doctor-fw-${process.pid}`
    const inNs = (cmd: string, args: string[]) => run('ip', ['netns', 'exec', ns, cmd, ...args])
    const doctor = async (file: string) => {
      const out = await inNs(process.execPath, [BIN, 'doctor', '--config', file, '--json']).catch(
        (error: { stdout: string }) => error,
      )
      return JSON.parse(out.stdout) as { ok: boolean; checks: Check[] }
    }
    beforeEach(async () => {
      await run('ip', ['netns', 'add', ns])
      await inNs('ip', ['link', 'set', 'lo', 'up'])
    })
    afterEach(async () => {
      await run('ip', ['netns', 'delete', ns])
    })

    it('fails a drop policy that lets only SSH in, with the exact rule; that rule then passes', async () => {
      const ruleset = join(dir, 'ssh-only.nft')
      await writeFile(
        ruleset,
        'table inet filter {\n  chain input {\n    type filter hook input priority 0; policy drop;\n    tcp dport 22 accept\n  }\n}\n',
      )
      await inNs('nft', ['-f', ruleset])
      const file = await config('peers:\n  - id: a\n', 41_694)
      const before = await doctor(file)
      expect(before.ok).toBe(false)
      const firewall = before.checks.find((c) => c.check === 'firewall on private')
      expect(firewall).toEqual({
        check: 'firewall on private',
        verdict: 'fail',
        detail: 'UDP 41694 from 127.0.0.1 on lo is dropped by the drop policy of nftables inet filter input',
        hint: 'nft insert rule inet filter input iifname "lo" ip saddr 127.0.0.1 udp dport 41694 accept; then keep it across reboots the way this host keeps its firewall (/etc/nftables.conf, netfilter-persistent, ufw or firewalld)',
      })
      const command = firewall!.hint!.split(';')[0]!
      await inNs('sh', ['-c', command])
      const after = await doctor(file)
      expect(after.checks.find((c) => c.check === 'firewall on private')).toMatchObject({
        verdict: 'pass',
        detail: 'UDP 41694 from 127.0.0.1 on lo is let in (nftables, iptables)',
      })
    })
  },
)
