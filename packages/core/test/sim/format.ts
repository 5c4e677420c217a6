import { describeFault } from './fault-driver.js'
import type { Schedule } from './schedule.js'

/** A schedule as a person reads it: the cluster, the timers, then the faults in time order. */
export function formatSchedule(s: Schedule): string {
  const t = s.setup.timers
  const l = s.setup.latency
  const nodes = s.setup.nodes
    .map(
      (n) =>
        `${n.id} owns [${n.owns.join(' ')}]${n.takers ? ` takers [${n.takers.join(' ')}]` : ''} watches [${n.watches.join(' ')}] clock x${n.clockRate} start @${n.startAt}`,
    )
    .join('\n  ')
  const claim =
    t.claimTimeoutMs === undefined
      ? 'default'
      : `${t.claimTimeoutMs}${t.bypassSchema ? ' (past the schema)' : ''}`
  return [
    `seed ${s.seed} (${s.mode} timers, generator ${s.generator ?? 1}), ${s.horizonMs} ms, links ${s.setup.links.join('+')}`,
    `  ${nodes}`,
    `  interval ${t.intervalMs} deadAfter ${t.deadAfterMs} failback ${t.policy} stableFor ${t.stableForMs} claimTimeout ${claim}`,
    `  carrierSettle ${t.carrierSettleMs} announce ${t.announceCount}x${t.announceIntervalMs} onStop ${t.onStop} onCarrierLoss ${t.onCarrierLoss} arbitration ${t.arbitration ? `probe ${t.arbitrationTimeoutMs}` : 'off'}`,
    `  delay ${l.delayMs}+${l.jitterMs} address ${l.addressMs} journal ${l.journalMs} hooks ${Object.entries(
      l.hookMs,
    )
      .map(([k, v]) => `${k}=${v}`)
      .join(' ')}`,
    `  ${checks(s)}`,
    ...(s.faults.length === 0 ? ['  (no faults)'] : s.faults.map((f) => `  ${describeFault(f)}`)),
  ].join('\n')
}

function checks(s: Schedule): string {
  const c = s.setup.checks
  if (!c) return 'no health checks'
  return `check web (tcp, every address requires it) interval ${c.intervalMs} timeout ${c.timeoutMs} fall ${c.fall} rise ${c.rise} initial ${c.initial} runs up to ${c.runMs} onAllUnfit ${c.onAllUnfit}`
}
