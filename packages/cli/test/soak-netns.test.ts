import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { AgentStatus } from '@ipfo/core'
import { netnsAvailable } from '@ipfo/core/netns'
import { netnsSkipReason } from '@ipfo/testkit'
import { afterEach, describe, expect, it } from 'vitest'
import type { AgentLogLine } from '../src/demo/agent-process.js'
import { eventMs, stallPastDeadAfter } from './handover.js'
import { heapGrowth, tallyHeapSnapshot } from './heap-snapshot.js'
import { fds, killAgentAndGuard, onlyAgentRuns, onlyAgentsRun } from './netns-processes.js'
import { type NamespacePair, startNamespacePair, until } from './pair-harness.js'

/**
 * The soak: 200 failovers in a row between two long-lived agents in namespaces, each owning one VIP
 * and backing up the other's. The nodes are knocked out in turn by pulling both their cables (the
 * agents keep running, so their memory and descriptors can be compared from start to end; process
 * kills and restarts are covered by the crash tests). Every hook logs each run.
 * SOAK_FAILOVERS overrides the count for a quicker local run.
 */
const FAILOVERS = Number(process.env.SOAK_FAILOVERS ?? 200)
/**
 * Failovers before the heap is first measured. The first 40 grow it for good, by 1.1 MB after a
 * full GC: V8 compiles and optimises the failover path, and the 500 events each agent keeps for
 * `ipfo events` fill up (about 25 a failover; 100 KB of data).
 */
const WARM_UP = Math.min(40, Math.floor(FAILOVERS / 5))
/**
 * How much each agent's live heap (see `heapOf`) may grow from the warm-up to the end. Measured
 * over 200 failovers, 7 runs, 14 agents: -87 to +229 KB, all of it V8's code metadata (heap
 * snapshots: optimised code, deoptimisation data, relocation info). A leak of less than some 2 KB a
 * failover hides in that; the data check below is the fine one.
 */
const LIVE_HEAP_GROWTH_LIMIT = 512 * 1024
/**
 * How much each agent's data (objects, closures, strings, Buffers: see test/heap-snapshot.ts) may
 * grow over the same failovers. Measured: -7 to +15 KB (5 runs, 10 agents), mostly 8 KB slabs of
 * Node's Buffer pool. Leaks added on purpose, per acquire: an array of 56 numbers (0.5 KB) made
 * +111 and +118 KB, a 10 KB Buffer +2.4 and +2.6 MB, each named in the failure message.
 */
const DATA_GROWTH_LIMIT = 64 * 1024
/** Failovers of the second soak, by kill -9 and restart (each restart is a real agent start-up). */
const KILLS = Number(process.env.SOAK_KILLS ?? 20)
/** The pair's heartbeat timing (see openMutualPair), for what a stall past deadAfter is. */
const PAIR_SOAK_TIMING = { intervalMs: 20, deadAfterMs: 80 }
const skip = netnsSkipReason(netnsAvailable(), process.env.CI === 'true')
let pair: NamespacePair | undefined
let work: string | undefined
afterEach(async () => {
  if (pair && process.env.SOAK_DEBUG)
    await writeFile(
      process.env.SOAK_DEBUG,
      pair.log.map((l) => `${l.readAt} ${l.node} ${JSON.stringify(l.line)}`).join('\n'),
    )
  await pair?.close()
  pair = undefined
  if (work) await rm(work, { recursive: true, force: true })
  work = undefined
})

const HOOK = (log: string, node: string) => `#!/bin/sh
echo "${node} $(basename "$0") $IPFO_ACTION $IPFO_ADDRESS" >> ${log}
`

/**
 * Rethrows a wait's timeout with what both agents said since `since` (an index into the pair's
 * log; `from` says what happened there), to tell a missing event from a late or a different one.
 */
