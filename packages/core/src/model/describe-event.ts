import { formatDuration } from './duration.js'
import type { EventOf, IpfoEvent } from './events.js'

export type Severity = 'debug' | 'info' | 'warn' | 'error'

/** How loud an event is, for log levels and for what `ipfo status` and mail highlight. */
export function severityOf(event: IpfoEvent): Severity {
  switch (event.kind) {
    case 'error':
    case 'claim-forced':
    case 'checklist-aborted':
    case 'hook-refused':
    case 'address-conflict':
    case 'kept-on-stop':
    case 'guard-died':
    case 'no-node-fit':
    case 'order-mismatch':
    case 'quorum-lost':
      return 'error'
    case 'peer-lost':
    case 'carrier-lost':
    case 'link-anomaly':
    case 'peer-indirect':
    case 'heartbeat-lost':
    case 'packet-dropped':
    case 'loop-stalled':
    case 'quorum-stale-key':
    case 'notification-only':
    case 'claim-waiting':
    case 'paused':
    case 'takeover-refused':
    case 'claim-lost':
    case 'quorum-unreachable':
    case 'acquire-yielding':
    case 'acquire-abandoned':
    case 'checklist-recovered':
    case 'released-at-start':
    case 'hook-reaped':
    case 'tools-missing':
    case 'guard-acted':
    case 'addresses-expired':
    case 'check-failed':
    case 'unfit':
      return 'warn'
    case 'guard-started':
      return event.restarts > 0 ? 'warn' : 'info'
    case 'hook-finished':
      return event.exitCode === 0 ? 'info' : 'warn'
    case 'announced':
    case 'checklist-finished':
      return 'debug'
    default:
      return 'info'
  }
}

