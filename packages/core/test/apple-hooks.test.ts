import { chmod, copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { hookProcessRunner } from '../src/adapters/hook-process.js'
import { type HooksConfig, hooksSchema } from '../src/config/schema.js'
import { appleHooks } from '../src/hooks/apple-hooks.js'
import type { HookContext } from '../src/model/hook-contract.js'
import type { EventBody } from '../src/state-machine/effects.js'

const asRoot = process.getuid?.() === 0
let root: string
let dir: string
let resultsDir: string
let log: string
let events: EventBody[]

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'ipfo-apple-hooks-'))
  await chmod(root, 0o755)
  dir = join(root, 'hooks')
  resultsDir = join(root, 'results')
  log = join(root, 'ran.log')
  await mkdir(dir, { mode: 0o755 })
  events = []
})
afterEach(async () => {
  await rm(root, { recursive: true, force: true })
})

const ctx: HookContext = {
  action: 'acquire',
  owner: 'a',
  node: 'b',
  peer: 'a',
  addresses: [
    { interface: 'eth0', ip: '10.0.0.50', prefix: 24 },
    { interface: 'eth0', ip: 'fd00::50', prefix: 64 },
  ],
  reason: 'peer a lost',
  eventTime: Date.UTC(2024, 0, 2, 3, 4, 5),
  detectionMs: 3000,
}

function hooks(config: Record<string, unknown> = {}, runAsRoot = asRoot) {
  const parsed: HooksConfig = hooksSchema.parse({ timeout: '5s', ...config })
  return appleHooks({
    dir,
    config: parsed,
    runAsRoot,
    emit: (e) => events.push(e),
    run: hookProcessRunner({ killGraceMs: 200 }),
    resultsDir,
  })
}

/** A hook that logs "<phase> <name> <address>" and then runs `then`. */
async function hook(ip: string, name: string, then = 'exit 0', mode = 0o755): Promise<string> {
  await mkdir(join(dir, ip), { recursive: true, mode: 0o755 })
  const file = join(dir, ip, name)
  const body = `#!/bin/sh\necho "$IPFO_PHASE ${name} $IPFO_ADDRESS $IPFO_ACTION" >> ${log}\n${then}\n`
  await writeFile(file, body, { mode })
  await chmod(file, mode)
  return file
}

const ran = async () => (await readFile(log, 'utf8').catch(() => '')).trim().split('\n').filter(Boolean)
const finished = () => events.filter((e) => e.kind === 'hook-finished')

describe('reading the folders', () => {
  it('reads each folder once per checklist; the next checklist reads it again', async () => {
    const h = hooks()
    await hook('10.0.0.50', 'Test')
    const first = { ...ctx }
    expect(await h.gate(first)).toBe('proceed')
    // Added while the checklist runs: that checklist goes on with what it read at its start...
    await hook('10.0.0.50', 'PreAcq-10')
    expect(await h.runPhase('PreAcq', first)).toEqual({ ok: true })
    expect(await ran()).toEqual(['Test Test 10.0.0.50 acquire'])
    // ...and the next one sees it.
    expect(await h.runPhase('PreAcq', { ...ctx })).toEqual({ ok: true })
    expect(await ran()).toEqual(['Test Test 10.0.0.50 acquire', 'PreAcq PreAcq-10 10.0.0.50 acquire'])
  })
})

describe('gate', () => {
  it('proceeds when there is no hooks folder, no address folder or no Test', async () => {
    expect(await appleHooks({ ...optsOf(), dir: join(root, 'missing') }).gate(ctx)).toBe('proceed')
    expect(await hooks().gate(ctx)).toBe('proceed')
    await hook('10.0.0.50', 'PreAcq-10')
    expect(await hooks().gate(ctx)).toBe('proceed')
    expect(await ran()).toEqual([])
  })

  it("runs every address's Test and proceeds when all exit 0", async () => {
    await hook('10.0.0.50', 'Test')
    await hook('fd00::50', 'Test')
    expect(await hooks().gate(ctx)).toBe('proceed')
    expect(await ran()).toEqual(['Test Test 10.0.0.50 acquire', 'Test Test fd00::50 acquire'])
  })

  it('a copy of /usr/bin/false as Test means notification only, for the whole checklist', async () => {
    await mkdir(join(dir, '10.0.0.50'), { mode: 0o755 })
    await copyFile('/usr/bin/false', join(dir, '10.0.0.50', 'Test'))
    await hook('fd00::50', 'Test')
    expect(await hooks().gate(ctx)).toBe('notify-only')
    expect(await ran()).toEqual([]) // the second address's Test is not needed
    expect(finished()).toMatchObject([{ phase: 'Test', exitCode: 1 }])
  })

  it('is consulted before releasing too', async () => {
    await hook('10.0.0.50', 'Test', '[ "$IPFO_ACTION" = acquire ]')
    expect(await hooks().gate(ctx)).toBe('proceed')
    expect(await hooks().gate({ ...ctx, action: 'release' })).toBe('notify-only')
  })

  it('a Test that times out means notification only, with an error event', async () => {
    await hook('10.0.0.50', 'Test', 'sleep 1000')
    const started = Date.now()
    expect(await hooks({ phases: { Test: { timeout: '200ms' } } }).gate(ctx)).toBe('notify-only')
    expect(Date.now() - started).toBeLessThan(3_000)
    expect(finished()).toMatchObject([{ phase: 'Test', timedOut: true }])
    expect(events.find((e) => e.kind === 'error')).toMatchObject({
      message: expect.stringContaining('did not answer within its timeout'),
    })
  })
})