function explain(since: number, from = 'the cut') {
  return (error: unknown): never => {
    const said = (pair?.log ?? []).slice(since).map((l) => {
      const { kind, eventTime, peer, owner, reason } = l.line as Record<string, unknown>
      const fields = [peer && `peer=${peer}`, owner && `owner=${owner}`, reason && `(${reason})`]
      return `${l.node} ${String(eventTime).slice(11)} ${kind} ${fields.filter(Boolean).join(' ')}`.trim()
    })
    throw new Error(`${(error as Error).message}; events since ${from}: ${said.join('; ') || 'none'}`)
  }
}

/**
 * How often each hook ran on `node`, and the range the events allow. Once per address set acquired
 * or released; for an acquire abandoned after its PreAcq (another node held the addresses, or the
 * add failed), PreAcq then PreRel and PostRel to undo it; for one a kill interrupted after its
 * PreAcq began, PreRel and PostRel at the restart (`checklist-recovered`, `hooksUndone`). A kill
 * can land in a checklist even at rest (a takeover that began between the test's look and its kill,
 * the peer's loop stalled past deadAfter under load): each checklist the restart recovered allows
 * each phase one run more (a script that had started, or not, when the kill came), never fewer.
 */
function hookRuns(
  events: readonly { node: string; line: unknown }[],
  hookLines: readonly string[],
  node: string,
) {
  const count = (kind: string, only: (e: Record<string, unknown>) => boolean = () => true) =>
    events.filter((e) => {
      const line = e.line as Record<string, unknown>
      return e.node === node && line.kind === kind && only(line)
    }).length
  const acquired = count('acquired')
  const released = count('released')
  const undone = count('acquire-abandoned', (e) => e.hooksUndone === true)
  const undoneAtRestart = count('checklist-recovered', (e) => e.hooksUndone === true)
  const interrupted = count('checklist-recovered')
  const ran = (phase: string) => hookLines.filter((l) => l.startsWith(`${node} ${phase}-10-log `)).length
  const least = {
    PreAcq: acquired + undone,
    PostAcq: acquired,
    PreRel: released + undone + undoneAtRestart,
    PostRel: released + undone + undoneAtRestart,
  }
  const outside = (Object.keys(least) as (keyof typeof least)[]).filter(
    (phase) => ran(phase) < least[phase] || ran(phase) > least[phase] + interrupted,
  )
  const said = events
    .filter((e) => e.node === node)
    .map((e) => e.line as Record<string, unknown>)
    .filter((l) => /acquir|releas|abandon|recovered|peer-lost|peer-restored|checklist/.test(String(l.kind)))
    .map((l) => `${l.kind}${l.owner ? `(${l.owner})` : l.peer ? `(${l.peer})` : ''}`)
  const explanation =
    `${node}: ${outside.map((p) => `${p} ran ${ran(p)}, expected ${least[p]}${interrupted > 0 ? `..${least[p] + interrupted}` : ''}`).join('; ')}` +
    `; its hooks: ${hookLines.filter((l) => l.startsWith(`${node} `)).join(' | ')}; its events: ${said.join(' ')}`
  return { acquired, outside, explanation }
}

/**
 * The agents' logs, read through their stdout pipes, have caught up with what their status says: every
 * checklist started (`acquiring`, `releasing`) has its outcome line. An agent says a checklist ended
 * (its status) only after it wrote that line, but this test may read the status before the pipe:
 * hooks counted then would lack the event that explains them.
 */
function logsCaughtUp(events: readonly { node: string; line: unknown }[]): boolean {
  return ['a', 'b'].every((node) => {
    const count = (kind: string, action?: string) =>
      events.filter((e) => {
        const line = e.line as Record<string, unknown>
        return e.node === node && line.kind === kind && (action === undefined || line.action === action)
      }).length
    const acquireEnds =
      count('acquired') +
      count('acquire-abandoned') +
      count('takeover-refused') +
      count('claim-lost') +
      count('notification-only', 'acquire') +
      count('checklist-aborted', 'acquire')
    const releaseEnds =
      count('released') + count('notification-only', 'release') + count('checklist-aborted', 'release')
    return count('acquiring') <= acquireEnds && count('releasing') <= releaseEnds
  })
}

