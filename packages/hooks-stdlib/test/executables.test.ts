import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { STDLIB_HOOKS, stdlibHookBin } from '../src/registry.js'
import { invocation } from './hook-invocation.js'

const DIST_BIN = (name: string) => fileURLToPath(new URL(`../dist/bin/${name}.js`, import.meta.url))

function run(script: string, args: readonly string[], env: Record<string, string>) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      [script, ...args],
      { env: { PATH: process.env.PATH ?? '', ...env } },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    )
  })
}

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ipfo-bin-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('hook executables (built)', () => {
  it('has one per stdlib hook, at the path ipfo hooks add uses', () => {
    expect(STDLIB_HOOKS.map((h) => stdlibHookBin(h).endsWith(`/src/bin/${h}.js`))).toEqual(
      STDLIB_HOOKS.map(() => true),
    )
  })

  it('reads the event and the sidecar named by IPFO_HOOK_OPTIONS_FILE, exits 0', async () => {
    const out = join(dir, 'events.jsonl')
    const sidecar = join(dir, 'PostAcq-10-log.json')
    await writeFile(sidecar, JSON.stringify({ to: 'file', path: out }), { mode: 0o600 })
    const result = await run(DIST_BIN('log'), invocation().argv, {
      ...invocation().env,
      IPFO_HOOK_OPTIONS_FILE: sidecar,
    })
    expect(result).toMatchObject({ code: 0, stdout: `log: logged acquire of 192.168.1.100/24 to ${out}\n` })
    expect(JSON.parse(await readFile(out, 'utf8'))).toMatchObject({ action: 'acquire', node: 'b' })
  })

  it('exits 2 with the reason and a hint on an inline secret or a bad call', async () => {
    const sidecar = join(dir, 'PostAcq-50-webhook.json')
    await writeFile(sidecar, JSON.stringify({ url: 'https://chat.example.com/hook', token: 'abc' }), {
      mode: 0o600,
    })
    const secret = await run(DIST_BIN('webhook'), invocation().argv, {
      ...invocation().env,
      IPFO_HOOK_OPTIONS_FILE: sidecar,
    })
    expect(secret.code).toBe(2)
    expect(secret.stderr).toContain('webhook: option "token" holds a secret inline')
    expect(secret.stderr).toContain('hint: replace it with "tokenFile"')
    const usage = await run(DIST_BIN('log'), ['promote'], {})
    expect(usage.code).toBe(2)
    expect(usage.stderr).toContain('log: the action is "promote"')
  })
})
