import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCli } from './run-cli.js'

let dir: string
let key: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ipfo-config-cli-'))
  key = join(dir, 'hb.key')
  expect((await runCli(['keygen', key])).code).toBe(0)
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

const good = (keyPath: string) => `node: b
key: ${keyPath}
interval: 20ms
deadAfter: 60ms
links:
  - { name: private, targets: [10.0.0.1] }
peers:
  - id: a
    takeover:
      - { interface: eth0, address: 192.168.1.100/24 }
`

describe('ipfo config check', () => {
  it('accepts a valid config and reports its detection time', async () => {
    const file = join(dir, 'good.yaml')
    await writeFile(file, good(key))
    const result = await runCli(['config', 'check', '--config', file, '--json'])
    expect(result.code).toBe(0)
    expect(JSON.parse(result.stdout)).toEqual({
      file,
      ok: true,
      node: 'b',
      detectionMs: 60,
      links: ['private'],
      peers: ['a'],
      checks: [],
      metrics: null,
    })
  })

  it('prints the metrics endpoint, and warns when other machines can reach it', async () => {
    const file = join(dir, 'metrics.yaml')
    await writeFile(file, `${good(key)}metrics: { listen: "127.0.0.1:9694" }\n`)
    const local = await runCli(['config', 'check', '--config', file])
    expect(local.stdout).toContain('metrics: http://127.0.0.1:9694/metrics')
    expect(local.stdout).not.toContain('reachable from other machines')
    await writeFile(file, `${good(key)}metrics: { listen: "[::]:9694", path: /m }\n`)
    const open = await runCli(['config', 'check', '--config', file, '--json'])
    expect(JSON.parse(open.stdout).metrics).toBe('http://[::]:9694/m')
    expect((await runCli(['config', 'check', '--config', file])).stdout).toContain(
      'metrics: http://[::]:9694/m (reachable from other machines, without authentication: ipfo doctor says more)',
    )
  })

  it('lists the health checks with the addresses that require them', async () => {
    const file = join(dir, 'checks.yaml')
    await writeFile(
      file,
      good(key).replace('address: 192.168.1.100/24 }', 'address: 192.168.1.100/24, requires: [web] }') +
        'checks:\n  web: { kind: tcp, port: 80, interval: 100ms }\n  spare: { kind: interface, interface: eth1 }\n',
    )
    const result = await runCli(['config', 'check', '--config', file])
    expect(result.code).toBe(0)
    expect(result.stdout).toContain('check web: tcp every 100ms, required by 192.168.1.100')
    expect(result.stdout).toContain(
      'check spare: interface every 1000ms, required by no address (it runs, and moves nothing)',
    )
  })

  it('refuses a required check that is not defined, with the line and the fix, and exits 3', async () => {
    const file = join(dir, 'unknown-check.yaml')
    await writeFile(
      file,
      good(key).replace('address: 192.168.1.100/24 }', 'address: 192.168.1.100/24, requires: [web] }'),
    )
    const result = await runCli(['config', 'check', '--config', file])
    expect(result.code).toBe(3)
    expect(result.stderr).toContain(
      `${file}:10 peers[0].takeover[0].requires[0]: no check is named "web": define it under "checks", e.g. checks: { web: { kind: tcp, port: 80 } }`,
    )
  })

  it('names the file, line and field of each problem and exits 3, without a stack trace', async () => {
    const file = join(dir, 'bad.yaml')
    await writeFile(file, `${good(key)}deadafter: 3s\nport: "1694"\n`)
    const result = await runCli(['config', 'check', '--config', file])
    expect(result.code).toBe(3)
    expect(result.stderr).toContain(
      `${file}:11 deadafter: unknown key "deadafter"; did you mean "deadAfter"?`,
    )
    expect(result.stderr).toContain(`${file}:12 port: expected a number`)
    expect(result.stderr).not.toMatch(/\n\s+at /)
  })

  it('refuses a key that others can read, naming the key field', async () => {
    const loose = join(dir, 'loose.key')
    expect((await runCli(['keygen', loose])).code).toBe(0)
    const { chmod } = await import('node:fs/promises')
    await chmod(loose, 0o644)
    const file = join(dir, 'loose.yaml')
    await writeFile(file, good(loose))
    const result = await runCli(['config', 'check', '--config', file])
    expect(result.code).toBe(3)
    expect(result.stderr).toContain('mode 644')
    expect(result.stderr).toContain(`chmod 600 ${loose}`)
  })
})

describe('ipfo config schema', () => {
  it('prints the JSON Schema of the config file', async () => {
    const result = await runCli(['config', 'schema', '--json'])
    expect(result.code).toBe(0)
    const schema = JSON.parse(result.stdout)
    expect(schema.$id).toBe('https://ipfo.dev/schema/config.json')
    expect(schema.required).toEqual(expect.arrayContaining(['node', 'key', 'links']))
  })
})

describe('ipfo config import-hostconfig', () => {
  it("turns an Apple secondary's hostconfig into a config that passes config check", async () => {
    const hostconfig = join(dir, 'hostconfig')
    await writeFile(
      hostconfig,
      '# Apple\nAFPSERVER=-YES-\nFAILOVER_PEER_IP="10.0.0.1"\nFAILOVER_PEER_IP_PAIRS="en0:100.0.0.10"\nFAILOVER_EMAIL_RECIPIENT="admin@example.com"\n',
    )
    const result = await runCli(['config', 'import-hostconfig', hostconfig, '--key', key])
    expect(result.code).toBe(0)
    expect(result.stdout).toContain('100.0.0.10/32')
    const imported = join(dir, 'imported.yaml')
    await writeFile(imported, result.stdout)
    const check = await runCli(['config', 'check', '--config', imported, '--json'])
    expect(check.code).toBe(0)
    expect(JSON.parse(check.stdout)).toMatchObject({ node: 'secondary', peers: ['primary'] })
  })

  it('explains which keys it expected when there are none', async () => {
    const hostconfig = join(dir, 'empty-hostconfig')
    await writeFile(hostconfig, 'HOSTNAME=-AUTOMATIC-\n')
    const result = await runCli(['config', 'import-hostconfig', hostconfig, '--key', key])
    expect(result.code).toBe(3)
    expect(result.stderr).toMatch(/FAILOVER_BCAST_IPS/)
  })
})
