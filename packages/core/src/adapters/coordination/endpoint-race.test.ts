import { describe, expect, it } from 'vitest'
import { FakeClock, flushPromises } from '../../../test/fakes/fake-clock.js'
import { EndpointOrder, EtcdCallError, firstAnswer } from './endpoint-race.js'

const A = 'http://a:2379'
const B = 'http://b:2379'
const C = 'http://c:2379'

const REFUSED =
  '14 UNAVAILABLE: No connection established. Last error: Error: connect ECONNREFUSED 10.0.0.1:2379. Resolution note: '

/** An attempt per member that waits for the test to settle it; records who was asked, when, and aborts. */
function members(clock: FakeClock) {
  const asked: {
    endpoint: string
    at: number
    signal: AbortSignal
    ok(v: string): void
    fail(e: Error): void
  }[] = []
  const attempt = (endpoint: string, _deadline: Date, signal: AbortSignal) =>
    new Promise<string>((ok, fail) => asked.push({ endpoint, at: clock.now(), signal, ok, fail }))
  const ask = (endpoint: string) => {
    const found = asked.find((a) => a.endpoint === endpoint)
    if (!found) throw new Error(`${endpoint} was not asked`)
    return found
  }
  return { asked, attempt, ask }
}

describe('firstAnswer', () => {
  it('asks the member that answered last first, and the next at once when one fails', async () => {
    const clock = new FakeClock()
    const order = new EndpointOrder([A, B, C])
    order.answered(B)
    const { asked, attempt, ask } = members(clock)
    const call = firstAnswer(order, clock, { what: 'renew lease 7', timeoutMs: 1_000 }, attempt)
    expect(asked.map((a) => a.endpoint)).toEqual([B])
    ask(B).fail(new Error(REFUSED))
    await flushPromises()
    expect(asked.map((a) => a.endpoint)).toEqual([B, A])
    ask(A).ok('renewed')
    await expect(call).resolves.toEqual({ value: 'renewed', endpoint: A })
    // A answered: it goes first next time; B failed: last.
    expect(order.current).toEqual([A, C, B])
    expect(order.lastAnswered).toBe(A)
  })

  it('gives up at its own deadline when no attempt settles (a call that ignores its deadline)', async () => {
    const clock = new FakeClock()
    const order = new EndpointOrder([A, B])
    const { asked, attempt } = members(clock)
    const call = firstAnswer(
      order,
      clock,
      { what: 'renew lease 7', timeoutMs: 1_000, hedgeAfterMs: 300 },
      attempt,
    )
    let outcome: unknown
    call.then(
      () => {
        outcome = 'resolved'
      },
      (error: unknown) => {
        outcome = error
      },
    )
    await clock.advance(999)
    expect(outcome).toBeUndefined()
    expect(asked.map((a) => a.endpoint)).toEqual([A, B])
    await clock.advance(1)
    expect(outcome).toBeInstanceOf(EtcdCallError)
    expect((outcome as EtcdCallError).failures.map((f) => [f.endpoint, f.failure.kind])).toEqual([
      [A, 'timeout'],
      [B, 'timeout'],
    ])
    expect((outcome as EtcdCallError).message).toMatch(/no etcd member answered to renew lease 7/)
    // The attempts still running are told to stop.
    expect(asked.every((a) => a.signal.aborted)).toBe(true)
  })

  it('asks a second member when the first is slow, takes the first answer and aborts the rest', async () => {
    const clock = new FakeClock()
    const order = new EndpointOrder([A, B, C])
    const { asked, attempt, ask } = members(clock)
    const call = firstAnswer(
      order,
      clock,
      { what: 'renew lease 7', timeoutMs: 900, hedgeAfterMs: 300 },
      attempt,
    )
    await clock.advance(299)
    expect(asked.map((a) => a.endpoint)).toEqual([A])
    await clock.advance(1)
    expect(asked.map((a) => [a.endpoint, a.at])).toEqual([
      [A, 1_000],
      [B, 1_300],
    ])
    ask(B).ok('renewed')
    await expect(call).resolves.toEqual({ value: 'renewed', endpoint: B })
    expect(ask(A).signal.aborted).toBe(true)
    await clock.advance(1_000)
    expect(asked).toHaveLength(2)
  })

  it('never asks two members at once without hedgeAfterMs (a call that must not run twice)', async () => {
    const clock = new FakeClock()
    const { asked, attempt } = members(clock)
    void firstAnswer(
      new EndpointOrder([A, B, C]),
      clock,
      { what: 'release /ipfo/holders/web', timeoutMs: 1_000 },
      attempt,
    )
    await clock.advance(900)
    expect(asked.map((a) => a.endpoint)).toEqual([A])
  })

  it('hands every success after the first to onLate, even past the deadline (a second lease to undo)', async () => {
    const clock = new FakeClock()
    const { asked, attempt, ask } = members(clock)
    const late: [string, string][] = []
    const call = firstAnswer(
      new EndpointOrder([A, B, C]),
      clock,
      {
        what: 'grant a lease',
        timeoutMs: 900,
        hedgeAfterMs: 300,
        onLate: (value, endpoint) => late.push([value, endpoint]),
      },
      attempt,
    )
    await clock.advance(500)
    ask(B).ok('lease-b')
    await expect(call).resolves.toEqual({ value: 'lease-b', endpoint: B })
    ask(A).ok('lease-a')
    await flushPromises()
    expect(late).toEqual([['lease-a', A]])
    // C was never asked: B answered before its turn.
    expect(() => ask(C)).toThrow(/was not asked/)

    const timedOut = firstAnswer(
      new EndpointOrder([A]),
      clock,
      { what: 'grant a lease', timeoutMs: 500, onLate: (value, endpoint) => late.push([value, endpoint]) },
      attempt,
    )
    const failed = expect(timedOut).rejects.toThrow(/no etcd member answered to grant a lease/)
    await clock.advance(500)
    await failed
    asked.at(-1)?.ok('after-the-deadline')
    await flushPromises()
    expect(late).toEqual([
      ['lease-a', A],
      ['after-the-deadline', A],
    ])
  })

  it('rejects naming every member and what to fix when none answers', async () => {
    const clock = new FakeClock()
    const { attempt, ask } = members(clock)
    const call = firstAnswer(
      new EndpointOrder([A, B]),
      clock,
      { what: 'claim /ipfo/holders/web', timeoutMs: 500 },
      attempt,
    )
    ask(A).fail(new Error(REFUSED))
    await flushPromises()
    ask(B).fail(new Error('4 DEADLINE_EXCEEDED: Deadline exceeded after 0.501s,remote_addr=10.0.0.2:2379'))
    const error = await call.catch((e: unknown) => e)
    expect(error).toBeInstanceOf(EtcdCallError)
    expect((error as EtcdCallError).message).toBe(
      [
        'no etcd member answered to claim /ipfo/holders/web:',
        `  ${A}: cannot connect (connect ECONNREFUSED 10.0.0.1:2379)`,
        `  ${B}: no answer in time`,
        '  fix: check that etcd runs there and listens on this address and port (its --listen-client-urls), that no firewall is in the way, and the scheme (https:// for a member with TLS)',
        '  fix: a member that does not answer in time may be down, cut off from this node, overloaded, or without a majority of the cluster (`etcdctl endpoint status --cluster`); if etcd is only slow, raise coordination.leaseTtl: a renewal, claim or release gets a third of it',
      ].join('\n'),
    )
    expect((error as EtcdCallError).endpoint).toBe(B)
  })

  it('stops at a refusal: another member would refuse the same', async () => {
    const clock = new FakeClock()
    const { asked, attempt, ask } = members(clock)
    const call = firstAnswer(
      new EndpointOrder([A, B, C]),
      clock,
      { what: 'grant a lease', timeoutMs: 500 },
      attempt,
    )
    ask(A).fail(
      new Error('3 INVALID_ARGUMENT: etcdserver: authentication failed, invalid user ID or password'),
    )
    const error = (await call.catch((e: unknown) => e)) as EtcdCallError
    expect(asked).toHaveLength(1)
    expect(error.answer?.kind).toBe('auth')
    expect(error.message).toContain(`etcd refused to grant a lease:\n  ${A}: user or password refused`)
    expect(error.hint).toContain('coordination.passwordFile')
  })
})
