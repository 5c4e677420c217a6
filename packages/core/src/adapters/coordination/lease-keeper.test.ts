import { describe, expect, it } from 'vitest'
import { FakeClock, flushPromises } from '../../../test/fakes/fake-clock.js'
import type { CoordinatorReport } from '../../model/coordination.js'
import { type LeaseApi, leaseKeeper } from './lease-keeper.js'

interface Call {
  readonly kind: 'grant' | 'keepAlive' | 'revoke'
  readonly at: number
  readonly timeoutMs: number
  readonly id?: string
  answer(value: { id?: string; ttlSeconds?: number }): void
  fail(error: Error & { endpoint?: string }): void
}

/** A lease API whose every call waits until the test answers it. */
function scriptedApi(clock: FakeClock) {
  const calls: Call[] = []
  const call = (kind: Call['kind'], timeoutMs: number, id?: string) =>
    new Promise<{ id?: string; ttlSeconds?: number }>((resolve, reject) => {
      calls.push({ kind, at: clock.now(), timeoutMs, ...(id && { id }), answer: resolve, fail: reject })
    })
  const api: LeaseApi = {
    grant: async (ttlSeconds, timeoutMs) => {
      const a = await call('grant', timeoutMs)
      return { id: a.id ?? 'lease-1', ttlSeconds: a.ttlSeconds ?? ttlSeconds, endpoint: 'http://m1:2379' }
    },
    keepAlive: async (id, timeoutMs) => {
      const a = await call('keepAlive', timeoutMs, id)
      return { ttlSeconds: a.ttlSeconds ?? 2, endpoint: 'http://m2:2379' }
    },
    revoke: async (id, timeoutMs) => {
      await call('revoke', timeoutMs, id)
    },
  }
  return { api, calls, last: () => calls.at(-1) as Call }
}

const onReportFailed = (error: unknown) => {
  throw new Error(`onReport threw in a test that does not expect it: ${error}`)
}

/** A keeper of a 3 s lease with a 500 ms margin: renewals every second, valid until sent + 2.5 s. */
async function started() {
  const clock = new FakeClock(10_000)
  const { api, calls, last } = scriptedApi(clock)
  const reports: CoordinatorReport[] = []
  const keeper = leaseKeeper({
    api,
    clock,
    ttlMs: 3_000,
    marginMs: 500,
    onReport: (r) => reports.push(r),
    onReportFailed,
  })
  const starting = keeper.start()
  await clock.advance(0)
  last().answer({ id: 'lease-1', ttlSeconds: 3 })
  await starting
  return { clock, calls, last, reports, keeper }
}

