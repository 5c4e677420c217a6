import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type EtcdCluster, etcdSkipReason, startEtcdCluster } from '@ipfo/testkit'
import { afterAll, afterEach, beforeAll, describe, expect, it, onTestFinished } from 'vitest'
import { etcdCoordinator } from '../src/adapters/coordination/etcd-coordinator.js'
import type { CoordinatorReport, HolderChange } from '../src/model/coordination.js'

/**
 * The etcd adapter with authentication on, against real members whose logins expire after one
 * second unused (--auth-token-ttl=1), so that every test meets expired tokens; and a user without
 * permission on the prefix.
 */

const skip = etcdSkipReason()
const title = (name: string) => (skip === undefined ? name : `${name} (skipped: ${skip})`)
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

async function until(what: string, check: () => boolean, withinMs = 20_000): Promise<void> {
  const end = Date.now() + withinMs
  while (!check()) {
    if (Date.now() > end) throw new Error(`${what}: not within ${withinMs} ms`)
    await sleep(50)
  }
}

describe.skipIf(skip !== undefined)(title('etcd coordinator: logins that expire'), () => {
  let cluster: EtcdCluster
  let dir: string
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ipfo-etcd-auth-'))
    await writeFile(join(dir, 'root'), 'root-password\n', { mode: 0o600 })
    await writeFile(join(dir, 'taker'), 'taker-password\n', { mode: 0o600 })
    cluster = await startEtcdCluster({ extraArgs: ['--auth-token-ttl=1'] })
    await cluster.etcdctl(['user', 'add', 'root:root-password'])
    // A user whose role may touch another prefix only: etcd refuses it the coordinator's keys.
    await cluster.etcdctl(['user', 'add', 'taker:taker-password'])
    await cluster.etcdctl(['role', 'add', 'taker-role'])
    await cluster.etcdctl(['role', 'grant-permission', 'taker-role', '--prefix=true', 'readwrite', '/other/'])
    await cluster.etcdctl(['user', 'grant-role', 'taker', 'taker-role'])
    await cluster.etcdctl(['auth', 'enable'])
  })
  afterAll(async () => {
    await cluster?.close()
    if (dir) await rm(dir, { recursive: true, force: true })
  })
  afterEach(async () => {
    if (!cluster) return
    for (const [i, member] of cluster.members.entries()) if (!member.running) await cluster.start(i)
    await cluster.healthy()
  })

  const started = async (
    user: 'root' | 'taker',
    reports: CoordinatorReport[] = [],
    endpoints: readonly string[] = cluster.endpoints,
  ) => {
    const coordinator = etcdCoordinator({
      config: {
        endpoints: [...endpoints],
        user,
        passwordFile: join(dir, user),
        prefix: '/ipfo-auth/',
        leaseTtl: 5_000,
        margin: 1_250,
      },
    })
    await coordinator.start((r) => reports.push(r))
    onTestFinished(() => coordinator.stop({ revoke: true }))
    return coordinator
  }

  it('moves a watch to another member after its login expired, from where it was, missing nothing', async () => {
    const [e0, e1] = [cluster.endpoints[0] ?? '', cluster.endpoints[1] ?? '']
    // Member 1 down while the watch opens: its stream is on member 0.
    await cluster.stop(1)
    const a = await started('root', [], [e0, e1])
    const seen: HolderChange[] = []
    const mark = await a.claim('mark', 'mark')
    a.watch('moved', (change) => seen.push(change), { afterRevision: mark.revision })
    const claimed = await a.claim('moved', 'a')
    await until('the watch hearing the claim', () => seen.length >= 1)
    await cluster.start(1)
    await sleep(2_500) // longer than --auth-token-ttl, so the watch's login expires: setup, not an assertion
    // The library opens the stream again on member 1 with the login it has, which etcd refuses.
    await cluster.kill(0)
    await cluster.healthy()
    await a.release('moved')
    const again = await a.claim('moved', 'a-again')
    await until('the watch hearing the release and the next claim on member 1', () => seen.length >= 3)
    // Each change once, in order: no start-over (which would repeat what the key holds) in between.
    expect(seen).toEqual([
      { kind: 'put', holder: 'a', revision: claimed.revision },
      { kind: 'delete', revision: expect.any(String) },
      { kind: 'put', holder: 'a-again', revision: again.revision },
    ])
  }, 40_000)

  it('keeps renewing and claiming across expired logins', async () => {
    const reports: CoordinatorReport[] = []
    const a = await started('root', reports)
    await until('three renewals', () => reports.filter((r) => r.kind === 'lease-renewed').length >= 3)
    expect(reports.filter((r) => r.kind === 'unreachable' || r.kind === 'lease-lost')).toEqual([])
    expect(await a.claim('after-expiry', 'a')).toMatchObject({ won: true })
  }, 40_000)

  it('says once that etcd refuses a watch (permission), with the fix, and hears the key once it is allowed', async () => {
    const reports: CoordinatorReport[] = []
    const taker = await started('taker', reports)
    const seen: HolderChange[] = []
    taker.watch('refused', (change) => seen.push(change))
    await until('a watch-failed report', () => reports.some((r) => r.kind === 'watch-failed'))
    expect(reports.find((r) => r.kind === 'watch-failed')).toEqual({
      kind: 'watch-failed',
      group: 'refused',
      message: expect.stringMatching(
        /etcd refused to watch \/ipfo-auth\/holders\/refused: permission denied; fix: .*grant-permission/,
      ),
    })
    await cluster.etcdctl(
      ['role', 'grant-permission', 'taker-role', '--prefix=true', 'readwrite', '/ipfo-auth/'],
      { user: 'root:root-password' },
    )
    const holder = await started('root')
    await holder.claim('refused', 'holder')
    await until('the allowed watch hearing the holder', () =>
      seen.some((c) => c.kind === 'put' && c.holder === 'holder'),
    )
    expect(reports.filter((r) => r.kind === 'watch-failed')).toHaveLength(1)
  }, 40_000)
})
