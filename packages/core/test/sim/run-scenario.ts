import { type Bounds, boundsOf, NOTIFY_RETRY_MS } from './bounds.js'
import { Conditions } from './conditions.js'
import { EngineErrors } from './engine-errors.js'
import { describeFault, scheduleFaults } from './fault-driver.js'
import { FitHolder } from './fit-holder.js'
import { CheckRuns } from './health-port.js'
import { HolderInvariants } from './holder-invariants.js'
import { HookOrder } from './hook-order.js'
import { InterfaceTable } from './interface-table.js'
import { Network } from './network.js'
import { addressOwners, mayHold, nodeConfig } from './node-config.js'
import { Progress } from './progress.js'
import { RefusalPace } from './refusal-pace.js'
import type { Schedule } from './schedule.js'
import { Scheduler } from './scheduler.js'
import { type NodeObserver, SimNode } from './sim-node.js'
import { describeForTrace, Trace } from './trace.js'
import type { Violation } from './violation.js'

export interface ScenarioResult {
  readonly violation: Violation | undefined
  /** Hash of the whole trace: the same schedule always gives the same one. */
  readonly traceHash: string
  readonly traceTail: readonly string[]
  readonly events: number
  readonly simulatedMs: number
  readonly bounds: Bounds
}

export interface RunOptions {
  /** Trace lines kept for the report (default 60). */
  readonly keepTrace?: number
  /** Every trace line as it happens (replays print them). */
  readonly echo?: (line: string) => void
}

/** The scenario whose invariants an unhandled rejection is charged to (one runs at a time). */
let current: EngineErrors | undefined
let currentNow = () => 0
let listening = false
function chargeRejections(): void {
  if (listening) return
  listening = true
  process.on('unhandledRejection', (reason) => {
    if (current) current.failure('?', 'a promise (unhandled rejection)', reason, currentNow())
    else throw reason
  })
}