/** One line a person can read, for logs, the demo timeline and mail subjects. */
export function describeEvent(e: IpfoEvent): string {
  switch (e.kind) {
    case 'agent-started':
      return `${e.node} started: heartbeats every ${formatDuration(e.intervalMs)} on ${e.links.join(', ')}; a peer silent on every link for ${formatDuration(e.deadAfterMs)} is taken over (detection ${formatDuration(e.detectionMs)})`
    case 'agent-stopping':
      return `${e.node} stopping (${e.release ? 'releasing' : 'keeping'} held addresses)`
    case 'reconciled':
      return `found on interfaces: ${e.present.join(', ') || 'none'}`
    case 'heartbeat-lost':
      return `no heartbeat from ${e.peer} on ${e.link} for ${formatDuration(e.silentForMs)}`
    case 'heartbeat-restored':
      return `heartbeats from ${e.peer} on ${e.link} again`
    case 'link-anomaly':
      return `network anomaly: ${e.peer} heard on ${e.up.join(', ')} but not on ${e.down.join(', ')} (no takeover)`
    case 'link-anomaly-cleared':
      return `${e.peer} heard on every link again`
    case 'peer-indirect':
      return `${e.peer} is silent here on every link, but ${e.via} still hears it: it is alive, nothing of it is taken over`
    case 'peer-indirect-cleared':
      return `${e.peer} heard directly again`
    case 'order-mismatch':
      return `${e.peer} disagrees on the order of ${e.owner}'s addresses (${e.detail}): none of them is taken over here until the configs agree`
    case 'order-agreed':
      return `${e.peer} agrees on the order of ${e.owner}'s addresses again`
    case 'carrier-lost':
      return `${e.interface} lost its carrier: ${e.addresses.length > 0 ? `${e.addresses.join(', ')} released there, ` : ''}nothing claimed on it until it is back`
    case 'carrier-restored':
      return `${e.interface} has its carrier again: ${e.addresses.length > 0 ? `${e.addresses.join(', ')} claimed once the peers are heard` : 'no address of ipfo on it'}`
    case 'peer-lost':
      return `${e.peer} lost: silent on every link for ${formatDuration(e.silentForMs)}`
    case 'peer-restored':
      return `${e.peer} is back${e.restarted ? ' (restarted)' : ''}`
    case 'check-failed':
      return `check ${e.check} failing: ${e.detail}`
    case 'check-recovered':
      return `check ${e.check} passing again (${e.detail}) after ${formatDuration(e.failedForMs)}`
    case 'unfit':
      return `unfit for ${e.addresses.join(', ')}: ${e.checks.join(', ')} failing`
    case 'fit':
      return `fit for ${e.addresses.join(', ')} again`
    case 'no-node-fit':
      return `no node is fit for ${e.addresses.join(', ')} (${e.reason}): ${e.action === 'kept' ? 'kept here' : e.action === 'released' ? 'released (onAllUnfit: release)' : 'nobody holds it'}`
    case 'acquiring':
      return `acquiring ${e.addresses.join(', ')} of ${e.owner}: ${e.reason}`
    case 'acquired':
      return `acquired ${e.addresses.join(', ')} of ${e.owner} in ${formatDuration(e.durationMs)}`
    case 'releasing':
      return `releasing ${e.addresses.join(', ')} of ${e.owner}: ${e.reason}`
    case 'released':
      return `released ${e.addresses.join(', ')} of ${e.owner} in ${formatDuration(e.durationMs)}`
    case 'notification-only':
      return `notification only for ${e.addresses.join(', ')} (${e.action}): ${e.reason}`
    case 'checklist-aborted':
      return `${e.action} of ${e.owner}'s addresses stopped at ${e.step}: ${e.reason}`
    case 'checklist-finished':
      return `${e.action} of ${e.owner}'s addresses ended ${e.outcome} after ${formatDuration(+e.durationMs.toFixed(1))}: ${e.steps.map((s) => `${s.step} ${formatDuration(+s.ms.toFixed(1))}`).join(', ')}`
    case 'announced':
      return `announced ${e.address} ${e.count} times`
    case 'hook-finished':
      return `${e.phase} ${e.script} ${e.timedOut ? 'timed out' : `exited ${e.exitCode ?? e.signal}`} after ${formatDuration(e.durationMs)}`
    case 'hook-refused':
      return `refused to run ${e.phase} hook ${e.path}: ${e.reason} (fix: ${e.fix})`
    case 'claim-waiting':
      return `waiting for ${e.holder} to release ${e.addresses.join(', ')}`
    case 'claim-forced':
      return `${e.holder} did not release ${e.addresses.join(', ')} within ${formatDuration(e.waitedMs)}: claiming anyway`
    case 'failback-pending':
      if (e.to !== undefined)
        return e.policy === 'manual'
          ? `${e.to}, ahead of this node in the order of ${e.owner}'s addresses, is back; they stay here until "ipfo release ${e.owner}" (failback policy manual)`
          : `${e.to}, ahead of this node in the order of ${e.owner}'s addresses, is back; handing them over in ${formatDuration(e.releaseInMs ?? 0)} if it stays up`
      return e.policy === 'manual'
        ? `${e.owner} is back; its addresses stay here until "ipfo release ${e.owner}" (failback policy manual)`
        : `${e.owner} is back; giving its addresses back in ${formatDuration(e.releaseInMs ?? 0)} if it stays up`
    case 'maintenance':
      return e.on ? 'maintenance mode ON: no automatic takeover or failback' : 'maintenance mode off'
    case 'packet-dropped':
      return `dropped a heartbeat from ${e.from} (${e.reason}): ${e.detail}`
    case 'loop-stalled':
      return `the agent's event loop stalled for ${formatDuration(e.stalledMs)}${stallCause(e)}`
    case 'paused':
      return `this agent was paused for ${formatDuration(e.pausedMs)} (SIGSTOP or a frozen VM): peers are judged afresh`
    case 'address-conflict':
      return `${e.holder} also holds ${e.addresses.join(', ')} of ${e.owner}: both hold them until one lets go`
    case 'addresses-expired':
      return `${e.addresses.join(', ')} of ${e.owner} expired: the agent did not renew their lifetime in time (it was frozen, or the renewals failed), so the kernel removes them by itself; releasing them (hooks run), peers took them over or this node claims them again`
    case 'address-conflict-resolved':
      return `${e.holder} let go of ${e.addresses.join(', ')}; this node keeps them and announces them again`
    case 'acquire-abandoned':
      return `gave up acquiring ${e.addresses.join(', ')} of ${e.owner}: ${e.reason}${e.hooksUndone ? '; PreRel and PostRel ran to undo PreAcq' : ''}`
    case 'acquire-yielding':
      return `${e.holder} holds ${e.addresses.join(', ')} of ${e.owner}: the acquire stops short so that one node keeps them`
    case 'checklist-recovered':
      return `${e.action} of ${e.addresses.join(', ')} (${e.owner}) interrupted by the last shutdown: ${e.decision === 'finished' ? 'finished' : 'rolled back'} (${e.reason})${e.hooksUndone ? '; PreRel and PostRel undo PreAcq' : ''}`
    case 'released-at-start':
      return `removed ${e.addresses.join(', ')} (${e.owner}) at start and ran their release hooks: ${e.reason}`
    case 'hook-reaped':
      return `stopped hook ${e.script} (process group ${e.pgid}) left running by the last run of the agent`
    case 'takeover-refused':
      return `did not take over ${e.addresses.join(', ')} of ${e.owner}: ${e.reason}`
    case 'claim-lost':
      return `did not acquire ${e.addresses.join(', ')} of ${e.owner}: ${e.holder !== undefined ? `${e.holder} holds their key` : 'their key could not be claimed'} (${e.reason}); tried again when the key goes`
    case 'quorum-lost':
      return `quorum lost (${e.reason}): ${e.onLoss === 'release' ? `releasing ${e.addresses.join(', ') || 'nothing held'}` : `KEEPING ${e.addresses.join(', ') || 'nothing held'} (onQuorumLoss: keep): another node may take them over too`}; nothing is acquired until the lease is valid again`
    case 'quorum-regained':
      return 'quorum: the lease is valid; addresses may be claimed'
    case 'quorum-lease':
      return `lease ${e.leaseId} granted by ${e.endpoint} (TTL ${formatDuration(e.ttlMs)})`
    case 'quorum-unreachable':
      return `the quorum store does not answer${e.endpoint ? ` (last tried ${e.endpoint})` : ''}: ${e.message}; the lease holds until its validity runs out`
    case 'quorum-reachable':
      return `the quorum store answers again (${e.endpoint})`
    case 'quorum-stale-key':
      return `deleted the key of ${e.owner}'s addresses that an etcd member wrote for this node late (revision ${e.revision}, a claim carried out after it was answered elsewhere): it held them from the other nodes`
    case 'notify':
      return e.subject
    case 'kept-on-stop':
      return `stopping without releasing ${e.addresses.join(', ')} of ${e.owner}: the release was refused or failed, so they stay on this node; the peer takes them over once this node is silent for deadAfter, and then both hold them. Remove them by hand (ip addr del) or fix the hook and start the agent again`
    case 'tools-missing':
      return `${e.tools.join(' and ')} ${e.tools.length > 1 ? 'are' : 'is'} not installed (apt-get install ${e.packages.join(' ')}): ${e.lost}`
    case 'guard-started':
      return e.restarts > 0
        ? `guard started again (pid ${e.pid}) after ${e.restarts} death${e.restarts > 1 ? 's' : ''}`
        : `guard started (pid ${e.pid}): if the agent dies, it hands the addresses over or keeps them`
    case 'guard-died':
      return `the guard (pid ${e.pid ?? 'unknown'}) ${e.signal ? `was killed by ${e.signal}` : `exited ${e.exitCode}`}: starting it again; until then a crash of the agent leaves its addresses in place`
    case 'guard-acted':
      return guardActed(e)
    case 'error':
      return `${e.context}: ${e.message}`
  }
}

