import type { Claims } from '../model/coordination.js'
import { ToolMissingError } from '../model/errors.js'
import type { ChecklistStep } from '../model/events.js'
import type { HookContext } from '../model/hook-contract.js'
import { cidr, type InterfaceAddress } from '../model/ip.js'
import type { AddressControl, Arbiter, HooksPort, Journal, JournalEntry } from '../model/ports.js'
import type { Checklist, EventBody, Step } from '../state-machine/effects.js'
import type { ChecklistOutcome } from '../state-machine/inputs.js'
import type { AcquireFence } from './acquire-fence.js'
import { describeFailure as describe, removeAll } from './remove-addresses.js'

export interface ExecutorDeps {
  readonly self: string
  readonly address: AddressControl
  readonly hooks: HooksPort
  /** Absent: the arbitrate step lets every takeover through. */
  readonly arbiter?: Arbiter | undefined
  /** Quorum: the store's keys, for the claim and disclaim steps (absent: those steps pass). */
  readonly claims?: Claims | undefined
  /** Where a running checklist is written down; absent, nothing is. */
  readonly journal?: Journal | undefined
  /** Makes journal keys unique across runs of the agent. */
  readonly runId?: number
  /**
   * An acquire already written down (`armed`) under this key: the checklist writes no `started`
   * entry of its own, waits for `written` (normally long done) before its add, and removes the
   * entry when it ends.
   */
  readonly armed?: { readonly key: string; readonly written: Promise<unknown> } | undefined
  /**
   * Aborted when the machine asks this acquire to stop short (`yield-checklist`): a step before the
   * add that has not started does not run, and the checklist does not wait on its announcements.
   */
  readonly yielded?: AbortSignal | undefined
  /** Quorum (onQuorumLoss release): the addresses an acquire added, fenced while it runs on. */
  readonly fence?: AcquireFence | undefined
  readonly emit: (event: EventBody) => void
  readonly now: () => number
  /** now() with its fraction, to time the steps (checklist-finished); absent: now(). */
  readonly preciseNow?: () => number
  readonly wallNow: () => number
  readonly delay: (ms: number) => Promise<void>
}

/**
 * Performs a checklist's steps in order. The machine decided what and in which order; this decides
 * only what a failed step means for the steps after it:
 * - Test says notification-only: skip to notify, change nothing.
 * - a strict Pre phase fails: skip to notify, change nothing.
 * - a strict Post phase fails: reported; the address change stands (it already happened).
 * - adding an address fails: remove the ones this checklist added (PreRel and PostRel undo a PreAcq
 *   that ran), then notify.
 * - the machine asks an acquire to yield (`yielded`): before the add, skip to notify, change nothing
 *   (PreRel and PostRel undo a PreAcq that ran); after it, stop waiting on announcements (PostAcq
 *   still runs: the address is on the interface).
 * Announcements start right after the add and repeat in the background: the first packet goes out
 * before PostAcq starts. Before it notifies, the checklist waits until the last repeat has been sent
 * (count-1 intervals), not for the announcing tools to exit: iputils arping lingers a second after
 * its packet, and the address must not be held back from a failback for that.
 * Never throws: every failure becomes an event and an outcome.
 */
/** Time for the last announcement process to start and send its packet. */
const ANNOUNCE_SEND_MARGIN_MS = 20

