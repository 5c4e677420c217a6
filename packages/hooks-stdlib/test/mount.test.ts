import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { readHookEvent } from '../src/define-hook.js'
import { mountHook } from '../src/hooks/mount.js'
import { systemDeps } from '../src/main.js'
import { parseHookOptions } from '../src/sidecar.js'
import { invocation } from './hook-invocation.js'

const isRoot = process.getuid?.() === 0
let dir: string
let children: ChildProcess[] = []

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ipfo-mount-'))
})

afterEach(async () => {
  for (const child of children)
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  children = []
  // Whatever a failed test left mounted under the temp folder goes, innermost first.
  const mounts = spawnSync('findmnt', ['-rn', '-o', 'TARGET'], { encoding: 'utf8' }).stdout.split('\n')
  for (const target of mounts.filter((t) => t.startsWith(`${dir}/`)).reverse()) {
    spawnSync('umount', ['-l', target])
  }
  await rm(dir, { recursive: true, force: true })
})

function isMounted(target: string): boolean {
  return spawnSync('findmnt', ['--mountpoint', target]).status === 0
}

async function runMount(
  action: 'acquire' | 'release',
  raw: Record<string, unknown>,
  onNote: (line: string) => void = () => {},
) {
  const { env, argv } = invocation({ action, stage: action === 'acquire' ? 'PreAcq' : 'PostRel' })
  const event = await readHookEvent(env, argv)
  const notes: string[] = []
  const note = (line: string) => {
    notes.push(line)
    onNote(line)
  }
  const outcome = await mountHook.run(event, parseHookOptions(mountHook, raw), systemDeps({}, { note }))
  return { ...outcome, notes }
}

/** Starts `sleep 1000` with its working folder inside `cwd`, as a shell left in a share would. */
function holdWith(cwd: string): ChildProcess {
  const child = spawn('sleep', ['1000'], { cwd, stdio: 'ignore' })
  children.push(child)
  return child
}

function exited(child: ChildProcess): Promise<NodeJS.Signals | number | null> {
  if (child.exitCode !== null || child.signalCode !== null)
    return Promise.resolve(child.signalCode ?? child.exitCode)
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve(signal ?? code)))
}

// Each of these runs a score of real commands (findmnt, mount, fuser, umount) with polling in
// between: 2 s on an idle machine, and 30 s and more when the namespace suites share the two cores.
describe.skipIf(!isRoot)('mount hook on a real tmpfs', { timeout: 120_000 }, () => {
  const options = () => ({
    type: 'tmpfs',
    source: `ipfo-test-${randomBytes(4).toString('hex')}`,
    target: join(dir, 'mnt'),
    mountOptions: 'size=4m,mode=0755',
    grace: '300ms',
    killAfter: '2s',
  })

  it('mounts (creating the mount point), is idempotent, and refuses a foreign mount', async () => {
    const o = options()
    const first = await runMount('acquire', o)
    expect(first).toMatchObject({ ok: true, summary: `mounted ${o.source} on ${o.target} (tmpfs)` })
    expect(isMounted(o.target)).toBe(true)
    await writeFile(join(o.target, 'marker'), 'kept')

    const again = await runMount('acquire', o)
    expect(again).toMatchObject({ ok: true, summary: `${o.source} is already mounted on ${o.target}` })
    expect(await readFile(join(o.target, 'marker'), 'utf8')).toBe('kept')

    const foreign = await runMount('acquire', { ...o, source: 'someone-else' })
    expect(foreign.ok).toBe(false)
    expect(foreign.summary).toContain(`already has ${o.source} (tmpfs) mounted`)

    expect(await runMount('release', o)).toMatchObject({ ok: true, summary: `unmounted ${o.target}` })
    expect(isMounted(o.target)).toBe(false)
    expect(await runMount('release', o)).toMatchObject({ ok: true, summary: `${o.target} is not mounted` })
  })

  it('stops a process holding the mount after the grace period, then unmounts', async () => {
    const o = options()
    expect((await runMount('acquire', o)).ok).toBe(true)
    const holder = holdWith(o.target)
    const started = Date.now()
    const result = await runMount('release', o)
    expect(result.ok).toBe(true)
    expect(result.summary).toBe(`unmounted ${o.target} after stopping process ${holder.pid}`)
    expect(Date.now() - started).toBeGreaterThanOrEqual(300)
    expect(await exited(holder)).toBe('SIGTERM')
    expect(isMounted(o.target)).toBe(false)
    expect(result.notes.join('\n')).toContain(
      `sent SIGTERM to the processes using ${o.target}: ${holder.pid}`,
    )
  })
})

describe.skipIf(!isRoot)('mount hook with a real bind mount', { timeout: 120_000 }, () => {
  it('mounts, is idempotent, and stops only the processes inside it on unmount', async () => {
    const source = join(dir, 'data')
    const target = join(dir, 'srv', 'data')
    await mkdir(join(source, 'sub'), { recursive: true })
    await writeFile(join(source, 'file'), 'hello')
    const o = { type: 'bind', source, target, grace: '300ms', killAfter: '2s' }

    const mounted = await runMount('acquire', o)
    expect(mounted.ok).toBe(true)
    expect(mounted.summary.startsWith(`mounted ${source} on ${target} (`)).toBe(true)
    expect(await readFile(join(target, 'file'), 'utf8')).toBe('hello')
    expect(await runMount('acquire', o)).toMatchObject({
      ok: true,
      summary: `${source} is already mounted on ${target}`,
    })

    // A process in the source folder shares the device but not the mount: it must be left alone.
    const bystander = holdWith(join(source, 'sub'))
    const holder = holdWith(join(target, 'sub'))
    const result = await runMount('release', o)
    expect(result).toMatchObject({
      ok: true,
      summary: `unmounted ${target} after stopping process ${holder.pid}`,
    })
    expect(await exited(holder)).toBe('SIGTERM')
    expect(bystander.exitCode).toBeNull()
    expect(bystander.signalCode).toBeNull()
    expect(isMounted(target)).toBe(false)
    expect(await readFile(join(source, 'file'), 'utf8')).toBe('hello')
  })

  it('waits for a process that leaves within the grace instead of stopping it', async () => {
    const source = join(dir, 'data')
    const target = join(dir, 'mnt')
    await mkdir(source)
    const o = { type: 'bind', source, target, grace: '8s', killAfter: '1s' }
    expect((await runMount('acquire', o)).ok).toBe(true)
    // A user that leaves when told: once the hook has found the mount busy, well within the grace.
    const brief = spawn('sh', ['-c', 'read line'], { cwd: target, stdio: ['pipe', 'ignore', 'ignore'] })
    children.push(brief)
    const result = await runMount('release', o, (line) => {
      if (line.includes('is busy')) brief.stdin?.end('leave\n')
    })
    expect(result).toMatchObject({ ok: true, summary: `unmounted ${target} once its users left` })
    expect(await exited(brief)).toBe(0)
  })
})
