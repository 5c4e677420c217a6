import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { netnsAvailable } from '@ipfo/core/netns'
import { netnsSkipReason } from '@ipfo/testkit'
import { afterEach, describe, expect, it } from 'vitest'
import { type NamespacePair, startNamespacePair, until } from './pair-harness.js'

/**
 * Apple's hook folder in a real two-node failover: b runs <hooks>/<vip>/Test, PreAcq*, PostAcq*,
 * PreRel*, PostRel* as real processes inside its namespace. Root only, like the other netns tests.
 */
const skip = netnsSkipReason(netnsAvailable(), process.env.CI === 'true')
let pair: NamespacePair | undefined
let work: string | undefined
afterEach(async () => {
  await pair?.close()
  pair = undefined
  if (work) {
    // A hanging hook whose agent was killed before its timeout outlives it (its own process group).
    const pgid = Number(await readFile(join(work, 'pids'), 'utf8').catch(() => ''))
    if (pgid > 0) {
      try {
        process.kill(-pgid, 'SIGKILL')
      } catch {
        // already gone
      }
    }
    await rm(work, { recursive: true, force: true })
  }
  work = undefined
})

/** A pair whose b runs hooks from `<work>/hooks` with these settings; a has an empty hook folder. */
async function open(hooks: Record<string, unknown> = {}) {
  work = await mkdtemp(join(tmpdir(), 'ipfo-hooks-netns-'))
  const dir = join(work, 'hooks')
  await mkdir(join(work, 'a-hooks'), { mode: 0o755 })
  pair = await startNamespacePair({
    config: { a: { hooks: { dir: join(work, 'a-hooks') } }, b: { hooks: { dir, ...hooks } } },
  })
  const folder = join(dir, pair.vipIp)
  await mkdir(folder, { recursive: true, mode: 0o755 })
  return { p: pair, folder, log: join(work, 'hooks.log'), work }
}

/** A hook that logs "<name> <action> <present|absent> <unix time>": whether b's pub0 has the VIP. */
async function loggingHook(folder: string, name: string, log: string, then = '') {
  const body = `#!/bin/sh
if ip -o addr show dev pub0 | grep -qF " $IPFO_ADDRESS/"; then has=present; else has=absent; fi
echo "$(basename "$0") $IPFO_ACTION $has $(date +%s.%N)" >> ${log}
${then}
`
  await writeFile(join(folder, name), body, { mode: 0o755 })
}

async function lines(log: string) {
  const text = await readFile(log, 'utf8').catch(() => '')
  return text
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const [name, action, has, at] = l.split(' ')
      return { name: name!, action: action!, has: has!, at: Number(at) * 1000 }
    })
}

/** Samples whether b holds the VIP, with the time before and after each look. */
function sampleB(p: NamespacePair) {
  const samples: { before: number; after: number; b: boolean }[] = []
  let running = true
  const done = (async () => {
    while (running) {
      const before = Date.now()
      const b = (await p.stage.holders()).includes('b')
      samples.push({ before, after: Date.now(), b })
    }
  })()
  return {
    samples,
    async stop() {
      running = false
      await done
    },
  }
}

/**
 * Starts a, then b once a holds the VIP and b hears it (so b's own start-up never looks like a lost a),
 * then kills a. Returns where b's events and the hook log stood at the kill.
 */
async function killA(p: NamespacePair, log: string, beforeKill?: () => void) {
  const a = p.agent('a')
  a.start()
  await until('a to hold the VIP', async () => (await p.stage.holders()).join() === 'a')
  p.agent('b').start()
  await until('b to hear a', async () => (await p.status('b').catch(() => undefined))?.peers[0]?.alive)
  const at = { events: p.log.length, hooks: (await lines(log)).length }
  beforeKill?.()
  await a.kill()
  await p.stage.isolate('a')
  return at
}

async function bringBackA(p: NamespacePair) {
  await p.stage.revive('a')
  p.agent('a').start()
  await until('a to hold the VIP again', async () => (await p.stage.holders()).join() === 'a', 15_000)
}

