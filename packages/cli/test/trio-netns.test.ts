import { netnsAvailable } from '@ipfo/core/netns'
import { netnsSkipReason } from '@ipfo/testkit'
import { describe, expect, it } from 'vitest'
import { eventMs } from './handover.js'
import { meshPerTest, type NamespaceMesh } from './mesh-harness.js'
import { until } from './pair-harness.js'
import { runCli } from './run-cli.js'

/**
 * Three nodes in namespaces (issue 20): a owns the VIP, its takers are b then c; every node hears
 * every other on a private and a public network (interval 50ms, deadAfter 500ms: see MeshOptions).
 * A node's death is its agent and guard killed and both cables pulled; the looks at the interfaces
 * (mesh-harness.ts) run through every move and must never see the VIP on two live nodes at once.
 */
const skip = netnsSkipReason(netnsAvailable(), process.env.CI === 'true')
const openMesh = meshPerTest()

/** Starts a, then b and c once a holds the VIP, and waits until every node hears every other directly. */
async function openTrio(): Promise<NamespaceMesh> {
  const m = await openMesh({ nodes: ['a', 'b', 'c'], groups: { a: { hosts: [50], takers: ['b', 'c'] } } })
  m.start('a')
  await m.settle('a to hold the VIP', 30_000)
  m.start('b')
  m.start('c')
  await everyNodeHearsEveryOther(m)
  return m
}

async function everyNodeHearsEveryOther(m: NamespaceMesh) {
  for (const node of m.nodes) {
    const others = m.nodes.filter((n) => n !== node).join()
    await until(
      `${node} to hear every other node directly on both links`,
      async () => {
        const status = await m.status(node).catch(() => undefined)
        return (
          status?.hears.join() === others &&
          status.peers.every((p) => p.alive && p.heardVia === null && p.links.every((l) => l.up))
        )
      },
      30_000,
    )
  }
}

/** The client reaches the VIP (answered by whoever holds it: the ping proves it is served). */
async function clientReaches(m: NamespaceMesh, vip: string) {
  await until(
    `the client to reach ${vip}`,
    async () =>
      (await m.topology.exec(m.topology.client!.ns, 'ping', ['-c', '1', '-W', '1', vip])).exitCode === 0,
    5_000,
  )
}

/** What a node said about taking `owner`'s addresses: acquiring and acquired lines. */
const takes = (m: NamespaceMesh, node: string, owner: string, since = 0) =>
  [...m.said(node, 'acquiring', since), ...m.said(node, 'acquired', since)].filter((l) => l.owner === owner)

/**
 * Kills a, then b: b takes the VIP and c does not; then c takes it. Returns the mesh with c holding
 * it, a and b dead.
 */
async function killInOrder(m: NamespaceMesh) {
  const [vip] = m.vips as [string]
  const since = m.log.length
  const killedA = Date.now()
  const first = m.watch()
  await m.kill('a')
  await m.settle('b alone to hold the VIP once a is dead', 5_000)
  // c hears a lost as soon as b does: it must leave the VIP to b, now and later.
  await new Promise((r) => setTimeout(r, 500))
  const afterA = await first.stop()
  expect(afterA.doubles, afterA.changes.join('\n')).toEqual([])
  expect(afterA.seen[vip]).toEqual(['a', 'b'])
  expect(afterA.last[vip]).toEqual(['b'])
  await clientReaches(m, vip)

  const killedB = Date.now()
  const second = m.watch()
  await m.kill('b')
  await m.settle('c alone to hold the VIP once a and b are dead', 5_000)
  const afterB = await second.stop()
  expect(afterB.doubles, afterB.changes.join('\n')).toEqual([])
  expect(afterB.last[vip]).toEqual(['c'])
  await clientReaches(m, vip)
  await until("c's acquired event", () => takes(m, 'c', 'a', since).some((l) => l.kind === 'acquired'), 2_000)
  // From a's death on, c began taking the VIP only once b was dead, by c's own clock (the one this
  // test reads too). (Before: a node that starts may begin to take what it has not heard held yet;
  // it stops short once it hears the holder.)
  const early = takes(m, 'c', 'a', since).filter((l) => eventMs(l) >= killedA && eventMs(l) < killedB)
  expect(early, m.story(since)).toEqual([])
}

