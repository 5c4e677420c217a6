import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { chmod, chown, mkdir, mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { runCli } from './run-cli.js'

const isRoot = process.getuid?.() === 0
let dir: string
let hooks: string
const ip = '192.168.1.100'

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ipfo-hooks-cli-'))
  hooks = join(dir, 'hooks')
})
afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

const at = () => ['--dir', hooks, '--config', join(dir, 'none.yaml')]
const add = (hook: string, phase: string, ...rest: string[]) =>
  runCli(['hooks', 'add', hook, '--address', ip, '--phase', phase, ...rest, ...at()])

describe('ipfo hooks add', () => {
  it('writes an executable wrapper and a 0600 sidecar, owned by root', async () => {
    const result = await add(
      'email',
      'PostAcq',
      '--option',
      'url=smtp://mail.example.com:587',
      '--option',
      'timeout=30s',
      '--json',
    )
    expect(result.code).toBe(0)
    const script = join(hooks, ip, 'PostAcq-50-email')
    const installed = JSON.parse(result.stdout)
    expect(installed).toMatchObject({
      hook: 'email',
      from: '@ipfo/hooks-stdlib',
      address: ip,
      phase: 'PostAcq',
      path: script,
    })
    expect(installed.bin).toMatch(/hooks-stdlib\/dist\/bin\/email\.js$/)
    expect(existsSync(installed.bin)).toBe(true)

    const [wrapper, sidecar] = await Promise.all([stat(script), stat(`${script}.json`)])
    expect(wrapper.mode & 0o7777).toBe(0o755)
    expect(sidecar.mode & 0o7777).toBe(0o600)
    if (isRoot) expect([wrapper.uid, wrapper.gid, sidecar.uid]).toEqual([0, 0, 0])
    expect(await readFile(script, 'utf8')).toContain(`exec node '${installed.bin}' "$@"`)
    expect(JSON.parse(await readFile(`${script}.json`, 'utf8'))).toEqual({
      url: 'smtp://mail.example.com:587',
      timeout: '30s',
    })
  })

  it('refuses an inline secret and invalid options, writing nothing', async () => {
    const secret = await add(
      'email',
      'PostAcq',
      '--option',
      'url=smtp://mx:25',
      '--option',
      'user=ipfo',
      '--option',
      'password=hunter2',
    )
    expect(secret.code).toBe(3)
    expect(secret.stderr).toContain('option "password" holds a secret inline')
    expect(secret.stderr).toContain('hint: replace it with "passwordFile"')
    const invalid = await add('mount', 'PreAcq', '--option', 'type=floppy')
    expect(invalid.code).toBe(3)
    expect(invalid.stderr).toMatch(/type: .*\n {2}source: .*\n {2}target: /)
    expect(existsSync(join(hooks, ip))).toBe(false)
  })

  it('refuses to replace a hook unless --force', async () => {
    expect((await add('log', 'PreAcq', '--option', 'to=stdout')).code).toBe(0)
    const again = await add('log', 'PreAcq', '--option', 'to=syslog')
    expect(again.code).toBe(3)
    expect(again.stderr).toContain(
      `hint: pass --force to replace it, or run "ipfo hooks remove ${ip} PreAcq-50-log" first`,
    )
    expect((await add('log', 'PreAcq', '--option', 'to=syslog', '--force')).code).toBe(0)
    expect(JSON.parse(await readFile(join(hooks, ip, 'PreAcq-50-log.json'), 'utf8'))).toEqual({
      to: 'syslog',
    })
  })

  it('installs a third-party package that declares "ipfoHook", by path or by name', async () => {
    const pkg = join(dir, 'node_modules', '@acme', 'ipfo-hook-pager')
    await mkdir(join(pkg, 'dist'), { recursive: true })
    await writeFile(
      join(pkg, 'package.json'),
      JSON.stringify({ name: '@acme/ipfo-hook-pager', ipfoHook: { bin: 'dist/hook.js' } }),
    )
    await writeFile(join(pkg, 'dist', 'hook.js'), 'console.log("paged", process.argv.slice(2).join(" "))\n')
    const byPath = await add(pkg, 'PostAcq', '--order', '70', '--json')
    expect(byPath.code).toBe(0)
    expect(JSON.parse(byPath.stdout)).toMatchObject({
      hook: 'pager',
      from: '@acme/ipfo-hook-pager',
      script: 'PostAcq-70-pager',
    })

    const env = { NODE_PATH: join(dir, 'node_modules') }
    const byName = await runCli(
      ['hooks', 'add', '@acme/ipfo-hook-pager', '--address', ip, '--phase', 'PostRel', ...at()],
      { env },
    )
    expect(byName.code).toBe(0)
    expect(await readFile(join(hooks, ip, 'PostRel-50-pager'), 'utf8')).toContain(
      join(pkg, 'dist', 'hook.js'),
    )

    await writeFile(join(pkg, 'package.json'), JSON.stringify({ name: '@acme/ipfo-hook-pager' }))
    const plain = await add(pkg, 'PostAcq', '--force')
    expect(plain.code).toBe(3)
    expect(plain.stderr).toContain('@acme/ipfo-hook-pager does not export an ipfo hook')
    expect((await add('no-such-hook-pkg', 'PostAcq')).stderr).toContain(
      'neither a stdlib hook nor an installed package',
    )
  })

  it("defaults to the config's hooks.dir", async () => {
    const config = join(dir, 'ipfo.yaml')
    await writeFile(
      config,
      'node: b\nkey: hb.key\nlinks:\n  - { name: private, targets: [10.0.0.1] }\nhooks:\n  dir: ./my-hooks\n',
    )
    const result = await runCli([
      'hooks',
      'add',
      'log',
      '--address',
      ip,
      '--phase',
      'PreAcq',
      '--config',
      config,
      '--json',
    ])
    expect(result.code).toBe(0)
    expect(JSON.parse(result.stdout).path).toBe(join(dir, 'my-hooks', ip, 'PreAcq-50-log'))
  })
})