/**
 * An agent's heap right after a full collection (`used`); of it what is not V8's compiled code and
 * bytecode (`live`), which keep growing a little for hundreds of failovers while V8 optimises the
 * failover path (no leak, but enough to hide one of a KB a failover); and from a heap snapshot, its
 * data by kind (`data`), which shows a leak of a few hundred bytes a failover and names it. Without
 * the collection, a heap sample holds whatever garbage the last one left: in CI once, 16 MB over
 * the 31 MB that were live.
 */
async function heapOf(p: NamespacePair, node: 'a' | 'b', snapshotDir: string) {
  const heap = await p.collectGarbage(node, snapshotDir)
  const data = await tallyHeapSnapshot(heap.snapshot!)
  await rm(heap.snapshot!)
  return { used: heap.heapUsedBytes, live: heap.heapUsedBytes - heap.codeBytes, data }
}

/**
 * Two agents in namespaces, each owning one VIP and backing up the other's (interval 20ms, deadAfter
 * 80ms), with hooks in every phase that log each run to `log`. The agents are not started.
 */
async function openMutualPair() {
  work = await mkdtemp(join(tmpdir(), 'ipfo-soak-'))
  const log = join(work, 'hooks.log')
  const hooksDir = (node: string) => join(work!, `${node}-hooks`)
  let vips: Record<'a' | 'b', string> = { a: '', b: '' }
  pair = await startNamespacePair({
    nodeFlags: ['--expose-gc'],
    interval: `${PAIR_SOAK_TIMING.intervalMs}ms`,
    deadAfter: `${PAIR_SOAK_TIMING.deadAfterMs}ms`,
    config: (stage) => {
      const vipB = `${stage.topology.address('public', 4, 51)}/24`
      vips = { a: stage.vip, b: vipB }
      const pub = (ip: string) => ({ interface: 'pub0', address: ip })
      return {
        a: {
          peers: [{ id: 'b', takeover: [pub(vipB)] }],
          hooks: { dir: hooksDir('a') },
          announce: { count: 1 },
        },
        b: {
          owns: [pub(vipB)],
          peers: [{ id: 'a', takeover: [pub(stage.vip)] }],
          hooks: { dir: hooksDir('b') },
          announce: { count: 1 },
        },
      }
    },
  })
  const p = pair
  for (const node of ['a', 'b']) {
    for (const vip of Object.values(vips)) {
      const folder = join(hooksDir(node), vip.split('/')[0]!)
      await mkdir(folder, { recursive: true, mode: 0o755 })
      for (const phase of ['PreAcq', 'PostAcq', 'PreRel', 'PostRel']) {
        await writeFile(join(folder, `${phase}-10-log`), HOOK(log, node), { mode: 0o755 })
      }
    }
  }
  const holdersOf = async (vip: string) => {
    const ip = vip.split('/')[0]!
    const out: string[] = []
    for (const node of ['a', 'b'] as const) {
      const r = await p.topology.exec(p.topology.node(node).ns, 'ip', ['-j', 'addr', 'show', 'dev', 'pub0'])
      if (r.stdout.includes(`"${ip}"`)) out.push(node)
    }
    return out.join()
  }
  const settled = async () => (await holdersOf(vips.a)) === 'a' && (await holdersOf(vips.b)) === 'b'
  return { p, vips, log, holdersOf, settled }
}

/**
 * A failover's takeover in the log: `taker`'s first `acquired` of `victim`'s VIP read at `from` or
 * later, and the loss of `victim` it acted on: the taker's last `peer-lost` before it that no
 * `peer-restored` followed, wherever it was read. Under load a loss can be read just before the test
 * saw the VIPs settled (the victim's loop stalled past deadAfter a moment before the cut), and the
 * taker then loses the victim only once. No loss (`lost` undefined): the victim gave the VIP up
 * itself before it fell silent (its carrier went first) and the taker took it on its word.
 */