function guardActed(e: EventOf<'guard-acted'>): string {
  const when = e.recorded ? 'while the agent was down, its guard' : 'the agent died; its guard'
  const failed = e.failures.length > 0 ? `; failed: ${e.failures.join('; ')}` : ''
  if (e.removed.length > 0 && e.lastWord.length > 0)
    return `${when} removed ${e.removed.join(', ')} and sent the last word on ${e.lastWord.join(', ')} (${e.tookMs} ms after the agent's death): the peer takes over at once${failed}`
  if (e.removed.length > 0)
    return `${when} removed ${e.removed.join(', ')} but sent no last word: the peer takes over after deadAfter${failed}`
  if (e.kept.length > 0) return `${when} kept ${e.kept.join(', ')}: no peer could take them over${failed}`
  return `${when} had nothing to do: no address was held${failed}`
}

/** What the CPU used across a stall says of it: compared with the whole span it covers. */
function stallCause(e: Extract<IpfoEvent, { kind: 'loop-stalled' }>): string {
  if (e.ranMs === undefined) return ''
  const span = e.spanMs ?? e.stalledMs
  const ran = `it ran ${formatDuration(e.ranMs)} of CPU in the ${formatDuration(span)} since the beat before`
  return e.ranMs < span / 2
    ? ` (${ran}: mostly it was not running, the machine's doing)`
    : ` (${ran}: busy itself, or its compiler and collector threads)`
}
