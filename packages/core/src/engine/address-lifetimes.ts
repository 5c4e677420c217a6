import { addressKey, cidr, type InterfaceAddress } from '../model/ip.js'
import type { AddressControl, AddressLifetime, Clock, TimerHandle } from '../model/ports.js'
import type { EventBody } from '../state-machine/effects.js'
import { type Lease, leases } from '../state-machine/leases.js'
import type { EngineState } from '../state-machine/state.js'

/** How often an expiring address's lifetime is renewed. */
export const RENEW_EVERY_MS = 500
/**
 * Room for what lies between deciding to renew and the kernel doing it (the `ip -batch` line waiting
 * behind another, a late timer), on both sides: a renewal is sent blind only while the address has
 * at least this long left, and a lifetime is this much longer than it must be.
 */
const SLACK_MS = 500

/**
 * The lifetime an expiring address gets, in whole seconds (the kernel's unit): long enough that no
 * pause shorter than deadAfter lets it lapse (a pause starting just before a renewal is due lasts
 * RENEW_EVERY_MS more, plus the slack), so an address ends by itself only when peers have taken the
 * node for dead. 4 s at the default deadAfter (3 s); 2 s for deadAfter up to 1 s.
 */
export function lifetimeSeconds(deadAfterMs: number): number {
  return Math.max(1, Math.ceil((deadAfterMs + RENEW_EVERY_MS + SLACK_MS) / 1000))
}

/** How long after reporting an address gone the keeper looks again, if the machine still holds it. */
const RECHECK_MS = 5_000
/** The kernel's IPv4 lifetime check may end an address this much before its time (HZ/50). */
const KERNEL_EARLY_MS = 50
/**
 * ...and this much after it: its timer is rounded up (to whole seconds when that is within HZ/4), and
 * runs on a shared workqueue: 12-370 ms late measured here. A whole second, as first chosen, left a
 * 4-5 s lease too little room for a 2 s lifetime: an agent whose renewal an etcd election delayed by
 * a second lost its address while its lease was still valid.
 */
const KERNEL_LATE_MS = 500
/** With a quorum cap: how long a lifetime's change may take to reach the kernel (else it is not sent). */
const QUORUM_SEND_MS = 100
/** A lifetime's last chance is taken this much before the lease leaves less than 2 s for it (a late timer). */
const LAST_CHANCE_EARLY_MS = 50

interface Kept {
  readonly owner: string
  readonly address: InterfaceAddress
  /** What the machine wants: a lifetime (a peer would take the address over) or forever. */
  expires: boolean
  /** What the kernel has, as far as this agent knows: `unknown` until it changed or read it. */
  known: 'forever' | 'finite' | 'unknown'
  /** With `finite`: the earliest moment the kernel may remove it. */
  endsAt: number
  /** When the last change was queued. */
  changedAt: number
  /** The change or look under way, if any. */
  pending: Promise<void> | undefined
  /** When it was found gone and reported (the machine then releases it), or undefined. */
  goneAt: number | undefined
}

export interface LifetimeStatus {
  /** The lifetime of an expiring address, in seconds, and how often it is renewed. */
  seconds: number
  renewEveryMs: number
  addresses: { address: string; lifetime: 'expiring' | 'forever' | 'unknown'; leftMs: number | null }[]
}

export interface LifetimeKeeper {
  /** After every step of the machine: what is held now, and whether each should expire. */
  update(state: EngineState): void
  /** Quorum: the lease was renewed, so a capped lifetime may be renewed now, before it runs short. */
  renewNow(): void
  /**
   * Quorum: addresses a running acquire of `owner` just added (on the interface, with no end). They
   * get an expiring lifetime at once and keep it renewed while the acquire runs; once it ends, they
   * are kept as held addresses are, or forgotten (see acquire-fence.ts).
   */
  adopt(owner: string, addresses: readonly InterfaceAddress[]): void
  /** Stops renewing `owner`'s adopted addresses and waits for the changes under way. */
  forget(owner: string): Promise<void>
  /**
   * After a pause: the owners of addresses whose lifetime may have run out (or is about to) while the
   * agent was frozen. They are forgotten here; the machine releases them (the remove makes sure).
   * Told before the first heartbeat after the pause, so that it does not claim them.
   */
  lapsed(): string[]
  /** A stop that keeps the addresses: none may end after the agent is gone. */
  keepForever(): Promise<void>
  stop(): void
  /** Stops, then waits for the changes already under way: none lands after it resolves. */
  stopAndSettle(): Promise<void>
  status(): LifetimeStatus
}