function takeoverOf(
  log: readonly { node: string; line: AgentLogLine }[],
  taker: string,
  victim: string,
  from: number,
): { line: AgentLogLine; lost: AgentLogLine | undefined } | undefined {
  let lost: AgentLogLine | undefined
  for (let index = 0; index < log.length; index++) {
    const { node, line } = log[index]!
    if (node !== taker) continue
    if (line.kind === 'peer-lost' && line.peer === victim) lost = line
    if (line.kind === 'peer-restored' && line.peer === victim) lost = undefined
    if (index >= from && line.kind === 'acquired' && line.owner === victim) return { line, lost }
  }
  return undefined
}

/**
 * Waits until `settled` holds and returns where the log stood when that successful look began: an
 * event read while the look ran (a takeover racing the test) comes after the mark, not before it.
 */
async function settledSince(log: readonly unknown[], settled: () => Promise<boolean>, what: string) {
  let mark = log.length
  await until(
    what,
    async () => {
      mark = log.length
      return settled()
    },
    30_000,
  )
  return mark
}

/**
 * Starts a, then b once a holds its VIP, as in the other namespace tests: a takes b's VIP while b is
 * not up yet, then gives it back when b starts (a tested path), instead of both racing at once.
 */
async function startInTurn({ p, vips, holdersOf, settled }: Awaited<ReturnType<typeof openMutualPair>>) {
  p.agent('a').start()
  await until('a to hold its VIP', async () => (await holdersOf(vips.a)) === 'a', 30_000).catch((error) => {
    // What a said and printed, to tell a slow start from a stuck one.
    const said = p.log.filter((l) => l.node === 'a').map((l) => l.line.kind)
    throw new Error(
      `${(error as Error).message}; a's events: ${said.join(', ')}; stderr: ${p.stderr.join(' | ')}`,
    )
  })
  p.agent('b').start()
  await until('each node to hold its own VIP', settled, 30_000)
}

