import type * as PromClient from 'prom-client'
import type { Config } from '../../config/schema.js'
import {
  ACQUIRE_CAUSES,
  CHECKLIST_OUTCOMES,
  type EventOf,
  type IpfoEvent,
  RELEASE_CAUSES,
} from '../../model/events.js'
import { METRICS } from './catalogue.js'
import type { PromClientModule } from './default-metrics.js'
import { domains, HOOK_RUN_PHASES, TAKEOVER_STEPS } from './label-values.js'

type ChecklistFinished = EventOf<'checklist-finished'>

const EVENT_METRICS = [
  'ipfo_acquires_total',
  'ipfo_releases_total',
  'ipfo_checklists_total',
  'ipfo_takeover_step_seconds',
  'ipfo_hook_runs_total',
  'ipfo_hook_duration_seconds',
  'ipfo_hooks_refused_total',
  'ipfo_events_total',
  'ipfo_quorum_reachable',
] as const

/**
 * The metrics events feed: prom-client counters and histograms in `registry`, every label set of
 * the catalogue at 0 from the start (a series that appears at 1 is no increase to Prometheus). An
 * event whose label value the config does not name (an unknown owner, step or phase) counts only
 * in ipfo_events_total: no label value comes from an event unchecked.
 */
export function eventCounters(config: Config, client: PromClientModule, registry: PromClient.Registry) {
  const specs = new Map(METRICS.filter((m) => isEventMetric(m.name)).map((m) => [m.name, m]))
  const spec = (name: (typeof EVENT_METRICS)[number]) => {
    const found = specs.get(name)
    if (!found) throw new Error(`${name} is not in the catalogue`)
    return { name, help: found.help, labelNames: Object.keys(found.labels), registers: [registry] }
  }
  const counter = (name: (typeof EVENT_METRICS)[number]) => {
    const c = new client.Counter(spec(name))
    for (const labels of specs.get(name)?.series(config) ?? []) c.inc(labels, 0)
    return c
  }
  const histogram = (name: (typeof EVENT_METRICS)[number]) => {
    const h = new client.Histogram({ ...spec(name), buckets: [...(specs.get(name)?.buckets ?? [])] })
    for (const labels of specs.get(name)?.series(config) ?? []) h.zero(labels)
    return h
  }
  const acquires = counter('ipfo_acquires_total')
  const releases = counter('ipfo_releases_total')
  const checklists = counter('ipfo_checklists_total')
  const steps = histogram('ipfo_takeover_step_seconds')
  const hookRuns = counter('ipfo_hook_runs_total')
  const hookDurations = histogram('ipfo_hook_duration_seconds')
  const refused = counter('ipfo_hooks_refused_total')
  const events = counter('ipfo_events_total')
  const reachable = config.coordination ? new client.Gauge(spec('ipfo_quorum_reachable')) : undefined
  reachable?.set(1)

  const owners = new Set(domains(config).owners)
  const acquireSteps = new Set<string>(TAKEOVER_STEPS.filter((s) => s !== 'decision' && s !== 'total'))
  const phases = new Set<string>(HOOK_RUN_PHASES)
  const outcomes = new Set<string>(CHECKLIST_OUTCOMES)
  const acquireCauses = new Set<string>(ACQUIRE_CAUSES)
  const releaseCauses = new Set<string>(RELEASE_CAUSES)
  const kinds = new Set<string>(
    specs
      .get('ipfo_events_total')
      ?.series(config)
      .map((l) => l.kind ?? ''),
  )

  return {
    /** Whether events feed the metric (ipfo_quorum_reachable has no series without coordination). */
    has: isEventMetric,
    onEvent(event: IpfoEvent): void {
      if (kinds.has(event.kind)) events.inc({ kind: event.kind })
      switch (event.kind) {
        case 'acquiring':
          if (owners.has(event.owner) && acquireCauses.has(event.cause))
            acquires.inc({ owner: event.owner, cause: event.cause })
          return
        case 'releasing':
          if (owners.has(event.owner) && releaseCauses.has(event.cause))
            releases.inc({ owner: event.owner, cause: event.cause })
          return
        case 'checklist-finished':
          checklistFinished(event)
          return
        case 'hook-finished': {
          if (!phases.has(event.phase)) return
          // Test's non-zero exit is its designed veto (notification-only), not a failure.
          const result = event.timedOut
            ? 'timeout'
            : event.signal !== null
              ? 'signal'
              : event.exitCode === 0
                ? 'ok'
                : event.phase === 'Test'
                  ? 'vetoed'
                  : 'failed'
          hookRuns.inc({ phase: event.phase, result })
          if (validMs(event.durationMs))
            hookDurations.observe({ phase: event.phase }, event.durationMs / 1000)
          return
        }
        case 'hook-refused':
          if (phases.has(event.phase)) refused.inc({ phase: event.phase })
          return
        case 'quorum-unreachable':
          reachable?.set(0)
          return
        case 'quorum-reachable':
        case 'quorum-lease':
          reachable?.set(1)
          return
      }
    },
  }

  /**
   * Only takeovers (an acquire caused by peer-lost or peer-unfit) are timed: not one at boot
   * (own-free), an operator's or a claim-timeout's. Every step of one is timed, whatever its outcome
   * (a refused takeover's arbitration took its time too), but not an abandon's undo; decision and
   * total only for a takeover that was done.
   */
  function checklistFinished(event: ChecklistFinished): void {
    if (outcomes.has(event.outcome) && (event.action === 'acquire' || event.action === 'release'))
      checklists.inc({ action: event.action, outcome: event.outcome })
    if (event.action !== 'acquire' || !owners.has(event.owner)) return
    if (event.cause !== 'peer-lost' && event.cause !== 'peer-unfit') return
    for (const { step, ms } of event.steps) if (acquireSteps.has(step)) observe(steps, step, ms)
    if (event.outcome !== 'done') return
    if (event.detectionMs !== null) observe(steps, 'decision', event.detectionMs)
    observe(steps, 'total', event.durationMs)
  }
}

function observe(histogram: PromClient.Histogram, step: string, ms: number): void {
  if (validMs(ms)) histogram.observe({ step }, ms / 1000)
}

/** A duration an event says; prom-client throws on what is not a number. */
function validMs(ms: unknown): ms is number {
  return typeof ms === 'number' && Number.isFinite(ms) && ms >= 0
}

function isEventMetric(name: string): name is (typeof EVENT_METRICS)[number] {
  return (EVENT_METRICS as readonly string[]).includes(name)
}
