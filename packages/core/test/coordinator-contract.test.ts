import { type EtcdCluster, etcdSkipReason, startEtcdCluster } from '@ipfo/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { etcdCoordinator } from '../src/adapters/coordination/etcd-coordinator.js'
import { systemClock } from '../src/adapters/system-clock.js'
import type { CoordinatorReport } from '../src/model/coordination.js'
import { type CoordinatorHarness, coordinatorContract } from './coordination/coordinator-contract.js'
import { FakeClock } from './fakes/fake-clock.js'
import { FakeEtcd, fakeCoordinator } from './fakes/fake-coordinator.js'

/** The Coordinator contract against the fake (fake time) and against etcd 3.4 (three members on loopback). */

// Long enough that a busy CI machine renews in time: the properties, not etcd's speed, are tested.
const TTL_MS = 4_000
const MARGIN_MS = 1_000

describe('the fake coordinator cut off from its etcd', () => {
  it('reports unreachable, refuses claims, and loses its key to another node once its lease ran out', async () => {
    const clock = new FakeClock()
    const etcd = new FakeEtcd(clock)
    const options = { ttlMs: TTL_MS, marginMs: MARGIN_MS }
    const [a, b] = [
      fakeCoordinator(etcd, { node: 'a', ...options }),
      fakeCoordinator(etcd, { node: 'b', ...options }),
    ]
    const reports: CoordinatorReport[] = []
    await a.start((r) => reports.push(r))
    await b.start(() => undefined)
    expect((await a.claim('web', 'a')).won).toBe(true)
    etcd.cut('a', true)
    await clock.advance(TTL_MS / 3)
    expect(reports.at(-1)).toMatchObject({ kind: 'unreachable' })
    await expect(a.claim('web', 'a')).rejects.toThrow(/unreachable/)
    expect(await b.claim('web', 'b')).toMatchObject({ won: false, holder: 'a' })
    await clock.advance(TTL_MS)
    expect(await b.claim('web', 'b')).toMatchObject({ won: true })
    // Back in touch: the server says the lease is gone, and a new one comes.
    etcd.cut('a', false)
    await clock.advance(TTL_MS / 3)
    expect(reports.slice(-2).map((r) => r.kind)).toEqual(['lease-lost', 'lease-granted'])
  })
})

describe('the coordinator contract: fake', () => {
  coordinatorContract(() => {
    const clock = new FakeClock()
    const etcd = new FakeEtcd(clock)
    let nodes = 0
    return {
      ttlMs: TTL_MS,
      marginMs: MARGIN_MS,
      coordinator: () => fakeCoordinator(etcd, { node: `n${++nodes}`, ttlMs: TTL_MS, marginMs: MARGIN_MS }),
      now: () => clock.now(),
      pass: (ms) => clock.advance(ms),
    } satisfies CoordinatorHarness
  })
})

const skip = etcdSkipReason()

describe.skipIf(skip !== undefined)(
  `the coordinator contract: etcd${skip ? ` (skipped: ${skip})` : ''}`,
  () => {
    let cluster: EtcdCluster | undefined
    beforeAll(async () => {
      cluster = await startEtcdCluster()
    })
    afterAll(async () => {
      await cluster?.close()
    })

    coordinatorContract(() => {
      if (!cluster) throw new Error('the etcd cluster did not start')
      const config = {
        endpoints: [...cluster.endpoints],
        prefix: '/ipfo-contract/',
        leaseTtl: TTL_MS,
        margin: MARGIN_MS,
      }
      return {
        ttlMs: TTL_MS,
        marginMs: MARGIN_MS,
        coordinator: () => etcdCoordinator({ config }),
        now: () => systemClock.now(),
        pass: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
      } satisfies CoordinatorHarness
    })
  },
)