describe.skipIf(skip !== undefined)('three nodes in network namespaces', () => {
  it('a dies: b takes the VIP and c does not; b dies too: c takes it; never two holders', async () => {
    const m = await openTrio()
    await killInOrder(m)
    // The reasons, from the agents' own words.
    expect(m.said('b', 'peer-lost').some((l) => l.peer === 'a')).toBe(true)
    expect(m.said('c', 'peer-lost').some((l) => l.peer === 'b')).toBe(true)
    for (const node of m.nodes) expect(m.said(node, 'order-mismatch'), m.story()).toEqual([])
  })

  it.each([
    ['a', 'b'],
    ['b', 'a'],
  ])(
    'a and b dead, c holding: %s comes back, then %s: the VIP goes back up the order, never two holders',
    async (first, second) => {
      const m = await openTrio()
      await killInOrder(m)
      const since = m.log.length
      const watch = m.watch()
      await m.revive(first)
      // The first of the order that is up: a if it came back first, b otherwise.
      await m.settle(`the VIP to go to ${m.expectedHolder(m.vips[0]!)} after ${first} came back`, 15_000)
      await m.revive(second)
      await m.settle('the VIP back with a', 15_000)
      await new Promise((r) => setTimeout(r, 500))
      const report = await watch.stop()
      expect(report.doubles, report.changes.join('\n')).toEqual([])
      expect(report.last[m.vips[0]!]).toEqual(['a'])
      for (const node of m.nodes) expect(m.said(node, 'claim-forced', since), m.story(since)).toEqual([])
      await everyNodeHearsEveryOther(m)
    },
  )

  it('c loses a alone (then b loses a alone): it hears a through the other and takes nothing; healed, one holder', async () => {
    // deadAfter is 500ms, interval 50ms: a node cut off from a hears of it through the other node,
    // whose report is up to an interval older than a heartbeat of a's own would be and comes an
    // interval apart, so at 150ms a stall of the relaying node's loop of some 50 ms would have a seem
    // dead (it happened: c stalled 197 ms and b took the VIP a still held, until they heard each
    // other again).
    const m = await openTrio()
    const [vip] = m.vips as [string]
    const watch = m.watch()
    // c, last of the order, is the case the issue names; b, first taker, is the one where hearing a
    // through c is all that keeps it from taking what a still holds.
    for (const [cut, via] of [
      ['c', 'b'],
      ['b', 'c'],
    ] as const) {
      const since = m.log.length
      const heal = await cutBetween(m, cut, 'a')
      await until(
        `${cut} to hear a through ${via} only`,
        async () => {
          const status = await m.status(cut)
          const a = status.peers.find((p) => p.id === 'a')
          return a?.alive === true && a.heardVia === via && status.hears.join() === via
        },
        3_000,
      )
      // What an administrator sees: `ipfo status --json` on the cut-off node.
      const cli = await runCli(['status', '--json', '--config', m.files.config[cut]!])
      expect(cli.code, cli.stderr).toBe(0)
      const status = JSON.parse(cli.stdout) as {
        hears: string[]
        peers: { id: string; alive: boolean; heardVia: string | null }[]
      }
      expect(status.hears).toEqual([via])
      expect(status.peers.find((p) => p.id === 'a')).toMatchObject({ alive: true, heardVia: via })
      expect(status.peers.find((p) => p.id === via)).toMatchObject({ alive: true, heardVia: null })
      // Several seconds cut off: nobody but a holds the VIP, nobody even begins to take it.
      await new Promise((r) => setTimeout(r, 3_000))
      expect((await m.look())[vip]).toEqual(['a'])
      for (const node of m.nodes) expect(takes(m, node, 'a', since), m.story(since)).toEqual([])
      expect(
        m.said(cut, 'peer-indirect', since).map((l) => `${l.peer} via ${l.via}`),
        m.story(since),
      ).toEqual([`a via ${via}`])
      expect(
        m.said(cut, 'peer-lost', since).filter((l) => l.peer === 'a'),
        m.story(since),
      ).toEqual([])

      await heal()
      await until(
        `${cut} to hear a directly again`,
        async () => (await m.status(cut)).peers.find((p) => p.id === 'a')?.heardVia === null,
        3_000,
      )
      await everyNodeHearsEveryOther(m)
      // Healed, every time a was heard of only through the other ended in a clear. (Once in CI a
      // second clear came; whether after a second spell of hearing a only indirectly, which a loaded
      // host can bring after the heal, the story now says.)
      const spells = m.said(cut, 'peer-indirect', since).map((l) => `${l.peer} via ${l.via}`)
      const cleared = m.said(cut, 'peer-indirect-cleared', since).map((l) => l.peer)
      expect(spells[0], m.story(since)).toBe(`a via ${via}`)
      expect(cleared, m.story(since)).toEqual(spells.map(() => 'a'))
    }
    await new Promise((r) => setTimeout(r, 500))
    const report = await watch.stop()
    expect(report.doubles, report.changes.join('\n')).toEqual([])
    expect(report.seen[vip]).toEqual(['a'])
    expect(report.last[vip]).toEqual(['a'])
  })
})

/**
 * Drops everything between `node` and `other`, on both networks, inside `node`'s namespace: frames
 * from `other`'s interfaces in, packets to its addresses out. Everyone else still hears both.
 * Returns the heal.
 */
async function cutBetween(m: NamespaceMesh, node: string, other: string): Promise<() => Promise<void>> {
  const ns = m.topology.node(node).ns
  const peer = m.topology.node(other)
  const nft = (args: string[]) => m.topology.exec(ns, 'nft', args)
  const macs = [peer.public.mac, peer.private!.mac].join(', ')
  const ips = [peer.public.ipv4, peer.private!.ipv4].join(', ')
  for (const args of [
    ['add', 'table', 'inet', 'ipfocut'],
    ['add', 'chain', 'inet', 'ipfocut', 'in', '{ type filter hook input priority 0; }'],
    ['add', 'chain', 'inet', 'ipfocut', 'out', '{ type filter hook output priority 0; }'],
    ['add', 'rule', 'inet', 'ipfocut', 'in', 'ether', 'saddr', `{ ${macs} }`, 'drop'],
    ['add', 'rule', 'inet', 'ipfocut', 'out', 'ip', 'daddr', `{ ${ips} }`, 'drop'],
  ]) {
    const r = await nft(args)
    if (r.exitCode !== 0) throw new Error(`nft ${args.join(' ')} in ${ns}: ${r.stderr}`)
  }
  return async () => {
    const r = await nft(['delete', 'table', 'inet', 'ipfocut'])
    if (r.exitCode !== 0) throw new Error(`nft delete table in ${ns}: ${r.stderr}`)
  }
}

if (skip) {
  describe('three nodes in network namespaces', () => {
    it.skip(`skipped: ${skip}`, () => {})
  })
}