/** Runs one schedule on real engines in simulated time and checks the invariants at every instant. */
export async function runScenario(schedule: Schedule, opts: RunOptions = {}): Promise<ScenarioResult> {
  const { setup, faults } = schedule
  const scheduler = new Scheduler()
  const ids = setup.nodes.map((n) => n.id)
  const table = new InterfaceTable(ids)
  const network = new Network(scheduler, schedule.seed, ids, setup.links, setup.latency, (n) =>
    table.carrierUp(n),
  )
  const bounds = boundsOf(setup, faults)
  const trace = new Trace(opts.keepTrace ?? 60, opts.echo)
  const errors = new EngineErrors()
  const hookOrder = new HookOrder()
  const checkRuns = new CheckRuns()
  const refusalPace = new RefusalPace(setup, bounds.skew)
  const nodes: SimNode[] = []
  const node = (id: string) => nodes.find((n) => n.id === id)!
  const conditions = new Conditions({
    scheduler,
    network,
    nodes,
    bounds,
    carrierUp: (n) => table.carrierUp(n),
  })
  const owners = setup.nodes.filter((n) => n.owns.length > 0).length
  const addresses = addressOwners(setup).map((a) => ({ ...a, mayHold: mayHold(setup, a.owner) }))
  const progress = new Progress({ scheduler, nodes, bounds, owners })
  const holders = new HolderInvariants({
    table,
    network,
    nodes,
    conditions,
    bounds,
    addresses,
    checked: setup.checks !== undefined,
  })
  const fitHolder = setup.checks
    ? new FitHolder({
        table,
        network,
        nodes,
        conditions,
        bounds,
        faults,
        addresses,
        carrierUp: (n) => table.carrierUp(n),
      })
    : undefined
  const observer: NodeObserver = {
    event: (id, e) => {
      trace.line(scheduler.now, id, describeForTrace(e))
      errors.event(id, e, scheduler.now)
      hookOrder.event(id, e, scheduler.now)
      refusalPace.event(id, e, scheduler.now)
      blocksFrom(id, e)
    },
    hook: (id, stage, ctx) => {
      trace.line(scheduler.now, id, `hook ${stage} ${ctx.action} ${ctx.owner}`)
      hookOrder.hook(id, stage, ctx, scheduler.now)
    },
    lifecycle: (id) => {
      conditions.invalidate()
      const n = node(id)
      trace.line(scheduler.now, id, `agent ${n.state}`)
      if (n.state === 'up') conditions.restarted(id)
      if (n.state === 'down') {
        hookOrder.agentEnded(id)
        refusalPace.agentEnded(id)
      }
    },
    engineFailure: (id, what, error) => errors.failure(id, what, error, scheduler.now),
    expectError: (id, context) => errors.expect(id, context),
    trace: (id, text) => trace.line(scheduler.now, id, text),
  }
  /** What a node said about not acting: excused for the retry time the engine documents. */
  const blocksFrom = (id: string, e: Parameters<NodeObserver['event']>[1]) => {
    const now = scheduler.now
    const retry = now + bounds.retryMs
    if (e.kind === 'notification-only')
      // Test said no: an acquire is asked again after a minute; a peer's addresses also (and a refused
      // release only) when the peer's liveness changes.
      conditions.block(
        id,
        e.action,
        e.owner,
        e.owner === id || e.action === 'acquire' ? now + NOTIFY_RETRY_MS * bounds.skew : Infinity,
        e.owner !== id,
      )
    else if (e.kind === 'checklist-aborted') conditions.block(id, e.action, e.owner, retry)
    else if (e.kind === 'takeover-refused') conditions.block(id, 'acquire', e.owner, retry)
    else if (e.kind === 'error' && e.context.startsWith('adding '))
      for (const n of setup.nodes) conditions.block(id, 'acquire', n.id, retry)
    else if (e.kind === 'peer-lost' || e.kind === 'peer-restored') {
      conditions.unblockOnChange(id, e.peer)
      if (e.kind === 'peer-lost') conditions.peerLost(id, e.peer)
    }
  }
  for (const n of setup.nodes)
    nodes.push(
      new SimNode(n, nodeConfig(setup, n), {
        scheduler,
        network,
        table,
        latency: setup.latency,
        arbitrationLatencyMs: Math.min(setup.timers.arbitrationTimeoutMs, 2 * bounds.delayMs + 1),
        observer,
        seed: schedule.seed,
        checks: setup.checks,
        checkRuns,
      }),
    )
  let tableChanged = true
  table.onChange = (id, address) => {
    tableChanged = true
    if (address === undefined) trace.line(scheduler.now, id, `carrier ${table.carrierUp(id) ? 'up' : 'down'}`)
    else {
      trace.line(scheduler.now, id, `${table.has(id, address) ? 'has' : 'lost'} ${address}`)
      holders.tableChanged(address, scheduler.now)
    }
  }
  for (const n of nodes) scheduler.at(n.setup.startAt, () => n.start())
  scheduleFaults(faults, { scheduler, network, table, conditions, observer, node })
  for (const f of faults) trace.line(0, '', `planned ${describeFault(f)}`)

  let violation: Violation | undefined
  let wakeAt = Number.POSITIVE_INFINITY
  const check = () => {
    const now = scheduler.now
    // The address invariants can only change with the tables, a condition, or a deadline passing.
    const recheck =
      conditions.refresh() || tableChanged || (holders.nextDue !== undefined && now >= holders.nextDue)
    tableChanged = false
    violation ??=
      errors.violation ??
      hookOrder.violation ??
      refusalPace.violation ??
      checkRuns.violation ??
      progress.check(now) ??
      (recheck ? holders.check(now) : undefined) ??
      fitHolder?.check(now)
    const due = Math.min(
      holders.nextDue ?? Number.POSITIVE_INFINITY,
      progress.nextDue ?? Number.POSITIVE_INFINITY,
    )
    if (violation === undefined && Number.isFinite(due) && (due < wakeAt || wakeAt <= now)) {
      wakeAt = due
      // A moment after the deadline: the check then sees it passed.
      scheduler.at(due + 0.001, () => undefined)
    }
  }
  chargeRejections()
  current = errors
  currentNow = () => scheduler.now
  try {
    await scheduler.run({
      until: endOf(schedule, bounds),
      isCurrent: (id, gen) => node(id).gen === gen,
      afterEach: check,
      stop: () => violation !== undefined,
    })
    // The last check: also the one that sees a livelock the scheduler stopped on.
    check()
  } catch (error) {
    errors.failure('?', 'an event', error, scheduler.now)
    violation ??= errors.violation
  } finally {
    current = undefined
  }
  if (violation) trace.line(violation.at, '!!', `${violation.invariant}: ${violation.message}`)
  return {
    violation,
    traceHash: trace.digest(),
    traceTail: trace.tail(),
    events: scheduler.eventsRun,
    simulatedMs: scheduler.now,
    bounds,
  }
}

/**
 * Where the run ends: the horizon, or with health checks later if the last fault ends near it, so
 * that the cluster settles and `fit-holder` judges the end.
 */
function endOf(schedule: Schedule, bounds: Bounds): number {
  if (!schedule.setup.checks) return schedule.horizonMs
  const lastEdge = Math.max(
    0,
    ...schedule.faults.map((f) => ('until' in f && f.until !== undefined ? f.until : f.at)),
  )
  return Math.max(schedule.horizonMs, Math.ceil(lastEdge + 2 * bounds.fitHolderMs))
}
