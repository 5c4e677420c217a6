import { cidr, type InterfaceAddress } from '../model/ip.js'
import type { AddressControl } from '../model/ports.js'
import type { LifetimeKeeper } from './address-lifetimes.js'
import type { Emit } from './event-stream.js'
import { removeAll } from './remove-addresses.js'

/**
 * Quorum (onQuorumLoss release): the addresses an acquire has added while its checklist still runs
 * (the announcements, PostAcq, notify, which may take long: a volume to mount). The key holds them as
 * it holds held addresses, but the machine sees them as acquiring, so neither the kernel lifetimes
 * of held addresses nor the release on quorum loss reach them. Here they get both: a lifetime at
 * once, capped by the lease (an agent frozen in its own PostAcq loses them before the key can go to
 * another node), and, should the lease stop being known valid before the checklist ends, a remove
 * at once instead of after PostAcq. The checklist then ends without them (`fenced`).
 */
export interface AcquireFence {
  /** The acquire of `owner` is about to add these addresses under its claim. */
  adding(owner: string, addresses: readonly InterfaceAddress[]): void
  /** The add succeeded: unless the lease lapsed meanwhile (`fenced`), they get their lifetime now. */
  added(owner: string): void
  /** The checklist is about to remove them itself: the lifetimes stop first (a change would re-add). */
  removing(owner: string): Promise<void>
  /** The checklist ended and the machine heard it (its addresses now held or gone). */
  ended(owner: string): void
  /** Whether the lease lapsed while the acquire ran and its addresses were removed for it. */
  fenced(owner: string): boolean
  /** The lease is no longer known valid: removes every running acquire's addresses now. */
  lapsed(): Promise<void>
}

export function acquireFence(deps: {
  readonly address: AddressControl
  readonly lifetimes: LifetimeKeeper | undefined
  readonly emit: Emit
}): AcquireFence {
  const added = new Map<string, readonly InterfaceAddress[]>()
  const fenced = new Set<string>()

  return {
    adding(owner, addresses) {
      added.set(owner, addresses)
      fenced.delete(owner)
    },
    added(owner) {
      const addresses = added.get(owner)
      if (addresses && !fenced.has(owner)) deps.lifetimes?.adopt(owner, addresses)
    },
    async removing(owner) {
      added.delete(owner)
      await deps.lifetimes?.forget(owner)
    },
    ended(owner) {
      added.delete(owner)
      fenced.delete(owner)
    },
    fenced: (owner) => fenced.has(owner),
    async lapsed() {
      const all = [...added]
      // Every owner at once, before anything is awaited: none of their lifetimes is renewed again.
      for (const [owner] of all) {
        added.delete(owner)
        fenced.add(owner)
      }
      await Promise.all(all.map(([owner]) => deps.lifetimes?.forget(owner)))
      for (const [owner, addresses] of all) {
        deps.emit({
          kind: 'error',
          message: `the quorum lease stopped being known valid while the acquire of ${addresses.map(cidr).join(', ')} ran: removing them now, before its checklist ends`,
          context: `acquiring ${owner}'s addresses`,
        })
        await removeAll(addresses, deps)
      }
    },
  }
}