describe.skipIf(skip !== undefined)('soak', () => {
  it(`${FAILOVERS} failovers: one holder per VIP at the end, no leaks, every hook once per transition`, async () => {
    const pair = await openMutualPair()
    const { p, vips, log, holdersOf, settled } = pair
    await startInTurn(pair)
    await new Promise((r) => setTimeout(r, 500))
    const pids = { a: (await p.status('a')).process!.pid, b: (await p.status('b')).process!.pid }
    // Descriptors are compared when nothing but the agents runs (an announcement's arping holds pipes).
    const quiet = async () => {
      for (const node of ['a', 'b'] as const) await onlyAgentRuns(p.topology.node(node).ns, pids[node])
    }
    await quiet()
    const start = { fds: { a: await fds(pids.a), b: await fds(pids.b) } }
    const agents = new Map((['a', 'b'] as const).map((node) => [p.topology.node(node).ns, pids[node]]))
    const noChecklistRunning = async () =>
      (await Promise.all([p.status('a'), p.status('b')])).every((st) =>
        st.resources.every((r) => r.status !== 'acquiring' && r.status !== 'releasing'),
      )
    const atRest = (what: string) =>
      until(
        `${what}: each VIP with its owner, no checklist, no hook or helper running`,
        async () => (await settled()) && (await noChecklistRunning()) && (await onlyAgentsRun(agents)),
        15_000,
      )
    /**
     * Both agents' heaps, measured at rest. The snapshot holds the agent's loop for a second or more:
     * the peer takes the VIP for a moment, so rest comes again before the other agent's and before
     * whatever follows.
     */
    const heaps = async (what: string) => {
      await atRest(`${what}, before the collections`)
      const a = await heapOf(p, 'a', work!)
      await atRest(`${what}, after a's collection`)
      const b = await heapOf(p, 'b', work!)
      await atRest(`${what}, after b's collection`)
      return { a, b }
    }
    let heapStart: Awaited<ReturnType<typeof heaps>> | undefined
    const hookLinesAtStart = (await readFile(log, 'utf8').catch(() => '')).split('\n').filter(Boolean).length
    const eventsAtStart = p.log.length

    let worstMs = 0
    /** Failovers whose taker had the VIP a moment before the cut (a stall past deadAfter under load). */
    const takenBeforeCut: number[] = []
    /** Failovers whose victim gave its VIP up before it fell silent (its cable's carrier went first). */
    const takenOnItsWord: number[] = []
    /** Where the log stood when both VIPs were last seen back with their owners. */
    let settledAt = p.log.length
    for (let i = 0; i < FAILOVERS; i++) {
      if (i === WARM_UP) {
        heapStart = await heaps(`after ${WARM_UP} failovers`)
        settledAt = p.log.length
      }
      const victim = i % 2 === 0 ? 'a' : 'b'
      const other = victim === 'a' ? 'b' : 'a'
      const since = p.log.length
      const cutAt = Date.now()
      await p.topology.linkDown(victim, 'public')
      await p.topology.linkDown(victim, 'private')
      await until(
        `failover ${i + 1}: ${other} to take ${victim}'s VIP`,
        async () => (await holdersOf(vips[victim])).includes(other),
        10_000,
      ).catch(async (error) => {
        if (process.env.SOAK_DEBUG) {
          const state = await p.status(other).catch((e) => String(e))
          await writeFile(
            `${process.env.SOAK_DEBUG}.status.json`,
            JSON.stringify({ victim, other, state }, null, 2),
          )
        }
        return explain(since)(error)
      })
      // The outage, as the taker saw it: from the victim's last heartbeat to the address being added.
      // Under a heavy load the taker may have taken the VIP a moment before the cut (the victim's
      // loop stalled past deadAfter after the last settling): counted, not measured. Which it was,
      // the taker's clock says; when this test read its line does not.
      const taker = await until(`failover ${i + 1}: ${other}'s acquired event`, () =>
        takeoverOf(p.log, other, victim, settledAt),
      ).catch(explain(settledAt, 'both VIPs were last back with their owners'))
      if (taker.lost === undefined) {
        takenOnItsWord.push(i + 1)
      } else if (eventMs(taker.line) < cutAt) {
        takenBeforeCut.push(i + 1)
      } else {
        const outage = eventMs(taker.line) - (eventMs(taker.lost) - Number(taker.lost.silentForMs))
        if (outage > worstMs && process.env.SOAK_DEBUG)
          console.log(`failover ${i + 1} (${victim}): ${outage} ms`)
        worstMs = Math.max(worstMs, outage)
      }
      await p.topology.linkUp(victim, 'public')
      await p.topology.linkUp(victim, 'private')
      // 30 s: a machine starved for seconds (both agents stalling past deadAfter, 80 ms, again and
      // again) has the two fight over the VIPs until it gets its cores back; settling is then quick.
      settledAt = await settledSince(
        p.log,
        settled,
        `failover ${i + 1}: both VIPs back with their owners`,
      ).catch(explain(since))
    }
    await new Promise((r) => setTimeout(r, 500))
    await until("the agents' logs to show how each checklist ended", () => logsCaughtUp(p.log), 15_000)

    // One holder per VIP, nothing else on the interfaces.
    expect(await holdersOf(vips.a)).toBe('a')
    expect(await holdersOf(vips.b)).toBe('b')
    for (const node of ['a', 'b'] as const) {
      const r = await p.topology.exec(p.topology.node(node).ns, 'ip', [
        '-4',
        '-o',
        'addr',
        'show',
        'dev',
        'pub0',
      ])
      expect(r.stdout.trim().split('\n')).toHaveLength(2) // its own address and its VIP
    }
    // No leaked processes: once the last announcement's arping has lingered its second, nothing but
    // the two agents runs in the namespaces.
    for (const node of ['a', 'b'] as const) await onlyAgentRuns(p.topology.node(node).ns, pids[node], 3_000)
    // No leaked descriptors; memory flat.
    await quiet()
    const end = { fds: { a: await fds(pids.a), b: await fds(pids.b) }, heap: await heaps('the end') }
    // SOAK_FAILOVERS=0: nothing to warm up, the heap is compared with itself a moment later.
    heapStart ??= end.heap
    const kb = (bytes: number) => `${bytes < 0 ? '' : '+'}${(bytes / 1024).toFixed(0)} KB`
    const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(2)} MB`
    const growth = {
      a: heapGrowth(heapStart.a.data, end.heap.a.data),
      b: heapGrowth(heapStart.b.data, end.heap.b.data),
    }
    const heapReport = (['a', 'b'] as const).map((node) => {
      const [from, to] = [heapStart![node], end.heap[node]]
      return `${node}: live ${mb(from.live)} -> ${mb(to.live)} (${kb(to.live - from.live)}; with code ${mb(from.used)} -> ${mb(to.used)}), data ${kb(growth[node].bytes)} [${growth[node].top.join(', ')}]`
    })
    const report = `worst outage ${worstMs} ms (victim's last heartbeat to the taker's add); taken a moment before the cut: ${takenBeforeCut.length === 0 ? 'none' : takenBeforeCut.join(', ')}; given up by the victim before its silence: ${takenOnItsWord.length === 0 ? 'none' : takenOnItsWord.join(', ')}; fds ${JSON.stringify(start.fds)} -> ${JSON.stringify(end.fds)}; heap after a full GC, from failover ${Math.min(WARM_UP, FAILOVERS)} to the end: ${heapReport.join('; ')}`
    console.log(`soak: ${FAILOVERS} failovers; ${report}`)
    for (const node of ['a', 'b'] as const) expect(end.fds[node], report).toBeLessThanOrEqual(start.fds[node])
    for (const node of ['a', 'b'] as const) {
      expect(end.heap[node].live - heapStart[node].live, report).toBeLessThan(LIVE_HEAP_GROWTH_LIMIT)
      expect(growth[node].bytes, report).toBeLessThan(DATA_GROWTH_LIMIT)
    }

    // Every hook ran exactly once per transition.
    const events = p.log.slice(eventsAtStart)
    const hookLines = (await readFile(log, 'utf8')).split('\n').filter(Boolean).slice(hookLinesAtStart)
    for (const node of ['a', 'b'] as const) {
      const { outside, explanation, acquired } = hookRuns(events, hookLines, node)
      expect(outside, `${report}; ${explanation}`).toEqual([])
      expect(acquired).toBeGreaterThanOrEqual(FAILOVERS)
    }
    const statuses: AgentStatus[] = [await p.status('a'), await p.status('b')]
    expect(statuses.map((s) => s.held)).toEqual([[vips.a], [vips.b]])
  }, 900_000)

  it(`${KILLS} failovers by kill -9 of the holder's agent, alternating a and b: one holder per VIP, nothing left behind, hooks once per transition`, async () => {
    const pair = await openMutualPair()
    const { p, vips, log, holdersOf, settled } = pair
    const { AgentProcess } = await import('../src/demo/agent-process.js')
    await startInTurn(pair)
    const noChecklist = async () => {
      const statuses = await Promise.all([p.status('a'), p.status('b')])
      return statuses.every((st) =>
        st.resources.every((r) => r.status !== 'acquiring' && r.status !== 'releasing'),
      )
    }
    const atRest = (what: string) => until(`${what}: no checklist running`, noChecklist, 15_000)
    await atRest('start')
    const eventsAtStart = p.log.length
    const hookLinesAtStart = (await readFile(log, 'utf8').catch(() => '')).split('\n').filter(Boolean).length
    /** Where the log was, and the time, when the last victim's agent started again. */
    let lastRestart = { index: p.log.length, ms: Date.now() }
    for (let i = 0; i < KILLS; i++) {
      const victim = i % 2 === 0 ? 'a' : 'b'
      const other = victim === 'a' ? 'b' : 'a'
      // Kill at rest, with no checklist running, so that each kill is a failover of a quiet node (a
      // kill in a checklist is the crash tests' subject; should a takeover begin between this look
      // and the kill, the count of hooks allows for what the restart recovers).
      await atRest(`kill ${i + 1}`)
      // The machine dies: everything in it is killed (its agent and the agent's guard, which would
      // otherwise hand the VIP over) and its cables go dead; its VIP stays on the dead interface.
      // (The guard is stopped first: it can then neither act nor be started again by its agent.)
      const guard = (await p.status(victim)).guard?.pid
      await killAgentAndGuard(
        [...AgentProcess.live].filter((x) => x.node === victim),
        guard,
      )
      await p.topology.linkDown(victim, 'public')
      await p.topology.linkDown(victim, 'private')
      await until(
        `kill ${i + 1}: ${other} to take ${victim}'s VIP`,
        async () => (await holdersOf(vips[victim])).includes(other),
        10_000,
      )
      // It reboots: the interface comes back without the addresses, the agent starts again.
      for (const vip of Object.values(vips))
        await p.topology.exec(p.topology.node(victim).ns, 'ip', ['addr', 'del', vip, 'dev', 'pub0'])
      await p.topology.linkUp(victim, 'public')
      await p.topology.linkUp(victim, 'private')
      lastRestart = { index: p.log.length, ms: Date.now() }
      p.agent(victim).start()
      await until(`kill ${i + 1}: both VIPs back with their owners`, settled, 30_000)
    }
    // The end: each VIP with its owner alone and nothing running. A peer can still be lost after the
    // last settling (CI once: a took b's VIP again just after b's restart, and the test saw both
    // holding it); the pair must then settle again by itself, and only a stall past deadAfter may
    // explain the loss: a live peer heard on time is never taken over.
    await until(
      "the end: each VIP with its owner alone, no checklist running, each one's outcome in the logs",
      async () => (await settled()) && (await noChecklist()) && logsCaughtUp(p.log),
      30_000,
    )
    const lostSinceRestart = p.log
      .slice(lastRestart.index)
      .filter((l) => l.line.kind === 'peer-lost')
      .map((l) => `${l.node} ${JSON.stringify(l.line)}`)
    if (lostSinceRestart.length > 0) {
      const stall = stallPastDeadAfter(p.log, ['a', 'b'], lastRestart.ms, PAIR_SOAK_TIMING)
      expect(
        stall,
        `a peer lost after the last restart, and no stall explains it: ${lostSinceRestart.join('; ')}`,
      ).toBeDefined()
      console.log(
        `soak kill: a peer lost after the last restart (${lostSinceRestart.join('; ')}), during a stall: ${stall}`,
      )
    }
    expect(await holdersOf(vips.a)).toBe('a')
    expect(await holdersOf(vips.b)).toBe('b')
    for (const node of ['a', 'b'] as const) {
      const r = await p.topology.exec(p.topology.node(node).ns, 'ip', [
        '-4',
        '-o',
        'addr',
        'show',
        'dev',
        'pub0',
      ])
      expect(r.stdout.trim().split('\n')).toHaveLength(2)
      await onlyAgentRuns(p.topology.node(node).ns, (await p.status(node)).process!.pid)
    }
    const events = p.log.slice(eventsAtStart)
    const hookLines = (await readFile(log, 'utf8')).split('\n').filter(Boolean).slice(hookLinesAtStart)
    for (const node of ['a', 'b'] as const) {
      const { outside, explanation, acquired } = hookRuns(events, hookLines, node)
      expect(outside, explanation).toEqual([])
      // Each kill of this node makes the other take its VIP once; each restart takes it back.
      expect(acquired).toBeGreaterThanOrEqual(KILLS)
    }
  }, 600_000)
})
