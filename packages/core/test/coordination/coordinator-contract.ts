import { expect, it, onTestFinished } from 'vitest'
import type { Coordinator, CoordinatorReport, HolderChange } from '../../src/model/coordination.js'

/**
 * What every Coordinator promises (src/model/coordination.ts), as tests to run against each one:
 * the etcd adapter on a real cluster and the fake. Time is the harness's: a fake clock moves when
 * told, a real one is waited on. The assertions are properties (one winner, no claim won before the
 * last holder's validity ended), never tight timings.
 */
export interface CoordinatorHarness {
  readonly ttlMs: number
  readonly marginMs: number
  /** A new coordinator on the store every other one of the harness uses. */
  coordinator(): Coordinator
  /** The clock `validUntil` is on. */
  now(): number
  /** Lets time pass. */
  pass(ms: number): Promise<void>
}

let groups = 0
/** A group no other test uses (the real store keeps its keys between tests). */
const freshGroup = () => `g${++groups}-${Math.random().toString(36).slice(2, 8)}`

export interface Started {
  readonly coordinator: Coordinator
  readonly reports: CoordinatorReport[]
  /** The last validUntil reported (granted or renewed). */
  validUntil(): number
}

async function started(h: CoordinatorHarness): Promise<Started> {
  const coordinator = h.coordinator()
  const reports: CoordinatorReport[] = []
  await coordinator.start((r) => reports.push(r))
  onTestFinished(() => coordinator.stop({ revoke: true }))
  return {
    coordinator,
    reports,
    validUntil() {
      const last = reports.findLast((r) => r.kind === 'lease-granted' || r.kind === 'lease-renewed')
      if (!last || !('validUntil' in last)) throw new Error('no lease reported')
      return last.validUntil
    },
  }
}

/** Polls `check` until it holds, letting the harness's time pass; fails after `withinMs` of it. */
async function eventually<T>(
  h: CoordinatorHarness,
  what: string,
  check: () => Promise<T | undefined> | T | undefined,
  withinMs: number,
) {
  const end = h.now() + withinMs
  for (;;) {
    const value = await check()
    if (value !== undefined && value !== false) return value
    if (h.now() > end) throw new Error(`${what}: not within ${withinMs} ms`)
    await h.pass(50)
  }
}

