import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { HookInvocation } from '../model/hook-contract.js'
import { hookProcessRunner, resolveUser, runHookProcess, SAFE_HOOK_PATH } from './hook-process.js'

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ipfo-hook-process-'))
  await chmod(dir, 0o755)
})
afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

const invocation: HookInvocation = {
  argv: ['acquire', '10.0.0.50/24', 'eth0'],
  env: { IPFO_PHASE: 'PostAcq', IPFO_ADDRESS: '10.0.0.50', FAILOVER_PEER_IP_PAIRS: 'eth0:10.0.0.50/24' },
}

async function script(name: string, body: string): Promise<string> {
  const file = join(dir, name)
  await writeFile(file, `#!/bin/sh\n${body}\n`, { mode: 0o755 })
  return file
}

/** Gone, or a zombie waiting for an init that does not reap (containers): either way it runs no more. */
async function processGone(pid: number): Promise<boolean> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8')
    return /^State:\s+Z/m.test(status)
  } catch {
    return true
  }
}

const run = (file: string, timeoutMs = 5_000, extra = {}) =>
  runHookProcess(file, invocation, { timeoutMs, killGraceMs: 300, ...extra })

describe('runHookProcess', () => {
  it('passes argv and a clean environment: PATH, LANG=C and the contract variables only', async () => {
    process.env.IPFO_TEST_LEAK = 'leaked'
    try {
      const file = await script('dump', 'printf "%s\\n" "$@"; echo ---; env | sort; pwd >&2')
      const result = await run(file)
      const [argv, env] = result.stdout.split('---\n')
      expect(argv).toBe('acquire\n10.0.0.50/24\neth0\n')
      const vars = Object.fromEntries(
        env!
          .trim()
          .split('\n')
          .map((l) => l.split(/=(.*)/s).slice(0, 2)),
      )
      expect(vars).toMatchObject({
        LANG: 'C',
        IPFO_PHASE: 'PostAcq',
        IPFO_ADDRESS: '10.0.0.50',
        FAILOVER_PEER_IP_PAIRS: 'eth0:10.0.0.50/24',
      })
      expect(vars.PATH!.startsWith(SAFE_HOOK_PATH)).toBe(true)
      expect(vars.IPFO_TEST_LEAK).toBeUndefined()
      expect(result.stderr).toBe('/\n')
    } finally {
      delete process.env.IPFO_TEST_LEAK
    }
  })

  it('hands over only the variables hooks.passEnv names, which the contract variables override', async () => {
    const file = await script('dump', 'env | sort')
    const result = await run(file, 5_000, { env: { SMTP_PASSWORD: 's3cret', IPFO_PHASE: 'spoofed' } })
    expect(result.stdout).toContain('SMTP_PASSWORD=s3cret\n')
    expect(result.stdout).toContain('IPFO_PHASE=PostAcq\n')
  })

  it('reports exit codes and signals', async () => {
    expect(await run(await script('ok', 'echo fine'))).toMatchObject({
      exitCode: 0,
      signal: null,
      timedOut: false,
      stdout: 'fine\n',
    })
    expect(await run(await script('three', 'echo bad >&2; exit 3'))).toMatchObject({
      exitCode: 3,
      stderr: 'bad\n',
    })
    expect(await run(await script('killed', 'kill -9 $$'))).toMatchObject({
      exitCode: null,
      signal: 'SIGKILL',
    })
  })

  it('answers like a shell for a file that is missing (127) or cannot be run (126)', async () => {
    const missing = await run(join(dir, 'nothing'))
    expect(missing).toMatchObject({
      exitCode: 127,
      timedOut: false,
      stderr: expect.stringContaining('not found'),
    })
    const plain = join(dir, 'plain')
    await writeFile(plain, 'echo hi\n', { mode: 0o644 })
    expect(await run(plain)).toMatchObject({
      exitCode: 126,
      stderr: expect.stringContaining('permission denied'),
    })
  })

  it('keeps at most maxOutputBytes of each stream and says how much was cut', async () => {
    const file = await script(
      'loud',
      'head -c 100000 /dev/zero | tr "\\0" a; head -c 10 /dev/zero | tr "\\0" b >&2',
    )
    const result = await run(file, 5_000, { maxOutputBytes: 16 * 1024 })
    expect(result.exitCode).toBe(0)
    expect(result.stdout.startsWith('a'.repeat(16 * 1024))).toBe(true)
    expect(result.stdout).toContain(`[ipfo: ${100_000 - 16 * 1024} more bytes not kept]`)
    expect(result.stderr).toBe('bbbbbbbbbb')
  })

  it('kills the whole process group at the timeout, grandchildren included', async () => {
    const pids = join(dir, 'pids')
    const file = await script('hang', `sleep 1000 & echo $! > ${pids}; sleep 1000`)
    const started = Date.now()
    const result = await run(file, 300)
    expect(result).toMatchObject({ timedOut: true, exitCode: null, signal: 'SIGTERM' })
    expect(result.stderr).toContain('timed out after 300 ms')
    expect(Date.now() - started).toBeLessThan(3_000)
    const grandchild = Number((await readFile(pids, 'utf8')).trim())
    expect(grandchild).toBeGreaterThan(0)
    expect(await processGone(grandchild)).toBe(true)
  })

  it('uses SIGKILL after the grace period when the group ignores SIGTERM', async () => {
    const file = await script('stubborn', "trap '' TERM; sleep 1000")
    const started = Date.now()
    const result = await run(file, 200)
    expect(result).toMatchObject({ timedOut: true, signal: 'SIGKILL' })
    expect(Date.now() - started).toBeGreaterThanOrEqual(450)
    expect(Date.now() - started).toBeLessThan(3_000)
  })

  it('stops what a hook left behind in its group when it exits, instead of leaving an orphan', async () => {
    const pids = join(dir, 'pids')
    const file = await script('leaves', `sleep 1000 & echo $! > ${pids}; echo started`)
    const started = Date.now()
    const result = await run(file)
    expect(result).toMatchObject({ exitCode: 0, timedOut: false, stdout: 'started\n' })
    expect(result.stderr).toContain('left processes in its process group')
    expect(Date.now() - started).toBeLessThan(3_000)
    expect(await processGone(Number((await readFile(pids, 'utf8')).trim()))).toBe(true)
  })
})

describe.skipIf(process.getuid?.() !== 0)('hookProcessRunner as root', () => {
  it('runs the hook as the configured user', async () => {
    const nobody = await resolveUser('nobody')
    const file = await script('whoami', 'id -u; id -g')
    const result = await hookProcessRunner({ killGraceMs: 300 })(file, invocation, 5_000, 'nobody')
    expect(result).toMatchObject({ exitCode: 0, stdout: `${nobody.uid}\n${nobody.gid}\n` })
    expect(nobody.uid).not.toBe(0)
  })

  it('does not run a hook whose user does not exist', async () => {
    const file = await script('never', 'echo ran')
    const result = await hookProcessRunner()(file, invocation, 5_000, 'ipfo-no-such-user')
    expect(result).toMatchObject({ exitCode: 126, stdout: '' })
    expect(result.stderr).toContain('hook user "ipfo-no-such-user" not found')
  })
})