describe('ipfo hooks list', () => {
  it('shows every hook per address in run order, with mode, owner and refusals', async () => {
    expect((await add('log', 'PostRel', '--option', 'to=stdout')).code).toBe(0)
    expect(
      (
        await add(
          'mount',
          'PreAcq',
          '--order',
          '10',
          '--option',
          'type=tmpfs',
          '--option',
          'source=x',
          '--option',
          'target=/mnt/x',
        )
      ).code,
    ).toBe(0)
    expect((await add('log', 'PostAcq', '--order', '5')).code).toBe(0)
    const folder = join(hooks, ip)
    await writeFile(join(folder, 'Test'), '#!/bin/sh\nexit 0\n', { mode: 0o755 })
    await writeFile(join(folder, 'PreAcq-20-open'), '#!/bin/sh\n', { mode: 0o755 })
    await chmod(join(folder, 'PreAcq-20-open'), 0o757)
    await writeFile(join(folder, 'PostAcq_30_noexec'), '#!/bin/sh\n', { mode: 0o644 })
    await writeFile(join(dir, 'outside'), '#!/bin/sh\n', { mode: 0o755 })
    await symlink(join(dir, 'outside'), join(folder, 'PreRel-10-link'))
    if (isRoot) {
      await writeFile(join(folder, 'PreRel-20-nobody'), '#!/bin/sh\n', { mode: 0o755 })
      await chown(join(folder, 'PreRel-20-nobody'), 65534, 65534)
    }
    await writeFile(join(folder, 'README'), 'not a hook')

    const result = await runCli(['hooks', 'list', '--json', ...at()])
    expect(result.code).toBe(0)
    const { addresses } = JSON.parse(result.stdout)
    expect(addresses).toHaveLength(1)
    const listed = addresses[0].hooks.map((h: { script: string; refused: { reason: string } | null }) => [
      h.script,
      h.refused?.reason.replace(`${folder}/`, '') ?? null,
    ])
    expect(listed).toEqual([
      ['Test', null],
      ['PreAcq-10-mount', null],
      ['PreAcq-20-open', 'PreAcq-20-open is writable by others'],
      ['PostAcq-05-log', null],
      ['PostAcq_30_noexec', 'PostAcq_30_noexec is not executable by its owner'],
      ['PreRel-10-link', `PreRel-10-link is a symlink to ${join(dir, 'outside')}, outside ${hooks}`],
      ...(isRoot ? [['PreRel-20-nobody', 'PreRel-20-nobody is owned by uid 65534, not root']] : []),
      ['PostRel-50-log', null],
    ])
    expect(addresses[0].hooks[1]).toMatchObject({
      stage: 'PreAcq',
      mode: '0755',
      owner: 'root',
      hook: 'mount',
      sidecar: true,
    })

    const text = await runCli(['hooks', 'list', '--address', ip, ...at()])
    expect(text.stdout).toContain(`${ip}:\n  Test    Test`)
    expect(text.stdout).toContain('REFUSED: ')
    const other = await runCli(['hooks', 'list', '--address', '10.9.9.9', '--json', ...at()])
    expect(JSON.parse(other.stdout).addresses).toEqual([])
  })
})