export async function runChecklist(checklist: Checklist, deps: ExecutorDeps): Promise<ChecklistOutcome> {
  const started = deps.now()
  const precise = deps.preciseNow ?? deps.now
  const preciseStart = precise()
  /** Each step that ran, timed, in order (the announcements' time is added when they were sent). */
  const timings: { step: ChecklistStep; ms: number }[] = []
  let announced: Promise<{ step: ChecklistStep; ms: number } | undefined> = Promise.resolve(undefined)
  let ctx = hookContext(checklist, deps)
  /** The claim step won the key: an acquire that ends without the addresses lets it go again. */
  let claimed = false
  const names = checklist.addresses.map((a) => cidr(a))
  let outcome: ChecklistOutcome = 'done'
  let skipToNotify = false
  /** PreAcq has run: what it set up is undone if the acquire is abandoned before its add. */
  let preAcqRan = false
  let announcing: Promise<unknown> = Promise.resolve()
  const armed = checklist.action === 'acquire' && deps.journal ? deps.armed : undefined
  const entry: JournalEntry = {
    key: armed?.key ?? `${deps.runId ?? 0}-${checklist.id}`,
    action: checklist.action,
    owner: checklist.owner,
    peer: checklist.peer,
    addresses: checklist.addresses,
    reason: checklist.reason,
    reached: 'started',
  }
  const changesAddresses = checklist.steps.some((s) => s.step === 'add' || s.step === 'remove')
  let journaled = armed !== undefined
  // Journal writes (an fsync each) run one after the other, off the checklist's path: `started`
  // while arbitration, Test and the Pre hooks run (or nothing, when the acquire was armed ahead of
  // time); `changed` while the first announcement goes out. Only the address change itself, the
  // hooks after it and PreAcq's first script (`prepared`, see below) wait for what was written
  // before them.
  let journalWrites: Promise<unknown> = armed?.written ?? Promise.resolve()
  const journal = (reached: JournalEntry['reached']) => {
    if (!deps.journal || !changesAddresses) return
    journaled = true
    journalWrites = journalWrites.then(() =>
      guard(deps, 'journal', () => deps.journal!.write({ ...entry, reached }), undefined),
    )
  }
  if (!armed) journal('started')
  /**
   * PreAcq's first script is about to start: once that is on disk, a restart after a crash knows
   * there may be something to undo. Awaited (a disk write before the hook, not before the add):
   * written after the script started, a crash in between would leave what it set up behind.
   */
  const prepared = async () => {
    journal('prepared')
    await journalWrites
  }

  // An abandon's undo (PreRel and PostRel after PreAcq) is timed as its own step, not inside `add`.
  let undoMs = 0
  const abandonTimed = async (reason: string) => {
    const undoStart = precise()
    await abandon(checklist, ctx, preAcqRan, reason, deps)
    undoMs += precise() - undoStart
  }
  steps: for (const step of checklist.steps) {
    if (skipToNotify && step.step !== 'notify') continue
    const stepStart = precise()
    undoMs = 0
    if (waitsForJournal(step)) await journalWrites
    // Checked as late as possible: the journal wait above may be when the peer is heard.
    if (deps.yielded?.aborted && upToItsAdd(checklist, step)) {
      outcome = 'yielded'
      skipToNotify = true
      await abandonTimed('a live peer holds them')
      if (preAcqRan) timings.push({ step: 'undo', ms: undoMs })
      continue
    }
    try {
      switch (step.step) {
        case 'claim': {
          const result = deps.claims
            ? await deps.claims.claim(checklist.owner)
            : ({ won: true, token: '' } as const)
          if (!result.won) {
            deps.emit({
              kind: 'claim-lost',
              owner: checklist.owner,
              addresses: names,
              holder: result.holder,
              reason: result.reason,
            })
            outcome = 'claim-lost'
            break steps
          }
          claimed = true
          if (result.token !== '') ctx = { ...ctx, fencingToken: result.token }
          break
        }
        case 'disclaim':
          await deps.claims?.release(checklist.owner)
          break
        case 'arbitrate': {
          const refusal = await guard(
            deps,
            'arbitration',
            async () => deps.arbiter?.refusal(checklist.addresses),
            undefined,
          )
          if (refusal !== undefined) {
            // Nothing changed and no hook ran; the machine retries later, and the probe decides again.
            deps.emit({ kind: 'takeover-refused', owner: checklist.owner, addresses: names, reason: refusal })
            outcome = 'refused'
            break steps
          }
          break
        }
        case 'gate': {
          const verdict = await guard(deps, 'Test', () => deps.hooks.gate(ctx), 'proceed' as const)
          if (verdict === 'notify-only') {
            deps.emit({
              kind: 'notification-only',
              owner: checklist.owner,
              action: checklist.action,
              addresses: names,
              reason: 'Test exited non-zero',
            })
            outcome = 'notify-only'
            skipToNotify = true
          }
          break
        }
        case 'phase': {
          if (step.phase === 'PreAcq') preAcqRan = true
          const run = step.phase === 'PreAcq' ? { beforeFirstScript: () => prepared() } : undefined
          const result = await guard(deps, step.phase, () => deps.hooks.runPhase(step.phase, ctx, run), {
            ok: true,
          })
          if (!result.ok) {
            const reason = result.reason ?? `a strict ${step.phase} hook failed`
            deps.emit({
              kind: 'checklist-aborted',
              owner: checklist.owner,
              action: checklist.action,
              step: step.phase,
              reason,
            })
            if (step.phase === 'PreAcq' || step.phase === 'PreRel') {
              outcome = 'aborted'
              skipToNotify = true
            }
          }
          break
        }
        case 'add': {
          if (claimed && deps.claims && !deps.claims.holds(checklist.owner)) {
            // The lease ran out (or was replaced) while Test and PreAcq ran: the key may be another's.
            outcome = 'claim-lost'
            skipToNotify = true
            await abandonTimed('the quorum lease is no longer known valid')
            break
          }
          const announce = checklist.steps.some((s) => s.step === 'announce' && s.count > 0)
          // Fenced from before the add: a lease that lapses while it runs removes them too.
          if (claimed) deps.fence?.adding(checklist.owner, checklist.addresses)
          const failure = await addAll(checklist.addresses, deps, announce)
          if (failure) {
            await deps.fence?.removing(checklist.owner)
            outcome = 'failed'
            skipToNotify = true
            await abandonTimed('adding them failed')
          } else if (
            claimed &&
            (deps.fence?.fenced(checklist.owner) || deps.claims?.holds(checklist.owner) === false)
          ) {
            // The lease stopped being known valid while they were added: they go now, PreAcq undone.
            await deps.fence?.removing(checklist.owner)
            await removeAll(checklist.addresses, deps)
            outcome = 'claim-lost'
            skipToNotify = true
            await abandonTimed('the quorum lease stopped being known valid as they were added')
          } else {
            if (claimed) deps.fence?.added(checklist.owner)
            journal('changed')
            deps.emit({
              kind: 'acquired',
              owner: checklist.owner,
              addresses: names,
              durationMs: deps.now() - started,
            })
          }
          break
        }
        case 'announce':
          announced = Promise.all(checklist.addresses.map((a) => announce(a, step, deps))).then(() => ({
            step: 'announce',
            ms: precise() - stepStart,
          }))
          announcing = deps.delay(Math.max(0, step.count - 1) * step.intervalMs + ANNOUNCE_SEND_MARGIN_MS)
          break
        case 'remove': {
          const failed = await removeAll(checklist.addresses, deps)
          if (failed) {
            outcome = 'failed'
            skipToNotify = true
          } else {
            journal('changed')
            deps.emit({
              kind: 'released',
              owner: checklist.owner,
              addresses: names,
              durationMs: deps.now() - started,
            })
          }
          break
        }
        case 'notify':
          await Promise.race([announcing, ...(deps.yielded ? [abortedOf(deps.yielded)] : [])])
          deps.emit({
            kind: 'notify',
            subject: subjectOf(checklist, outcome, deps.self),
            owner: checklist.owner,
            action: checklist.action,
            addresses: names,
          })
          break
      }
    } finally {
      // The announcements go on in the background: their time is known once they were sent.
      if (step.step !== 'announce') timings.push({ step: stepName(step), ms: precise() - stepStart - undoMs })
      if (undoMs > 0 && preAcqRan) timings.push({ step: 'undo', ms: undoMs })
    }
  }
  const fenced = deps.fence?.fenced(checklist.owner) === true
  if (claimed && outcome === 'done' && (fenced || deps.claims?.holds(checklist.owner) === false)) {
    // The lease ended (or was replaced) while PostAcq ran: no key holds these addresses now, and
    // another node may win it. They go before the checklist ends, so that it ends not held (the
    // fence may have removed them already, the moment the lease lapsed).
    if (!fenced)
      deps.emit({
        kind: 'error',
        message: `the quorum lease was lost while the acquire of ${names.join(', ')} ran: removing them`,
        context: `acquiring ${checklist.owner}'s addresses`,
      })
    await deps.fence?.removing(checklist.owner)
    await removeAll(checklist.addresses, deps)
    outcome = 'claim-lost'
  }
  await journalWrites
  if (journaled) await guard(deps, 'journal', () => deps.journal!.remove(entry.key), undefined)
  if (claimed && outcome !== 'done') await deps.claims?.release(checklist.owner)
  const durationMs = precise() - preciseStart
  void announced.then((sent) =>
    deps.emit({
      kind: 'checklist-finished',
      owner: checklist.owner,
      action: checklist.action,
      cause: checklist.cause,
      outcome,
      durationMs: micros(durationMs),
      detectionMs: checklist.detectionMs ?? null,
      steps: [...timings, ...(sent ? [sent] : [])].map((t) => ({ step: t.step, ms: micros(t.ms) })),
    }),
  )
  return outcome
}

