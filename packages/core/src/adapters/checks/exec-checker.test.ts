import { spawn } from 'node:child_process'
import { chmod, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { type ExecChecker, type ExecCheckerOptions, startExecChecker } from './exec-checker.js'

/** Real processes through the real perl helper: nothing of it is faked. */
let dir: string
const checkers: ExecChecker[] = []
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ipfo-exec-checker-'))
  await chmod(dir, 0o755)
})
afterEach(async () => {
  await Promise.all(checkers.splice(0).map((c) => c.close()))
  await rm(dir, { recursive: true, force: true })
})

const PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
function checker(opts: ExecCheckerOptions = {}): ExecChecker {
  const c = startExecChecker({ path: PATH, ...opts })
  checkers.push(c)
  return c
}

async function script(name: string, body: string, mode = 0o755): Promise<string> {
  const file = join(dir, name)
  await writeFile(file, `#!/bin/sh\n${body}\n`, { mode })
  return file
}

/** The pids of a process group's members that still run (a zombie waiting for an init that does not reap runs no more). */
async function groupMembers(pgid: number): Promise<number[]> {
  const members: number[] = []
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '')
    // After the command's name in parentheses: state, ppid, pgrp.
    const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    if (Number(pgrp) === pgid && state !== 'Z') members.push(Number(entry))
  }
  return members
}