describe('runPhase', () => {
  it('runs the phase scripts per address in checklist order, then in byte order', async () => {
    await hook('fd00::50', 'PostAcq-10-v6')
    await hook('10.0.0.50', 'PostAcq_20_web')
    await hook('10.0.0.50', 'PostAcq-50-email')
    await hook('10.0.0.50', 'PostAcq-10-mount')
    await hook('10.0.0.50', 'PostAcquire')
    await hook('10.0.0.50', 'PostAcq-10-mount~')
    await writeFile(join(dir, '10.0.0.50', 'PostAcq-50-email.json'), '{}', { mode: 0o600 })
    await hook('10.0.0.50', 'PreAcq-10')
    expect(await hooks().runPhase('PostAcq', ctx)).toEqual({ ok: true })
    expect(await ran()).toEqual([
      'PostAcq PostAcq-10-mount 10.0.0.50 acquire',
      'PostAcq PostAcq-50-email 10.0.0.50 acquire',
      'PostAcq PostAcq_20_web 10.0.0.50 acquire',
      'PostAcq PostAcquire 10.0.0.50 acquire',
      'PostAcq PostAcq-10-v6 fd00::50 acquire',
    ])
    expect(finished().map((e) => e.kind === 'hook-finished' && e.script)).toEqual([
      join(dir, '10.0.0.50', 'PostAcq-10-mount'),
      join(dir, '10.0.0.50', 'PostAcq-50-email'),
      join(dir, '10.0.0.50', 'PostAcq_20_web'),
      join(dir, '10.0.0.50', 'PostAcquire'),
      join(dir, 'fd00::50', 'PostAcq-10-v6'),
    ])
  })

  it('awaits beforeFirstScript once, before the first script starts, and not at all for a phase without one', async () => {
    await hook('10.0.0.50', 'PreAcq-10')
    await hook('fd00::50', 'PreAcq-10')
    const seen: string[] = []
    const beforeFirstScript = async () => {
      await new Promise((r) => setTimeout(r, 20))
      // Nothing has run yet when it resolves.
      seen.push(`before, after ${(await ran()).length} runs`)
    }
    expect(await hooks().runPhase('PreAcq', ctx, { beforeFirstScript })).toEqual({ ok: true })
    expect(seen).toEqual(['before, after 0 runs'])
    expect(await ran()).toHaveLength(2)
    expect(await hooks().runPhase('PostAcq', ctx, { beforeFirstScript })).toEqual({ ok: true })
    expect(seen).toHaveLength(1)
  })

  it('by default reports a failing script and goes on', async () => {
    await hook('10.0.0.50', 'PreAcq-10', 'echo oops >&2; exit 4')
    await hook('10.0.0.50', 'PreAcq-20')
    expect(await hooks().runPhase('PreAcq', ctx)).toEqual({ ok: true })
    expect(await ran()).toHaveLength(2)
    expect(finished()).toMatchObject([{ exitCode: 4, stderr: 'oops\n' }, { exitCode: 0 }])
  })

  it('strict: the first failing script ends the phase with the reason', async () => {
    await hook('10.0.0.50', 'PreAcq-10')
    await hook('10.0.0.50', 'PreAcq-20', 'exit 2')
    await hook('10.0.0.50', 'PreAcq-30')
    await hook('fd00::50', 'PreAcq-10')
    const outcome = await hooks({ phases: { PreAcq: { strict: true } } }).runPhase('PreAcq', ctx)
    expect(outcome).toEqual({
      ok: false,
      reason: `strict PreAcq hook ${join(dir, '10.0.0.50', 'PreAcq-20')} exited 2`,
    })
    expect(await ran()).toEqual(['PreAcq PreAcq-10 10.0.0.50 acquire', 'PreAcq PreAcq-20 10.0.0.50 acquire'])
  })

  it('strict: a script that times out fails the phase', async () => {
    await hook('10.0.0.50', 'PostRel-10', 'sleep 1000')
    const config = { phases: { PostRel: { strict: true, timeout: '200ms' } } }
    const outcome = await hooks(config).runPhase('PostRel', { ...ctx, action: 'release' })
    expect(outcome).toMatchObject({ ok: false, reason: expect.stringContaining('timed out after 200 ms') })
  })

  it('gives every hook of a checklist the same results file, with the results so far', async () => {
    await hook('10.0.0.50', 'Test')
    await hook('10.0.0.50', 'PostAcq-10', 'echo ten')
    await hook('10.0.0.50', 'PostAcq-20', 'cat "$IPFO_RESULTS_FILE"')
    const port = hooks()
    await port.gate(ctx)
    await port.runPhase('PostAcq', ctx)
    const seen = finished().at(-1)
    const lines = (seen?.kind === 'hook-finished' ? seen.stdout : '')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
    expect(lines).toMatchObject([
      { phase: 'Test', address: '10.0.0.50/24', exitCode: 0 },
      { phase: 'PostAcq', script: join(dir, '10.0.0.50', 'PostAcq-10'), stdout: 'ten\n', timedOut: false },
    ])
    await port.gate({ ...ctx, eventTime: ctx.eventTime + 1 })
    expect(await readdir(resultsDir)).toHaveLength(2)
  })

  it('writes no results file when no hook runs', async () => {
    await hooks().gate(ctx)
    await hooks().runPhase('PreAcq', ctx)
    expect(await readdir(resultsDir).catch(() => 'none')).toBe('none')
  })

  it('keeps only the newest results files', async () => {
    await mkdir(resultsDir)
    for (let i = 0; i < 60; i++) await writeFile(join(resultsDir, `${1000 + i}-a-acquire.jsonl`), '')
    await hook('10.0.0.50', 'Test')
    await hooks().gate(ctx)
    const left = await readdir(resultsDir)
    expect(left).toHaveLength(50)
    expect(left).toContain(`${ctx.eventTime}-a-acquire.jsonl`)
    expect(left).not.toContain('1010-a-acquire.jsonl')
  })

  it('does not block the event loop while a hook runs', async () => {
    await hook('10.0.0.50', 'PostAcq-10', 'sleep 0.3')
    let ticks = 0
    const timer = setInterval(() => ticks++, 10)
    await hooks().runPhase('PostAcq', ctx)
    clearInterval(timer)
    expect(ticks).toBeGreaterThan(10)
  })
})