/** Processes of a process group that still run (zombies an init never reaps do not count). */
async function liveMembers(pgid: number): Promise<number[]> {
  const live: number[] = []
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '')
    const [state, , group] = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    if (Number(group) === pgid && state !== 'Z') live.push(Number(entry))
  }
  return live
}

/** b's log lines from index `since` of the pair's log. */
const bLines = (p: NamespacePair, since: number) =>
  p.log
    .slice(since)
    .filter((l) => l.node === 'b')
    .map((l) => l.line)

describe.skipIf(skip !== undefined)('hooks in a namespace failover', () => {
  it('runs Test, PreAcq*, the add and PostAcq* in order, and the release in mirror order', async () => {
    const { p, folder, log } = await open()
    for (const name of ['Test', 'PreAcq-10', 'PreAcq-20', 'PostAcq-10', 'PreRel-10', 'PostRel-10']) {
      await loggingHook(folder, name, log)
    }
    // The looks at b start before the kill: a's guard hands the VIP over at once, and b's acquire may
    // be done before the isolation's commands return on a loaded machine.
    let sampler: ReturnType<typeof sampleB> | undefined
    const at = await killA(p, log, () => {
      sampler = sampleB(p)
    })
    expect(at.hooks).toBe(0) // while a was healthy, b ran nothing
    if (!sampler) throw new Error('the looks at b did not start')
    const ran = async (name: string) => (await lines(log)).some((l) => l.name === name)
    await until('PostAcq-10 to run', () => ran('PostAcq-10'), 5_000)
    await sampler.stop()

    const acquire = await lines(log)
    expect(acquire.map((l) => `${l.name} ${l.action} ${l.has}`)).toEqual([
      'Test acquire absent',
      'PreAcq-10 acquire absent',
      'PreAcq-20 acquire absent',
      'PostAcq-10 acquire present',
    ])
    const times = acquire.map((l) => l.at)
    expect([...times].sort((x, y) => x - y)).toEqual(times)
    // The VIP appeared after the last look that missed it began, and before the first look that saw it ended.
    const firstSeen = sampler.samples.find((s) => s.b)!
    const lastMissed = sampler.samples.filter((s) => !s.b && s.before < firstSeen.before).at(-1)!
    expect(acquire[2]!.at).toBeLessThan(firstSeen.after)
    expect(acquire[3]!.at).toBeGreaterThan(lastMissed.before)
    // The hook's own log line is written before the agent reports the hook finished: wait for b's report.
    const order = () =>
      bLines(p, at.events)
        .filter((l) => l.kind === 'hook-finished' || l.kind === 'acquired')
        .map((l) => (l.kind === 'acquired' ? 'acquired' : String(l.script).split('/').at(-1)))
    await until('b to report PostAcq-10 finished', () => order().includes('PostAcq-10'), 5_000)
    expect(order()).toEqual(['Test', 'PreAcq-10', 'PreAcq-20', 'acquired', 'PostAcq-10'])

    await bringBackA(p)
    await until('PostRel-10 to run', () => ran('PostRel-10'), 5_000)
    const release = (await lines(log)).slice(acquire.length)
    expect(release.map((l) => `${l.name} ${l.action} ${l.has}`)).toEqual([
      'Test release present',
      'PreRel-10 release present',
      'PostRel-10 release absent',
    ])
  })

  it('kills a hanging hook at its timeout with its process group, and the failover still completes', async () => {
    const { p, folder, log, work } = await open({ timeout: '1s' })
    const pids = join(work, 'pids')
    await loggingHook(folder, 'PostAcq-10-hang', log, `echo $$ > ${pids}; sleep 1000 & sleep 1000`)
    const at = await killA(p, log)
    await until('b to hold the VIP', async () => (await p.stage.holders()).includes('b'), 3_000)
    const finished = await until('the hook to be killed', () =>
      bLines(p, at.events).find((l) => l.kind === 'hook-finished' && l.phase === 'PostAcq'),
    )
    expect(finished).toMatchObject({ timedOut: true, exitCode: null })
    expect(Number(finished.durationMs)).toBeGreaterThanOrEqual(1_000)
    expect(Number(finished.durationMs)).toBeLessThan(2_000)
    expect(await liveMembers(Number((await readFile(pids, 'utf8')).trim()))).toEqual([])
    await until('the checklist to finish with its notification', () =>
      bLines(p, at.events).some((l) => l.kind === 'notify'),
    )
    expect((await p.status('b')).held).toEqual([p.stage.vip])

    await bringBackA(p)
    await until(
      'b to report the release',
      () => bLines(p, at.events).some((l) => l.kind === 'released'),
      5_000,
    )
  })

  it('power loss between the add and PostAcq: the restarted b stops the old hook, finishes the takeover, never drops the VIP', async () => {
    const { p, folder, log, work } = await open({ timeout: '30s' })
    const pids = join(work, 'pids')
    // The first PostAcq hangs (the power goes while it runs); the second, after the restart, returns.
    await loggingHook(
      folder,
      'PostAcq-10-slow',
      log,
      `[ -e ${pids} ] && exit 0; echo $$ > ${pids}; sleep 1000`,
    )
    const at = await killA(p, log)
    await until(
      'PostAcq to be running',
      async () => (await lines(log)).some((l) => l.name === 'PostAcq-10-slow'),
      5_000,
    )
    const stuck = Number((await readFile(pids, 'utf8')).trim())
    expect(await liveMembers(stuck)).not.toEqual([])
    // Power loss: SIGKILL; the VIP stays on the interface and the hook's process group outlives the agent.
    const { AgentProcess } = await import('../src/demo/agent-process.js')
    await Promise.all([...AgentProcess.live].filter((x) => x.node === 'b').map((x) => x.kill()))
    expect(await p.stage.holders()).toContain('b')

    const watch = sampleB(p)
    const restartedAt = p.log.length
    p.agent('b').start()
    const recovered = await until('b to recover the checklist', () =>
      bLines(p, restartedAt).find((l) => l.kind === 'checklist-recovered'),
    )
    expect(recovered).toMatchObject({ action: 'acquire', owner: 'a', decision: 'finished' })
    expect(bLines(p, restartedAt).find((l) => l.kind === 'hook-reaped')).toMatchObject({ pgid: stuck })
    expect(await liveMembers(stuck)).toEqual([])
    await until('PostAcq to run again and the notification', () =>
      bLines(p, restartedAt).some((l) => l.kind === 'notify'),
    )
    expect((await lines(log)).filter((l) => l.name === 'PostAcq-10-slow')).toHaveLength(2)
    await watch.stop()
    expect(watch.samples.length).toBeGreaterThan(10)
    expect(watch.samples.every((s) => s.b)).toBe(true)
    expect(bLines(p, restartedAt).map((l) => l.kind)).not.toContain('acquiring')
    expect(at.events).toBeGreaterThan(0)
  })

  it('power loss during PreAcq: the restarted b stops the old hook and undoes PreAcq with PreRel and PostRel before it takes over again', async () => {
    const { p, folder, log, work } = await open({ timeout: '30s' })
    const pids = join(work, 'pids')
    // The first PreAcq hangs (the power goes while it runs, before the add); the next one returns.
    await loggingHook(
      folder,
      'PreAcq-10-slow',
      log,
      `[ -e ${pids} ] && exit 0; echo $$ > ${pids}; sleep 1000`,
    )
    for (const name of ['PostAcq-10', 'PreRel-10', 'PostRel-10']) await loggingHook(folder, name, log)
    await killA(p, log)
    await until(
      'PreAcq to be running',
      async () => (await lines(log)).some((l) => l.name === 'PreAcq-10-slow'),
      5_000,
    )
    const stuck = Number((await readFile(pids, 'utf8')).trim())
    const { AgentProcess } = await import('../src/demo/agent-process.js')
    await Promise.all([...AgentProcess.live].filter((x) => x.node === 'b').map((x) => x.kill()))
    expect(await p.stage.holders()).not.toContain('b')

    const hooksAtRestart = (await lines(log)).length
    const restartedAt = p.log.length
    p.agent('b').start()
    const recovered = await until('b to recover the checklist', () =>
      bLines(p, restartedAt).find((l) => l.kind === 'checklist-recovered'),
    )
    expect(recovered).toMatchObject({
      action: 'acquire',
      owner: 'a',
      decision: 'rolled-back',
      hooksUndone: true,
    })
    expect(bLines(p, restartedAt).find((l) => l.kind === 'hook-reaped')).toMatchObject({ pgid: stuck })
    expect(await liveMembers(stuck)).toEqual([])
    // a is still dead: b takes over again, after the undo.
    await until('b to hold the VIP', async () => (await p.stage.holders()).includes('b'), 10_000)
    await until('PostAcq to run', async () => (await lines(log)).some((l) => l.name === 'PostAcq-10'), 5_000)
    expect((await lines(log)).slice(hooksAtRestart).map((l) => `${l.name} ${l.action} ${l.has}`)).toEqual([
      'PreRel-10 release absent',
      'PostRel-10 release absent',
      'PreAcq-10-slow acquire absent',
      'PostAcq-10 acquire present',
    ])
  })

  it('a Test that is a copy of /usr/bin/false gives notification only: b does not take the VIP', async () => {
    const { p, folder, log } = await open()
    await copyFile('/usr/bin/false', join(folder, 'Test'))
    await loggingHook(folder, 'PreAcq-10', log)
    const at = await killA(p, log)
    const notice = await until('b to log notification-only', () =>
      bLines(p, at.events).find((l) => l.kind === 'notification-only'),
    )
    expect(notice).toMatchObject({ owner: 'a', action: 'acquire', addresses: [p.stage.vip] })
    await new Promise((r) => setTimeout(r, 1_000))
    expect(await p.stage.holders()).not.toContain('b')
    expect(bLines(p, at.events).map((l) => l.kind)).not.toContain('acquired')
    expect(await lines(log)).toEqual([])
  })
})