function stepName(step: Step): ChecklistStep {
  return step.step === 'phase' ? step.phase : step.step
}

/** Whole microseconds: enough for a step, without a float's noise in logs and JSON. */
function micros(ms: number): number {
  return Math.round(ms * 1000) / 1000
}

async function addAll(
  addresses: readonly InterfaceAddress[],
  deps: ExecutorDeps,
  announce: boolean,
): Promise<boolean> {
  const added: InterfaceAddress[] = []
  for (const a of addresses) {
    try {
      await deps.address.add(a, { announce })
      added.push(a)
    } catch (error) {
      deps.emit({ kind: 'error', message: describe(error), context: `adding ${cidr(a)} on ${a.interface}` })
      // Roll back: a half-configured set of addresses serves nobody well.
      await removeAll(added.reverse(), deps)
      return true
    }
  }
  return false
}

/** Announces addresses outside a checklist (after an address conflict ended). */
export async function announceAll(
  addresses: readonly InterfaceAddress[],
  step: { count: number; intervalMs: number },
  deps: Pick<ExecutorDeps, 'address' | 'emit'>,
): Promise<void> {
  await Promise.all(addresses.map((a) => announce(a, step, deps)))
}

async function announce(
  a: InterfaceAddress,
  step: { count: number; intervalMs: number },
  deps: Pick<ExecutorDeps, 'address' | 'emit'>,
): Promise<void> {
  if (step.count === 0) return
  try {
    await deps.address.announce(a, { count: step.count, intervalMs: step.intervalMs })
    deps.emit({ kind: 'announced', address: cidr(a), count: step.count })
  } catch (error) {
    // The address works without announcements; clients just learn the new MAC later. A missing
    // tool was reported once at start, not at every takeover.
    if (error instanceof ToolMissingError) return
    deps.emit({ kind: 'error', message: describe(error), context: `announcing ${cidr(a)} on ${a.interface}` })
  }
}