export function coordinatorContract(harness: () => CoordinatorHarness): void {
  it('lets the handler of lease-granted claim at once', async () => {
    const h = harness()
    const coordinator = h.coordinator()
    const group = freshGroup()
    let claimed: Promise<unknown> | undefined
    await coordinator.start((r) => {
      if (r.kind === 'lease-granted' && !claimed) claimed = coordinator.claim(group, 'first-thing')
    })
    onTestFinished(() => coordinator.stop({ revoke: true }))
    expect(await claimed).toMatchObject({ won: true })
  })

  it('grants a lease at start and renews it: validUntil moves on', async () => {
    const h = harness()
    const before = h.now()
    const a = await started(h)
    const granted = a.reports[0]
    expect(granted).toMatchObject({ kind: 'lease-granted' })
    const first = a.validUntil()
    expect(first).toBeGreaterThan(before)
    expect(first).toBeLessThanOrEqual(h.now() + h.ttlMs - h.marginMs)
    expect(a.coordinator.status()).toMatchObject({ leaseId: (granted as { leaseId: string }).leaseId })
    expect(a.coordinator.status().validForMs).toBeGreaterThan(0)
    await eventually(h, 'a renewal', () => a.reports.some((r) => r.kind === 'lease-renewed'), 3 * h.ttlMs)
    expect(a.validUntil()).toBeGreaterThan(first)
    expect(a.reports.filter((r) => r.kind === 'lease-lost' || r.kind === 'unreachable')).toEqual([])
  })

  it('lets exactly one of two claims win; the other sees the winner and its revision', async () => {
    const h = harness()
    const [a, b] = [await started(h), await started(h)]
    const group = freshGroup()
    const results = await Promise.all([
      a.coordinator.claim(group, 'node-a'),
      b.coordinator.claim(group, 'node-b'),
    ])
    const winners = results.filter((r) => r.won)
    expect(winners).toHaveLength(1)
    const [won, lost] = results[0]?.won ? results : [results[1], results[0]]
    const winnerValue = results[0]?.won ? 'node-a' : 'node-b'
    expect(lost).toEqual({ won: false, holder: winnerValue, revision: won?.revision })
    const holder = results[0]?.won ? a : b
    expect(holder.coordinator.status().held).toEqual([{ group, revision: won?.revision }])
  })

  it('takes a claim retried under the same lease as a win with the same revision', async () => {
    const h = harness()
    const a = await started(h)
    const group = freshGroup()
    const first = await a.coordinator.claim(group, 'node-a')
    expect(first.won).toBe(true)
    expect(await a.coordinator.claim(group, 'node-a')).toEqual(first)
  })

  it("releases only the holder's key; after a release the other wins, with a later revision", async () => {
    const h = harness()
    const [a, b] = [await started(h), await started(h)]
    const group = freshGroup()
    const first = await a.coordinator.claim(group, 'node-a')
    expect(await b.coordinator.release(group)).toBe(false)
    expect(await b.coordinator.claim(group, 'node-b')).toMatchObject({ won: false, holder: 'node-a' })
    expect(await a.coordinator.release(group)).toBe(true)
    expect(a.coordinator.status().held).toEqual([])
    const second = await b.coordinator.claim(group, 'node-b')
    expect(second.won).toBe(true)
    // The revision is the fencing token: a later holder's is larger.
    expect(BigInt(second.revision)).toBeGreaterThan(BigInt(first.revision))
    expect(await a.coordinator.release(group)).toBe(false)
  })

  it('hands over at once on a clean stop (the lease is revoked)', async () => {
    const h = harness()
    const [a, b] = [await started(h), await started(h)]
    const group = freshGroup()
    expect((await a.coordinator.claim(group, 'node-a')).won).toBe(true)
    const stoppedAt = h.now()
    await a.coordinator.stop({ revoke: true })
    await eventually(
      h,
      'the claim after a clean stop',
      async () => (await b.coordinator.claim(group, 'node-b')).won,
      h.ttlMs - h.marginMs,
    )
    // Well before the TTL could have run out: the revoke, not expiry, freed the key.
    expect(h.now() - stoppedAt).toBeLessThan(h.ttlMs - h.marginMs)
  })

  it("takes its own earlier run's key at once (killed and started again within the TTL): that run's lease is revoked, another node's key is never taken", async () => {
    const h = harness()
    const earlier = await started(h)
    const [group, other] = [freshGroup(), freshGroup()]
    const first = await earlier.coordinator.claim(group, 'node-a')
    expect(first.won).toBe(true)
    expect((await earlier.coordinator.claim(other, 'node-a')).won).toBe(true)
    // Killed: no more renewals, no revoke; its lease lives on for the TTL.
    const killedAt = h.now()
    await earlier.coordinator.stop({ revoke: false })
    const b = await started(h)
    expect(await b.coordinator.claim(group, 'node-b')).toMatchObject({ won: false, holder: 'node-a' })
    const again = await started(h)
    const won = await again.coordinator.claim(group, 'node-a')
    expect(won.won).toBe(true)
    expect(BigInt(won.revision)).toBeGreaterThan(BigInt(first.revision))
    // The earlier lease is gone, with every key bound to it: b wins the other group at once.
    expect((await b.coordinator.claim(other, 'node-b')).won).toBe(true)
    // Before the earlier lease could have run out by itself: the revoke freed them, not expiry.
    expect(h.now() - killedAt).toBeLessThan(h.ttlMs - h.marginMs)
    // And the new run's key is its own: b cannot take it.
    expect(await b.coordinator.claim(group, 'node-b')).toMatchObject({ won: false, holder: 'node-a' })
  })

  it('frees the key of a node that stopped renewing only after its lease ran out, never before its validUntil', async () => {
    const h = harness()
    const [a, b] = [await started(h), await started(h)]
    const group = freshGroup()
    expect((await a.coordinator.claim(group, 'node-a')).won).toBe(true)
    await h.pass(h.ttlMs / 3 + 100)
    // As a frozen or dead process: no more renewals, no revoke.
    await a.coordinator.stop({ revoke: false })
    const validUntil = a.validUntil()
    const wonAt = await eventually(
      h,
      "the claim after the holder's lease expired",
      async () => {
        const result = await b.coordinator.claim(group, 'node-b')
        const at = h.now()
        if (!result.won) {
          expect(result.holder).toBe('node-a')
          return undefined
        }
        return at
      },
      2 * h.ttlMs + 3_000,
    )
    expect(wonAt).toBeGreaterThanOrEqual(validUntil)
  })

  it('watches a key: a put, a release, and the expiry of its lease', async () => {
    const h = harness()
    const [a, b, watcher] = [await started(h), await started(h), await started(h)]
    const group = freshGroup()
    const seen: HolderChange[] = []
    // A watch starts asynchronously on a real store: it watches from a revision read before it, so a
    // change made before the watch is in place is replayed rather than missed.
    const mark = await watcher.coordinator.claim(freshGroup(), 'mark')
    const unwatch = watcher.coordinator.watch(group, (change) => seen.push(change), {
      afterRevision: mark.revision,
    })
    onTestFinished(unwatch)
    const claimed = await a.coordinator.claim(group, 'node-a')
    await eventually(h, 'the put', () => seen.length >= 1, 5_000)
    expect(seen[0]).toEqual({ kind: 'put', holder: 'node-a', revision: claimed.revision })
    await a.coordinator.release(group)
    await eventually(h, 'the delete of a release', () => seen.length >= 2, 5_000)
    expect(seen[1]).toMatchObject({ kind: 'delete' })
    expect((await b.coordinator.claim(group, 'node-b')).won).toBe(true)
    await b.coordinator.stop({ revoke: false })
    await eventually(h, 'the put and the delete of an expiry', () => seen.length >= 4, 2 * h.ttlMs + 3_000)
    expect(seen.slice(2).map((c) => c.kind)).toEqual(['put', 'delete'])
    unwatch()
  })

  it("replays to a watch from a lost claim's revision what it would have missed", async () => {
    const h = harness()
    const [a, b] = [await started(h), await started(h)]
    const group = freshGroup()
    await a.coordinator.claim(group, 'node-a')
    const lost = await b.coordinator.claim(group, 'node-b')
    expect(lost.won).toBe(false)
    // Released between b's claim and b's watch: the watch from the claim's revision still hears it.
    await a.coordinator.release(group)
    const seen: HolderChange[] = []
    const unwatch = b.coordinator.watch(group, (change) => seen.push(change), {
      afterRevision: lost.revision,
    })
    onTestFinished(unwatch)
    await eventually(h, 'the replayed delete', () => seen.length >= 1, 5_000)
    expect(seen[0]).toMatchObject({ kind: 'delete' })
    expect(BigInt(seen[0]?.revision ?? 0)).toBeGreaterThan(BigInt(lost.revision))
  })

  it('refuses calls before start', async () => {
    const h = harness()
    const idle = h.coordinator()
    await expect(idle.claim(freshGroup(), 'x')).rejects.toThrow(/not started/)
  })
}