describe.skipIf(!asRoot)('unsafe hooks, as root', () => {
  it('are refused with an event, not run, and recorded', async () => {
    const file = await hook('10.0.0.50', 'PostAcq-10', 'exit 0', 0o777)
    await hook('10.0.0.50', 'PostAcq-20')
    expect(await hooks({}, true).runPhase('PostAcq', ctx)).toEqual({ ok: true })
    expect(await ran()).toEqual(['PostAcq PostAcq-20 10.0.0.50 acquire'])
    expect(events[0]).toEqual({
      kind: 'hook-refused',
      phase: 'PostAcq',
      path: file,
      reason: `${file} is writable by its group and others`,
      fix: `chmod go-w ${file}`,
    })
    const results = await readFile(join(resultsDir, (await readdir(resultsDir))[0]!), 'utf8')
    expect(JSON.parse(results.split('\n')[0]!)).toMatchObject({ script: file, fix: `chmod go-w ${file}` })
  })

  it('count as failures under strict', async () => {
    await hook('10.0.0.50', 'PreRel-10', 'exit 0', 0o644)
    const outcome = await hooks({ phases: { PreRel: { strict: true } } }, true).runPhase('PreRel', ctx)
    expect(outcome).toMatchObject({
      ok: false,
      reason: expect.stringContaining('not executable by its owner'),
    })
  })

  it('an unsafe Test means notification only', async () => {
    await hook('10.0.0.50', 'Test', 'exit 0', 0o757)
    expect(await hooks({}, true).gate(ctx)).toBe('notify-only')
    expect(events.map((e) => e.kind)).toEqual(['hook-refused'])
  })

  it('are run when the agent is not root (the checks are for root)', async () => {
    await hook('10.0.0.50', 'PostAcq-10', 'exit 0', 0o777)
    await hooks({}, false).runPhase('PostAcq', ctx)
    expect(await ran()).toHaveLength(1)
  })
})

function optsOf() {
  return {
    dir,
    config: hooksSchema.parse({}),
    runAsRoot: asRoot,
    emit: (e: EventBody) => events.push(e),
    run: hookProcessRunner(),
    resultsDir,
  }
}