describe('ipfo hooks remove', () => {
  it('removes the script and its sidecar, and explains a missing one', async () => {
    expect((await add('webhook', 'PostAcq', '--option', 'url=https://chat.example.com/hook')).code).toBe(0)
    const result = await runCli(['hooks', 'remove', ip, 'PostAcq-50-webhook', '--json', ...at()])
    expect(result.code).toBe(0)
    const script = join(hooks, ip, 'PostAcq-50-webhook')
    expect(JSON.parse(result.stdout)).toEqual({ removed: [script, `${script}.json`] })
    expect(existsSync(script) || existsSync(`${script}.json`)).toBe(false)
    const again = await runCli(['hooks', 'remove', ip, 'PostAcq-50-webhook', ...at()])
    expect(again.code).toBe(3)
    expect(again.stderr).toContain(`hint: see the installed hooks with "ipfo hooks list --address ${ip}"`)
  })
})

describe('an installed hook, run as the agent runs it', () => {
  it('finds its sidecar through the wrapper and gets the contract argv and variables', async () => {
    const out = join(dir, 'events.jsonl')
    expect(
      (await add('log', 'PostAcq', '--order', '10', '--option', 'to=file', '--option', `path=${out}`)).code,
    ).toBe(0)
    const script = join(hooks, ip, 'PostAcq-10-log')
    const env = {
      PATH: process.env.PATH ?? '',
      IPFO_PHASE: 'PostAcq',
      IPFO_NODE: 'b',
      IPFO_OWNER: 'a',
      IPFO_PEER: 'a',
    }
    const run = await new Promise<{ code: number; stdout: string }>((resolve) => {
      execFile(script, ['acquire', `${ip}/24`, 'eth0'], { env }, (error, stdout) =>
        resolve({ code: error ? 1 : 0, stdout }),
      )
    })
    expect(run).toEqual({ code: 0, stdout: `log: logged acquire of ${ip}/24 to ${out}\n` })
    expect(JSON.parse(await readFile(out, 'utf8'))).toMatchObject({
      action: 'acquire',
      cidr: `${ip}/24`,
      node: 'b',
      phase: 'PostAcq',
    })
  })
})

describe('ipfo hooks add --phase Notify', () => {
  it('refuses a hook that cannot be a Notify hook, naming the ones that can', async () => {
    const { mkdtemp, rm } = await import('node:fs/promises')
    const { tmpdir } = await import('node:os')
    const { join } = await import('node:path')
    const dir = await mkdtemp(join(tmpdir(), 'ipfo-notify-add-'))
    try {
      const result = await runCli(['hooks', 'add', 'log', '--phase', 'Notify', '--dir', dir])
      expect(result.code).toBe(3)
      expect(result.stderr).toContain(
        'ipfo: the log hook cannot be a Notify hook: it only acts on an address',
      )
      expect(result.stderr).toContain('for Notify use email')
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