describe.skipIf(skip !== undefined)('Notify hooks in network namespaces', () => {
  it("a cut private link makes b mail Apple's network anomaly notice through an installed email hook", async () => {
    const { p, work: w } = await open()
    const dir = join(w, 'hooks')
    const out = join(w, 'mail.out')
    const fake = join(w, 'fake-sendmail')
    await writeFile(fake, `#!/bin/sh\necho "$@" > ${out}.args\ncat > ${out}\n`, { mode: 0o755 })
    const { runCli } = await import('./run-cli.js')
    const added = await runCli([
      'hooks',
      'add',
      'email',
      '--phase',
      'Notify',
      '--option',
      `sendmail=${fake}`,
      '--dir',
      dir,
    ])
    expect(added.code).toBe(0)
    const a = p.agent('a')
    a.start()
    await until('a to hold the VIP', async () => (await p.stage.holders()).join() === 'a')
    p.agent('b').start()
    await until('b to hear a', () => p.kinds('b').includes('agent-started'))
    await new Promise((r) => setTimeout(r, 500))
    await p.topology.linkDown('a', 'private')
    await until('b to report the Notify hook done', () =>
      p.log.some((l) => l.node === 'b' && l.line.kind === 'hook-finished' && l.line.phase === 'Notify'),
    )
    await until(
      'the anomaly mail',
      async () => (await readFile(out, 'utf8').catch(() => '')).includes('Subject:'),
      5_000,
    )
    const mail = await readFile(out, 'utf8')
    expect(mail).toContain('Subject: [ipfo] network anomaly on b: a is silent on private')
    expect(mail).toContain('a still sends heartbeats on: public')
    expect(await readFile(`${out}.args`, 'utf8')).toMatch(/ root\n$/)
    expect(
      p.log.some((l) => l.node === 'b' && l.line.kind === 'hook-finished' && l.line.phase === 'Notify'),
    ).toBe(true)
    expect(await p.stage.holders()).toEqual(['a'])
  })
})