/** A hooks port that throws must not wedge the checklist: report it and go on with `fallback`. */
async function guard<T>(
  deps: Pick<ExecutorDeps, 'emit'>,
  what: string,
  run: () => Promise<T>,
  fallback: T,
): Promise<T> {
  try {
    return await run()
  } catch (error) {
    deps.emit({ kind: 'error', message: describe(error), context: `running ${what} hooks` })
    return fallback
  }
}

function hookContext(checklist: Checklist, deps: ExecutorDeps): HookContext {
  // A release's hooks get the token the addresses were held by (an acquire's, once it claims).
  const fencingToken = checklist.action === 'release' ? deps.claims?.token(checklist.owner) : undefined
  return {
    ...(fencingToken !== undefined ? { fencingToken } : {}),
    action: checklist.action,
    owner: checklist.owner,
    node: deps.self,
    peer: checklist.peer,
    addresses: checklist.addresses.map((a) => ({ interface: a.interface, ip: a.ip, prefix: a.prefix })),
    reason: checklist.reason,
    eventTime: deps.wallNow(),
    detectionMs: checklist.detectionMs,
  }
}

function subjectOf(checklist: Checklist, outcome: ChecklistOutcome, self: string): string {
  const addresses = checklist.addresses.map((a) => a.ip).join(', ')
  const verb = checklist.action === 'acquire' ? 'took over' : 'released'
  const result = outcome === 'done' ? verb : `did not change (${outcome}); wanted to ${checklist.action}`
  return `[ipfo] ${self} ${result} ${addresses} of ${checklist.owner}: ${checklist.reason}`
}

/**
 * An acquire given up without its addresses: another node holds them (before the add), or adding
 * them failed (and what was added is removed again). Reported as `acquire-abandoned`, after PreAcq
 * is undone if it ran.
 */
async function abandon(
  checklist: Checklist,
  ctx: HookContext,
  preAcqRan: boolean,
  reason: string,
  deps: ExecutorDeps,
): Promise<void> {
  if (preAcqRan) await undoPreAcq(ctx, checklist.reason, deps)
  deps.emit({
    kind: 'acquire-abandoned',
    owner: checklist.owner,
    addresses: checklist.addresses.map((a) => cidr(a)),
    reason,
    hooksUndone: preAcqRan,
  })
}

/**
 * PreAcq hooks may have set things up for this node to serve addresses it does not hold after all (a
 * volume mounted, a service started): the release hooks undo them, PreRel then PostRel, as a release
 * would (there is no address to remove). Both run whatever the first says: an undo goes as far as
 * it can. Also run after a restart, for an acquire a crash interrupted after its PreAcq began.
 */
export async function undoPreAcq(
  ctx: HookContext,
  why: string,
  deps: Pick<ExecutorDeps, 'hooks' | 'emit'>,
): Promise<void> {
  await releaseHooks({ ...ctx, action: 'release', reason: `undoing PreAcq: ${why}` }, deps)
}

/** PreRel then PostRel, outside a checklist: a failure is reported and the next runs all the same. */
export async function releaseHooks(
  release: HookContext,
  deps: Pick<ExecutorDeps, 'hooks' | 'emit'>,
): Promise<void> {
  for (const phase of ['PreRel', 'PostRel'] as const)
    await guard(deps, phase, () => deps.hooks.runPhase(phase, release), { ok: true })
}

/** An acquire's steps up to and including its add: what yielding skips. */
function upToItsAdd(checklist: Checklist, step: Step): boolean {
  if (checklist.action !== 'acquire') return false
  const add = checklist.steps.findIndex((s) => s.step === 'add')
  return checklist.steps.indexOf(step) <= add
}

/** Resolves once `signal` is aborted (at once if it already is). */
function abortedOf(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve()
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }))
}

/** The address change and the hooks after it run only once what was written before them is on disk. */
function waitsForJournal(step: Step): boolean {
  if (step.step === 'add' || step.step === 'remove') return true
  return step.step === 'phase' && (step.phase === 'PostAcq' || step.phase === 'PostRel')
}
