import { execFileSync } from 'node:child_process'
import { chmod, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { IpBatch } from '../../model/ports.js'
import { ipBatch } from './ip-batch.js'

/**
 * Real iproute2, read-only commands (`link show`), so no root or namespace is needed: what is
 * tested is the conversation with `ip -batch`, not address changes (test/address-linux.test.ts
 * changes addresses through it in namespaces).
 */
const batches: IpBatch[] = []
let dir: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ipfo-ip-batch-'))
})
afterAll(async () => {
  for (const b of batches) b.close()
  await rm(dir, { recursive: true, force: true })
})

function open(opts: Parameters<typeof ipBatch>[0] = {}): IpBatch {
  const batch = ipBatch(opts)
  batches.push(batch)
  return batch
}

/** Our `ip -batch` processes: pgrep -f on an `ip` we name. */
function batchProcesses(ip: string): number {
  try {
    return execFileSync('pgrep', ['-f', `^${ip} -force -batch -$`], { encoding: 'utf8' })
      .trim()
      .split('\n').length
  } catch {
    return 0
  }
}

/** An `ip` stand-in: passes everything to the real ip, after sleeping if `hang` exists. */
async function stallingIp(name: string): Promise<{ ip: string; hang: string }> {
  const ip = join(dir, name)
  const hang = join(dir, `${name}.hang`)
  await writeFile(ip, `#!/bin/sh\nif [ -e '${hang}' ]; then exec sleep 60; fi\nexec ip "$@"\n`)
  await chmod(ip, 0o755)
  return { ip, hang }
}

describe('ipBatch', () => {
  it('answers a command that succeeds with exit 0 and one that fails with its message, like a one-shot ip', async () => {
    const batch = open()
    expect(await batch.run(['link', 'show', 'dev', 'lo'])).toEqual({
      exitCode: 0,
      signal: null,
      stdout: '',
      stderr: '',
    })
    const failed = await batch.run(['link', 'show', 'dev', 'ipfo-nope0'])
    expect(failed).toMatchObject({ exitCode: 1, signal: null })
    expect(failed.stderr).toBe('Device "ipfo-nope0" does not exist.\n')
  })

  it('answers requests made at once in order, each with its own result, from one process', async () => {
    const batch = open()
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        batch.run(['link', 'show', 'dev', i % 3 === 0 ? `ipfo-nope${i}` : 'lo']),
      ),
    )
    results.forEach((r, i) => {
      if (i % 3 === 0) expect(r.stderr).toBe(`Device "ipfo-nope${i}" does not exist.\n`)
      else expect(r).toMatchObject({ exitCode: 0, stderr: '' })
    })
  })

  it('refuses an argument that ip -batch would not read as one word, and sends nothing', async () => {
    const batch = open()
    const result = await batch.run(['link', 'show', 'dev', 'lo; link del lo'])
    expect(result.exitCode).toBe(1)
    expect(result.stderr).toContain('an argument is not one plain word')
    expect(await batch.run(['link', 'show', 'dev', 'lo'])).toMatchObject({ exitCode: 0 })
  })

  it('says when ip is not installed', async () => {
    const result = await open({ ip: join(dir, 'no-such-ip') }).run(['link', 'show'])
    expect(result.exitCode).not.toBe(0)
    expect(result.stderr).toContain('no-such-ip is not installed (not found in PATH)')
  })

  it('kills an ip that does not answer in time, and the next request gets a new one', async () => {
    const { ip, hang } = await stallingIp('ip-stalling')
    await writeFile(hang, '')
    const batch = open({ ip })
    const started = Date.now()
    const result = await batch.run(['link', 'show', 'dev', 'lo'], { timeoutMs: 200 })
    expect(Date.now() - started).toBeLessThan(3000)
    expect(result).toMatchObject({ exitCode: null, signal: 'SIGKILL' })
    expect(result.stderr).toContain('timed out after 200 ms and was killed')
    await rm(hang)
    expect(await batch.run(['link', 'show', 'dev', 'lo'])).toMatchObject({ exitCode: 0 })
  })

  it('does not send a command that could not reach ip in time: it waited behind a stuck one', async () => {
    const { ip, hang } = await stallingIp('ip-late')
    await writeFile(hang, '')
    const batch = open({ ip })
    const stuck = batch.run(['link', 'show', 'dev', 'lo'], { timeoutMs: 300 })
    const late = batch.run(['link', 'show', 'dev', 'lo'], { sendWithinMs: 100 })
    expect(await stuck).toMatchObject({ signal: 'SIGKILL' })
    expect(await late).toMatchObject({ exitCode: 1, signal: null })
    expect((await late).stderr).toContain('not sent to')
    await rm(hang)
    // In time, it is sent.
    expect(await batch.run(['link', 'show', 'dev', 'lo'], { sendWithinMs: 60_000 })).toMatchObject({
      exitCode: 0,
    })
  })

  it('starts a new ip after the old one died, and close() leaves no process behind', async () => {
    // The real ip under a name of its own, so pgrep finds only this test's process.
    const ip = join(dir, 'ip-killed')
    await symlink(execFileSync('sh', ['-c', 'command -v ip'], { encoding: 'utf8' }).trim(), ip)
    const batch = open({ ip })
    batch.start()
    expect(await batch.run(['link', 'show', 'dev', 'lo'])).toMatchObject({ exitCode: 0 })
    expect(batchProcesses(ip)).toBe(1)
    execFileSync('pkill', ['-KILL', '-f', `^${ip} -force -batch -$`])
    // The request after the death may meet the dying process; the one after that has a new ip.
    await batch.run(['link', 'show', 'dev', 'lo'])
    expect(await batch.run(['link', 'show', 'dev', 'lo'])).toMatchObject({ exitCode: 0 })
    batch.close()
    for (let i = 0; i < 100 && batchProcesses(ip) > 0; i++) await new Promise((r) => setTimeout(r, 20))
    expect(batchProcesses(ip)).toBe(0)
  })
})