describe('lease keeper', () => {
  it('counts the first lease from when the grant was sent, not from its answer', async () => {
    const clock = new FakeClock(10_000)
    const { api, last } = scriptedApi(clock)
    const reports: CoordinatorReport[] = []
    const keeper = leaseKeeper({
      api,
      clock,
      ttlMs: 3_000,
      marginMs: 500,
      onReport: (r) => reports.push(r),
      onReportFailed,
    })
    const starting = keeper.start()
    await clock.advance(0)
    expect(last()).toMatchObject({ kind: 'grant', at: 10_000, timeoutMs: 3_000 })
    await clock.advance(400)
    last().answer({ id: 'lease-1', ttlSeconds: 3 })
    await starting
    expect(reports).toEqual([
      {
        kind: 'lease-granted',
        leaseId: 'lease-1',
        validUntil: 12_500,
        ttlMs: 3_000,
        endpoint: 'http://m1:2379',
      },
    ])
    expect(keeper.current()).toEqual({ id: 'lease-1', validUntil: 12_500 })
    // The first renewal too counts from the grant's sending: due at 11 s, not 400 ms later.
    await clock.advance(600)
    expect(last()).toMatchObject({ kind: 'keepAlive', id: 'lease-1', at: 11_000 })
  })

  it('renews every third of the TTL, valid until sent + TTL - margin however late the answer', async () => {
    const { clock, calls, last, reports } = await started()
    await clock.advance(1_000)
    expect(last()).toMatchObject({ kind: 'keepAlive', id: 'lease-1', at: 11_000, timeoutMs: 1_000 })
    await clock.advance(300)
    last().answer({ ttlSeconds: 3 })
    await flushPromises()
    expect(reports.at(-1)).toEqual({
      kind: 'lease-renewed',
      leaseId: 'lease-1',
      validUntil: 13_500,
      ttlLeft: 3_000,
      endpoint: 'http://m2:2379',
    })
    // The next one is due a third of the TTL after the last was sent, not after its answer.
    await clock.advance(700)
    expect(calls.filter((c) => c.kind === 'keepAlive').map((c) => c.at)).toEqual([11_000, 12_000])
  })

  it('tries a failed renewal again 250 ms later while the lease is valid, never giving it more time than the validity it could extend', async () => {
    const { clock, calls, reports, keeper } = await started()
    const renewals = () => calls.filter((c) => c.kind === 'keepAlive')
    // Every member fails at once, as in an election: each renewal fails as soon as it is sent.
    for (let t = 0; t < 2_500; t += 250) {
      await clock.advance(250)
      const call = calls.at(-1)!
      if (call.kind === 'keepAlive' && call.at === clock.now()) {
        call.fail(
          Object.assign(new Error(`no etcd member answered at ${call.at}`), { endpoint: 'http://m3:2379' }),
        )
        await flushPromises()
      }
    }
    // Valid until 12.5 s: from 11 s, a try every 250 ms, each with four fifths of what is left at
    // most (a third of the TTL, 1 s, above that), so a failure is known before the end; once the
    // validity has passed, every third of the TTL again.
    expect(renewals().map((c) => [c.at, c.timeoutMs])).toEqual([
      [11_000, 1_000],
      [11_250, 1_000],
      [11_500, 800],
      [11_750, 600],
      [12_000, 400],
      [12_250, 200],
      [12_500, 1_000],
    ])
    expect(reports.filter((r) => r.kind === 'unreachable')).toHaveLength(7)
    expect(reports.find((r) => r.kind === 'unreachable')).toEqual({
      kind: 'unreachable',
      endpoint: 'http://m3:2379',
      message: 'no etcd member answered at 11000',
    })
    await clock.advance(1_000)
    expect(renewals().at(-1)!.at).toBe(13_500)
    // Still the same lease: only the server can say it is gone. It was valid until 12.5 s.
    expect(keeper.current()).toEqual({ id: 'lease-1', validUntil: 12_500 })
  })

  it('a renewal answered after a failure extends the lease as any other, and the cadence is a third of the TTL again', async () => {
    const { clock, calls, reports } = await started()
    await clock.advance(1_000)
    calls.at(-1)!.fail(new Error('etcdserver: leader changed'))
    await flushPromises()
    await clock.advance(250)
    expect(calls.at(-1)).toMatchObject({ kind: 'keepAlive', at: 11_250 })
    calls.at(-1)!.answer({ ttlSeconds: 3 })
    await flushPromises()
    expect(reports.at(-1)).toMatchObject({ kind: 'lease-renewed', validUntil: 13_750 })
    await clock.advance(1_000)
    expect(calls.filter((c) => c.kind === 'keepAlive').map((c) => c.at)).toEqual([11_000, 11_250, 12_250])
  })

  it('reports a lease the server says is gone, and asks for a new one at once', async () => {
    const { clock, last, reports, keeper } = await started()
    await clock.advance(1_000)
    last().answer({ ttlSeconds: 0 })
    await flushPromises()
    expect(reports.at(-1)).toEqual({
      kind: 'lease-lost',
      leaseId: 'lease-1',
      reason: 'the server says the lease expired or was revoked',
    })
    expect(keeper.current()).toBeUndefined()
    await clock.advance(0)
    expect(last()).toMatchObject({ kind: 'grant', at: 11_000, timeoutMs: 1_000 })
    last().answer({ id: 'lease-2', ttlSeconds: 3 })
    await flushPromises()
    expect(reports.at(-1)).toMatchObject({ kind: 'lease-granted', leaseId: 'lease-2', validUntil: 13_500 })
  })

  it('keeps asking for a new lease every third of the TTL while none is granted', async () => {
    const { clock, calls, last, reports, keeper } = await started()
    keeper.gone('lease-1', 'a claim found the lease gone on the server')
    expect(reports.at(-1)).toMatchObject({ kind: 'lease-lost', leaseId: 'lease-1' })
    await clock.advance(0)
    last().fail(new Error('no etcd member answered'))
    await flushPromises()
    await clock.advance(1_000)
    expect(calls.filter((c) => c.kind === 'grant').map((c) => c.at)).toEqual([10_000, 10_000, 11_000])
  })

  it('does not stretch the validity when the server keeps a longer TTL than asked', async () => {
    const { clock, last, reports } = await started()
    await clock.advance(1_000)
    last().answer({ ttlSeconds: 10 })
    await flushPromises()
    expect(reports.at(-1)).toMatchObject({ kind: 'lease-renewed', validUntil: 13_500, ttlLeft: 10_000 })
  })

  it('stops renewing at stop; with revoke it revokes the lease, and says so if it cannot', async () => {
    const { clock, calls, last, reports, keeper } = await started()
    const stopping = keeper.stop({ revoke: true, timeoutMs: 800 })
    expect(last()).toMatchObject({ kind: 'revoke', id: 'lease-1', timeoutMs: 800 })
    last().fail(new Error('no etcd member answered'))
    await stopping
    expect(reports.at(-1)).toEqual({
      kind: 'unreachable',
      message: 'could not revoke lease lease-1; its keys go when it expires: no etcd member answered',
    })
    const before = calls.length
    await clock.advance(10_000)
    expect(calls.length).toBe(before)
    expect(keeper.current()).toBeUndefined()
  })

  it('ignores the answer of a renewal still under way at stop', async () => {
    const { clock, last, reports, keeper } = await started()
    await clock.advance(1_000)
    const renewal = last()
    await keeper.stop({ revoke: false, timeoutMs: 800 })
    renewal.answer({ ttlSeconds: 3 })
    await flushPromises()
    await clock.advance(5_000)
    expect(reports.map((r) => r.kind)).toEqual(['lease-granted'])
  })

  it('ignores the answer of a renewal that comes after a claim found the lease gone, and asks for a new lease', async () => {
    const { clock, calls, last, reports, keeper } = await started()
    await clock.advance(1_000)
    const renewal = last()
    keeper.gone('lease-1', 'a claim found the lease gone on the server')
    await clock.advance(0)
    // The renewal is still under way: the grant waits for it.
    expect(calls.filter((c) => c.kind === 'grant')).toHaveLength(1)
    renewal.answer({ ttlSeconds: 3 })
    await flushPromises()
    await clock.advance(0)
    expect(reports.map((r) => r.kind)).toEqual(['lease-granted', 'lease-lost'])
    expect(keeper.current()).toBeUndefined()
    expect(last()).toMatchObject({ kind: 'grant', at: 11_000 })
    last().answer({ id: 'lease-2', ttlSeconds: 3 })
    await flushPromises()
    expect(reports.at(-1)).toMatchObject({ kind: 'lease-granted', leaseId: 'lease-2' })
  })

  it('reports a renewal that never settles as a failure at its timeout, and goes on renewing', async () => {
    const { clock, calls, reports } = await started()
    await clock.advance(1_000)
    // Never answered nor failed (a library call that ignores its deadline).
    await clock.advance(1_000)
    expect(reports.at(-1)).toEqual({
      kind: 'unreachable',
      message: 'could not renew lease lease-1: no answer nor failure within 1000 ms',
    })
    await flushPromises()
    expect(calls.filter((c) => c.kind === 'keepAlive').map((c) => c.at)).toEqual([11_000, 12_000])
  })

  it('goes on renewing when onReport throws, handing what it threw over', async () => {
    const clock = new FakeClock(10_000)
    const { api, calls, last } = scriptedApi(clock)
    const thrown: [string, string][] = []
    const keeper = leaseKeeper({
      api,
      clock,
      ttlMs: 3_000,
      marginMs: 500,
      onReport: (r) => {
        throw new Error(`handler bug on ${r.kind}`)
      },
      onReportFailed: (error, r) => thrown.push([(error as Error).message, r.kind]),
    })
    const starting = keeper.start()
    await clock.advance(0)
    last().answer({ id: 'lease-1', ttlSeconds: 3 })
    await starting
    for (let i = 0; i < 2; i++) {
      await clock.advance(1_000)
      last().answer({ ttlSeconds: 3 })
      await flushPromises()
    }
    await clock.advance(1_000)
    expect(calls.filter((c) => c.kind === 'keepAlive').map((c) => c.at)).toEqual([11_000, 12_000, 13_000])
    expect(thrown).toEqual([
      ['handler bug on lease-granted', 'lease-granted'],
      ['handler bug on lease-renewed', 'lease-renewed'],
      ['handler bug on lease-renewed', 'lease-renewed'],
    ])
    expect(keeper.current()?.validUntil).toBe(14_500)
  })
})
