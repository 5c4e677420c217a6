import type { Clock } from '../../model/ports.js'
import { type EndpointOrder, firstAnswer } from './endpoint-race.js'
import type { EtcdClients } from './etcd-clients.js'
import { readHolder, releaseTxn } from './holder-txn.js'

/**
 * A holder key bound to this node's lease that the node does not hold is a ghost: a claim carried out
 * late (asked of a member that was frozen or cut off, answered meanwhile by another; or one that timed
 * out), after the node had let the group go or never won it. Nothing adds the group's addresses for
 * it, but the key keeps every other node from claiming them while the lease lives. The sweep, after
 * each renewal, lists the lease's keys and deletes those.
 *
 * A claim of a group being swept waits for the sweep (`settled`), and a group with a claim under way
 * is not swept: a claim finding a key bound to its own lease takes it as won, and a sweep must not
 * delete a key just won that way.
 */
export interface GhostSweeper {
  /** Lists the lease's holder keys and deletes those the node does not hold; one sweep at a time. */
  sweep(leaseId: string): Promise<void>
  /** Marks a claim of `group` under way until the returned function is called; waits for its sweep. */
  claiming(group: string): Promise<() => void>
}

export interface GhostSweeperDeps {
  readonly clients: EtcdClients
  readonly order: EndpointOrder
  readonly clock: Clock
  /** `<prefix>holders/`: what the holder keys start with. */
  readonly keyPrefix: string
  readonly timeoutMs: number
  /** Whether the node holds `group` under `leaseId` now. */
  readonly holds: (group: string, leaseId: string) => boolean
  /** A ghost deleted: said so, it shows a member that carries requests out late. */
  readonly deleted: (group: string, revision: string) => void
}

export function ghostSweeper(deps: GhostSweeperDeps): GhostSweeper {
  const { clients, order, clock, keyPrefix, timeoutMs } = deps
  const claims = new Map<string, number>()
  const swept = new Map<string, Promise<void>>()
  let running = false

  const call = <T>(what: string, fn: (member: string, deadline: Date) => Promise<T>) =>
    firstAnswer(order, clock, { what, timeoutMs, hedgeAfterMs: Math.floor(timeoutMs / 3) }, fn)

  const sweepGroup = async (group: string, leaseId: string) => {
    const key = `${keyPrefix}${group}`
    const { value: now } = await call(`read ${key}`, (member, deadline) =>
      readHolder(clients.member(member), key, deadline),
    )
    if (now.held?.lease !== leaseId) return
    const revision = now.held.mod_revision
    // Only that key: should it have been claimed again since, the revision differs.
    const { value: outcome } = await call(`delete ${key}`, (member, deadline) =>
      releaseTxn(clients.member(member), key, leaseId, deadline, revision),
    )
    if (outcome === 'deleted') deps.deleted(group, revision)
  }

  return {
    async sweep(leaseId) {
      if (running) return
      running = true
      try {
        const { value: lease } = await call(`list the keys of lease ${leaseId}`, (member, deadline) =>
          clients.member(member).leaseClient.leaseTimeToLive({ ID: leaseId, keys: true }, { deadline }),
        )
        for (const raw of lease.keys ?? []) {
          const name = Buffer.from(raw).toString('utf8')
          if (!name.startsWith(keyPrefix)) continue
          const group = name.slice(keyPrefix.length)
          if (deps.holds(group, leaseId) || (claims.get(group) ?? 0) > 0) continue
          const done = sweepGroup(group, leaseId).finally(() => swept.delete(group))
          swept.set(group, done)
          await done
        }
      } finally {
        running = false
      }
    },

    async claiming(group) {
      claims.set(group, (claims.get(group) ?? 0) + 1)
      await swept.get(group)?.catch(() => undefined)
      let ended = false
      return () => {
        if (ended) return
        ended = true
        const left = (claims.get(group) ?? 1) - 1
        if (left > 0) claims.set(group, left)
        else claims.delete(group)
      }
    },
  }
}