/**
 * Kernel lifetimes for held addresses (Linux), so that an agent frozen long enough for a peer to take
 * over (SIGSTOP, a stuck loop, a VM paused) loses them by itself instead of answering for them next
 * to the new holder. An address a peer would take over (see `leases`) gets `lifetimeSeconds` and is
 * renewed every RENEW_EVERY_MS through the address control's long-lived `ip -batch` (no process is
 * started); one nobody would take over is kept forever.
 *
 * The kernel adds an absent address when asked to change it, so a renewal is sent without a look
 * only while the address cannot have lapsed: when this agent changed it less than its lifetime minus
 * the slack ago. Otherwise (after a pause, at start for an address found on the interface) it looks
 * first (`ip -j addr show`, a process: only then): an address gone is reported to the machine
 * (`expired`: released, hooks run), one with too little left is left to lapse and looked at again.
 */
export function lifetimeKeeper(opts: {
  readonly clock: Clock
  readonly address: AddressControl
  readonly deadAfterMs: number
  readonly emit: (event: EventBody) => void
  readonly expired: (owner: string) => void
  /**
   * Quorum (onQuorumLoss release): how long from now the store could expire this node's lease at
   * the earliest (its validity plus the margin), in ms, while the lease is known valid; undefined
   * when it is not. Another node can win the address's key only after that, so a lifetime ends
   * before it, the kernel's lateness included: an agent frozen while it holds the key loses the
   * address before the key can go to another node. Absent: no cap.
   */
  readonly leaseEndsInMs?: () => number | undefined
}): LifetimeKeeper | undefined {
  const { clock, address, emit } = opts
  const setLifetime = address.setLifetime?.bind(address)
  const lifetimes = address.lifetimes?.bind(address)
  if (!setLifetime || !lifetimes) return undefined
  const seconds = lifetimeSeconds(opts.deadAfterMs)
  /**
   * The lifetime to give now, and how soon the change must reach the kernel: `seconds`, or fewer so
   * that the kernel removes the address (up to KERNEL_LATE_MS after its lifetime) before the lease
   * can end. Undefined, no change, when that would be under 2 s: a lifetime of 1 s cannot be renewed
   * (a renewal needs SLACK_MS left, and a look cannot tell what is left under a second), so it would
   * lapse under a running agent whose lease is valid; the lifetime the kernel has, capped when it was
   * set, ends before the lease anyway, and a renewal of the lease (`renewNow`) renews it in time.
   * A lease of 4 s and more leaves 2 s after every renewal answered.
   */
  const capped = (): { lifetime: number; sendWithinMs?: number } | undefined => {
    if (!opts.leaseEndsInMs) return { lifetime: seconds }
    // The lease not known valid: no lifetime may be given that outlasts it (the addresses are being
    // removed), so none is.
    const endsIn = opts.leaseEndsInMs()
    if (endsIn === undefined) return undefined
    const cap = Math.floor((endsIn - KERNEL_LATE_MS - QUORUM_SEND_MS) / 1000)
    if (cap < 2) return undefined
    const lifetime = Math.min(seconds, cap)
    return { lifetime, sendWithinMs: endsIn - KERNEL_LATE_MS - lifetime * 1000 }
  }
  const kept = new Map<string, Kept>()
  const statusBefore = new Map<string, string>()
  /** Adopted addresses of running acquires, by owner (kept only while the owner is acquiring). */
  const adopted = new Map<string, readonly InterfaceAddress[]>()
  /**
   * Owners whose addresses may have lapsed while the agent was frozen (`lapsed`): until they are
   * released or added again, an address of theirs is looked at before any change, never changed blind.
   */
  const lapsedOwners = new Set<string>()
  let timer: TimerHandle | undefined
  let lastChance: TimerHandle | undefined
  let stopped = false
  let failing = false

  const failed = (what: string, error: unknown) => {
    if (failing) return
    failing = true
    emit({ kind: 'error', context: what, message: error instanceof Error ? error.message : String(error) })
  }

  /** How long from now a change may take to reach the kernel before the address can have lapsed. */
  const room = (k: Kept) =>
    k.known === 'forever'
      ? Number.POSITIVE_INFINITY
      : k.known === 'finite'
        ? k.endsAt - SLACK_MS - clock.now()
        : 0

  /** Resolves to whether the change was made. */
  const change = (k: Kept, lifetime: AddressLifetime, sendWithinMs?: number): Promise<boolean> => {
    const queuedAt = clock.now()
    const within = Math.min(room(k), sendWithinMs ?? Number.POSITIVE_INFINITY)
    let made = false
    const done = setLifetime(
      k.address,
      lifetime,
      Number.isFinite(within) ? { sendWithinMs: within } : {},
    ).then(
      () => {
        made = true
        failing = false
        k.changedAt = queuedAt
        k.known = lifetime === 'forever' ? 'forever' : 'finite'
        k.endsAt = lifetime === 'forever' ? Number.POSITIVE_INFINITY : queuedAt + lifetime * 1000
      },
      (error: unknown) =>
        failed(`renewing the lifetime of ${cidr(k.address)} on ${k.address.interface}`, error),
    )
    return track(k, done).then(() => made)
  }

  /**
   * Reads what the address has left. `left` is whole seconds rounded up, in effect (the kernel shows
   * the lifetime less the whole seconds gone), and IPv4's check may end it a little early: the
   * address is sure to last `left - 1` seconds, less that.
   */
  const look = (k: Kept): Promise<void> => {
    const lookedAt = clock.now()
    const done = lifetimes([k.address]).then(
      ([found]) => {
        if (stopped || kept.get(addressKey(k.address)) !== k) return
        if (!found) {
          k.goneAt = clock.now()
          opts.expired(k.owner)
          return
        }
        k.goneAt = undefined
        k.known = found.left === 'forever' ? 'forever' : 'finite'
        k.endsAt =
          found.left === 'forever'
            ? Number.POSITIVE_INFINITY
            : lookedAt + (found.left - 1) * 1000 - KERNEL_EARLY_MS
      },
      (error: unknown) =>
        failed(`reading the lifetime of ${cidr(k.address)} on ${k.address.interface}`, error),
    )
    return track(k, done)
  }

  const track = (k: Kept, done: Promise<void>): Promise<void> => {
    const settled = done.then(() => {
      if (k.pending === settled) k.pending = undefined
    })
    k.pending = settled
    return settled
  }

  /** Does what `k` needs now, if anything: a change when it is safe, else a look. */
  function act(k: Kept, lastChance = false): void {
    if (k.pending || stopped || kept.get(addressKey(k.address)) !== k) return
    const now = clock.now()
    if (k.goneAt !== undefined) {
      // Reported gone: the machine releases it. Still held after a while (its release failed): look again.
      if (now - k.goneAt >= RECHECK_MS) void look(k)
      return
    }
    const due = k.expires
      ? k.known !== 'finite' || now - k.changedAt >= RENEW_EVERY_MS || lastChance
      : k.known !== 'forever'
    if (!due) return
    // Then again at once if it worked (the machine may have changed its mind meanwhile); on a failure,
    // or with too little left to change it safely, at the next tick.
    if (room(k) > 0) {
      const next: { lifetime: AddressLifetime; sendWithinMs?: number } | undefined = k.expires
        ? capped()
        : { lifetime: 'forever' }
      if (next) void change(k, next.lifetime, next.sendWithinMs).then((made) => made && act(k))
    } else
      void look(k).then(() => {
        if (room(k) > 0) act(k)
      })
  }

  const tick = () => {
    timer = undefined
    if (stopped) return
    for (const k of kept.values()) act(k)
    if (kept.size > 0) timer = clock.setTimeout(tick, RENEW_EVERY_MS)
    lastChanceBeforeTick()
  }

  /**
   * Quorum: the last moment a lifetime of 2 s still ends before the lease can, when it comes before
   * the next tick. A lifetime given then lasts as long as the lease allows, whatever the ticks'
   * phase: a renewal of the lease delayed by an election has that much longer to come.
   */
  const lastChanceBeforeTick = () => {
    const endsIn = opts.leaseEndsInMs?.()
    if (endsIn === undefined || kept.size === 0) return
    const inMs = endsIn - KERNEL_LATE_MS - QUORUM_SEND_MS - 2_000 - LAST_CHANCE_EARLY_MS
    if (inMs <= 0 || inMs >= RENEW_EVERY_MS) return
    if (lastChance !== undefined) clock.clearTimeout(lastChance)
    lastChance = clock.setTimeout(() => {
      lastChance = undefined
      if (stopped) return
      for (const k of kept.values()) if (k.expires) act(k, true)
    }, inMs)
  }

  const fresh = (lease: Lease, acquiredHere: boolean): Kept => ({
    owner: lease.owner,
    address: lease.address,
    expires: lease.expires,
    // Just added by this agent's own acquire: on the interface, with no end.
    known: acquiredHere ? 'forever' : 'unknown',
    endsAt: acquiredHere ? Number.POSITIVE_INFINITY : 0,
    changedAt: Number.NEGATIVE_INFINITY,
    pending: undefined,
    goneAt: undefined,
  })

  return {
    update(state) {
      if (stopped) return
      const list = leases(state)
      for (const [owner, addresses] of adopted) {
        if (state.resources[owner]?.status !== 'acquiring') adopted.delete(owner)
        else for (const address of addresses) list.push({ owner, address, expires: true })
      }
      for (const owner of lapsedOwners) {
        const status = state.resources[owner]?.status
        if (status !== 'acquiring' && status !== 'held') lapsedOwners.delete(owner)
      }
      const now = new Map(list.map((l) => [addressKey(l.address), l]))
      for (const key of kept.keys()) if (!now.has(key)) kept.delete(key)
      for (const [key, lease] of now) {
        const k = kept.get(key)
        if (!k) {
          const next = fresh(
            lease,
            statusBefore.get(lease.owner) === 'acquiring' && !lapsedOwners.has(lease.owner),
          )
          kept.set(key, next)
          act(next)
        } else if (k.expires !== lease.expires) {
          k.expires = lease.expires
          act(k)
        }
      }
      statusBefore.clear()
      for (const r of Object.values(state.resources)) statusBefore.set(r.owner, r.status)
      if (kept.size > 0 && timer === undefined) timer = clock.setTimeout(tick, RENEW_EVERY_MS)
    },

    renewNow() {
      if (stopped) return
      for (const k of kept.values()) act(k)
    },

    adopt(owner, addresses) {
      if (stopped) return
      lapsedOwners.delete(owner)
      adopted.set(owner, addresses)
      for (const address of addresses) {
        const key = addressKey(address)
        if (kept.has(key)) continue
        const k = fresh({ owner, address, expires: true }, true)
        kept.set(key, k)
        act(k)
      }
      if (timer === undefined) timer = clock.setTimeout(tick, RENEW_EVERY_MS)
    },

    async forget(owner) {
      adopted.delete(owner)
      const gone = [...kept].filter(([, k]) => k.owner === owner)
      for (const [key] of gone) kept.delete(key)
      await Promise.all(gone.map(([, k]) => k.pending))
    },

    lapsed() {
      const owners = new Set<string>()
      for (const [key, k] of kept)
        if (k.known === 'finite' && room(k) <= 0) {
          kept.delete(key)
          owners.add(k.owner)
        }
      for (const owner of owners) {
        adopted.delete(owner)
        lapsedOwners.add(owner)
      }
      return [...owners]
    },

    async keepForever() {
      stopped = true
      if (timer !== undefined) clock.clearTimeout(timer)
      if (lastChance !== undefined) clock.clearTimeout(lastChance)
      timer = undefined
      lastChance = undefined
      // What is under way first: a change to a lifetime may be about to land.
      await Promise.all([...kept.values()].map((k) => k.pending))
      await Promise.all(
        [...kept.values()].map(async (k) => {
          if (k.goneAt !== undefined || k.known === 'forever') return
          if (k.known === 'unknown') {
            const [found] = await lifetimes([k.address]).catch(() => [])
            if (!found || found.left === 'forever') return
            k.known = 'finite'
            k.endsAt = clock.now() + (found.left - 1) * 1000 - KERNEL_EARLY_MS
          }
          const within = room(k)
          if (within <= 0) return
          await setLifetime(k.address, 'forever', { sendWithinMs: within }).catch((error: unknown) =>
            failed(`keeping ${cidr(k.address)} on ${k.address.interface} forever`, error),
          )
        }),
      )
    },

    stop() {
      stopped = true
      if (timer !== undefined) clock.clearTimeout(timer)
      if (lastChance !== undefined) clock.clearTimeout(lastChance)
      timer = undefined
      lastChance = undefined
    },

    async stopAndSettle() {
      this.stop()
      await Promise.all([...kept.values()].map((k) => k.pending))
    },

    status() {
      const at = clock.now()
      return {
        seconds,
        renewEveryMs: RENEW_EVERY_MS,
        addresses: [...kept.values()].map((k) => ({
          address: `${cidr(k.address)}@${k.address.interface}`,
          lifetime: k.known === 'finite' ? 'expiring' : k.known,
          leftMs: k.known === 'finite' ? Math.max(0, k.endsAt - at) : null,
        })),
      }
    },
  }
}