async function until(what: string, probe: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!(await probe())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

const pidIn = async (file: string) => Number((await readFile(file, 'utf8')).trim())
const exists = (file: string) =>
  readFile(file).then(
    () => true,
    () => false,
  )

describe('startExecChecker', () => {
  it('passes a check that exits 0, fails one that exits 1, with what it said on stderr', async () => {
    const c = checker()
    expect(await c.run(['true'], 5_000)).toMatchObject({ ok: true, detail: 'exit 0' })
    expect(await c.run(['false'], 5_000)).toMatchObject({ ok: false, detail: 'exit 1' })
    const said = await script(
      'down',
      'echo "checking..."\necho "\n  db is down: connection refused  " >&2\necho more >&2\nexit 3',
    )
    expect(await c.run([said], 5_000)).toMatchObject({
      ok: false,
      detail: 'exit 3: db is down: connection refused',
    })
    const long = await script('long', `printf '%0500d\\n' 0 >&2; exit 2`)
    expect((await c.run([long], 5_000)).detail).toBe(`exit 2: ${'0'.repeat(200)}...`)
  })

  it('passes argv as it is: spaces, newlines, quotes and non-ASCII reach the program unchanged', async () => {
    const c = checker()
    const out = join(dir, 'argv')
    const args = ['a b', 'line\nbreak', `"'$HOME;\``, 'é✓', '', '-']
    const dump = await script('dump', 'out=$1; shift; for a in "$@"; do printf "%s\\0" "$a"; done > "$out"')
    expect((await c.run([dump, out, ...args], 5_000)).ok).toBe(true)
    expect((await readFile(out, 'utf8')).split('\0').slice(0, -1)).toEqual(args)
  })

  it('says not found for a program that does not exist (a shell gives 127), cannot run for one without x (126)', async () => {
    const c = checker()
    expect(await c.run(['/usr/local/bin/ipfo-no-such-check'], 5_000)).toMatchObject({
      ok: false,
      detail: 'not found: /usr/local/bin/ipfo-no-such-check',
    })
    expect(await c.run(['ipfo-no-such-check-in-path'], 5_000)).toMatchObject({
      detail: 'not found: ipfo-no-such-check-in-path',
    })
    const plain = await script('not-executable', 'exit 0', 0o644)
    expect(await c.run([plain], 5_000)).toMatchObject({
      ok: false,
      detail: `cannot run: ${plain} (permission denied)`,
    })
  })

  it('reads and drops what a chatty check writes past the first KiB, so it never blocks on a full pipe', async () => {
    const c = checker()
    const chatty = [
      'sh',
      '-c',
      'head -c 2000000 /dev/zero; head -c 2000000 /dev/zero >&2; echo; echo done >&2; exit 4',
    ]
    // What is kept (1 KiB of each) is all NULs: nothing readable, so the detail is the exit code alone.
    expect(await c.run(chatty, 10_000)).toMatchObject({ ok: false, detail: 'exit 4' })
  })

  it('says which signal killed a check', async () => {
    const c = checker()
    expect(await c.run(['sh', '-c', 'kill -SEGV $$'], 5_000)).toMatchObject({
      ok: false,
      detail: 'killed by SIGSEGV',
    })
  })

  it('kills a check that hangs at its timeout, with its whole process group', async () => {
    const c = checker()
    const pids = join(dir, 'pids')
    const hang = await script('hang', `sleep 30 &\necho "$$ $!" > ${pids}\nwait`)
    const result = await c.run([hang], 500)
    expect(result).toMatchObject({ ok: false, detail: 'timed out after 500 ms (killed)' })
    const [pgid, sleeper] = (await readFile(pids, 'utf8')).trim().split(' ').map(Number)
    expect(sleeper).toBeGreaterThan(0)
    await until('the check group to be gone', async () => (await groupMembers(pgid!)).length === 0)
  })

  it('kills what a check left running in its group when it exits, and says so', async () => {
    const c = checker()
    const bg = join(dir, 'bg')
    const leaver = await script('leaver', `sleep 1000 &\necho $! > ${bg}\nexit 0`)
    const result = await c.run([leaver], 5_000)
    expect(result).toMatchObject({ ok: true, detail: 'exit 0 (it left processes behind: killed)' })
    const sleeper = await pidIn(bg)
    await until('the background sleep to be gone', async () => {
      const stat = await readFile(`/proc/${sleeper}/stat`, 'utf8').catch(() => '')
      return stat === '' || stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')
    })
  })

  it('runs several checks at once, each with its own result', async () => {
    const c = checker()
    const runs = await Promise.all([
      c.run(['sh', '-c', 'sleep 0.3; exit 0'], 5_000),
      c.run(['sh', '-c', 'sleep 0.1; echo one >&2; exit 1'], 5_000),
      c.run(['sh', '-c', 'echo two >&2; exit 2'], 5_000),
      c.run(['sleep', '30'], 300),
      c.run(['/nonexistent/check'], 5_000),
      c.run(['sh', '-c', 'sleep 0.2; exit 0'], 5_000),
    ])
    expect(runs.map((r) => [r.ok, r.detail])).toEqual([
      [true, 'exit 0'],
      [false, 'exit 1: one'],
      [false, 'exit 2: two'],
      [false, 'timed out after 300 ms (killed)'],
      [false, 'not found: /nonexistent/check'],
      [true, 'exit 0'],
    ])
  })

  it('gives checks a clean environment: PATH, LANG=C and the extras, cwd /, stdin empty', async () => {
    process.env.IPFO_TEST_LEAK = 'leaked'
    try {
      const c = checker({ env: { PGHOST: 'db.example', IPFO_CHECK: 'web' } })
      const out = join(dir, 'env')
      const dump = `open(my $f, '>', $ARGV[0]) or die; print $f "$_=$ENV{$_}\\n" for sort keys %ENV; use Cwd; print $f "cwd=", getcwd(), "\\n"; my $in = <STDIN>; print $f "stdin=", defined $in ? 'data' : 'empty', "\\n"`
      expect((await c.run(['perl', '-e', dump, out], 5_000)).ok).toBe(true)
      expect(await readFile(out, 'utf8')).toBe(
        `IPFO_CHECK=web\nLANG=C\nPATH=${PATH}\nPGHOST=db.example\ncwd=/\nstdin=empty\n`,
      )
    } finally {
      delete process.env.IPFO_TEST_LEAK
    }
  })

  it('refuses what it cannot run without asking the helper', async () => {
    const c = checker()
    expect(await c.run([], 1_000)).toMatchObject({ ok: false, detail: 'no command to run' })
    expect(await c.run(['echo', 'a\0b'], 1_000)).toMatchObject({
      ok: false,
      detail: 'an argument holds a NUL byte',
    })
    expect(await c.run(['true'], 0)).toMatchObject({ ok: false, detail: 'bad timeout: 0 ms' })
  })

  it('close() kills a running check, fails its run, and ends the helper', async () => {
    const c = checker()
    const pids = join(dir, 'pid')
    const hang = await script('hang', `echo $$ > ${pids}\nsleep 30`)
    const running = c.run([hang], 60_000)
    await until('the check to start', () => exists(pids))
    expect(await groupMembers(await pidIn(pids))).not.toEqual([])
    const helper = c.pid!
    await c.close()
    expect(await running).toMatchObject({ ok: false, detail: 'stopped: the exec checker was closed' })
    await until(
      'the check group to be gone',
      async () => (await groupMembers(await pidIn(pids))).length === 0,
    )
    expect(c.pid).toBeUndefined()
    expect(await groupMembers(helper)).toEqual([])
    expect(await c.run(['true'], 1_000)).toMatchObject({ ok: false, detail: 'the exec checker is closed' })
  })

  it('when the helper is killed: its runs fail, their groups are killed, it is told once and started again only after restartAfterMs', async () => {
    let clock = 1_000_000
    const reports: string[] = []
    const c = checker({ now: () => clock, restartAfterMs: 30_000, report: (m) => reports.push(m) })
    const pids = join(dir, 'pid')
    const hang = await script('hang', `echo $$ > ${pids}\nsleep 30`)
    const running = [c.run([hang], 60_000), c.run(['sleep', '30'], 60_000)]
    await until('the check to start', () => exists(pids))
    expect(await groupMembers(await pidIn(pids))).not.toEqual([])
    const helper = c.pid!
    process.kill(helper, 'SIGKILL')
    const died = `the exec-check helper (perl, pid ${helper}) exited (SIGKILL)`
    expect(await Promise.all(running)).toMatchObject([
      { ok: false, detail: died },
      { ok: false, detail: died },
    ])
    await until(
      'the orphaned check group to be gone',
      async () => (await groupMembers(await pidIn(pids))).length === 0,
    )
    expect(reports).toEqual([expect.stringContaining(`${died}; 2 running checks failed`)])

    clock += 10_000
    expect(await c.run(['true'], 1_000)).toMatchObject({
      ok: false,
      detail: `${died}; started again in 20 s at the earliest`,
    })
    expect(c.pid).toBeUndefined()

    clock += 20_000
    expect(await c.run(['true'], 5_000)).toMatchObject({ ok: true, detail: 'exit 0' })
    expect(c.pid).toBeGreaterThan(0)
    expect(c.pid).not.toBe(helper)
    expect(reports).toHaveLength(2)
    expect(reports[1]).toBe(`the exec-check helper (perl) was started again (pid ${c.pid})`)
  })

  it('fails every run, and tells once, when perl cannot be started', async () => {
    const reports: string[] = []
    const c = checker({
      report: (m) => reports.push(m),
      spawn: ((_: string, args: string[], options: object) =>
        spawn(join(dir, 'perl'), args, options)) as typeof spawn,
    })
    expect(c.pid).toBeUndefined()
    const result = await c.run(['true'], 1_000)
    expect(result.ok).toBe(false)
    expect(result.detail).toMatch(
      /^the exec-check helper could not be started \(no perl in .*\?\); started again in \d+ s/,
    )
    expect(reports).toHaveLength(1)
  })
})
