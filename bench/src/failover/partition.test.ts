import { describe, expect, it } from 'vitest'
import type { AddressEvent } from './monitor.js'
import { partitionCommands, partitionedFrom, partitionRuleset } from './partition.js'
import { handover } from './run-once.js'
import type { NodeName } from './stage.js'

const HOST = { a: 1, b: 2, c: 3 } as const
const stage = (etcd: boolean) => ({
  nodes: ['a', 'b'] as const,
  publicIp: (node: NodeName) => `10.213.1.${HOST[node]}`,
  privateIp: (node: NodeName) => `10.213.2.${HOST[node]}`,
  etcd: etcd
    ? ['e0', 'e1', 'e2'].map((name, i) => ({ name, ns: `ipfob-1-abcdef-${name}`, ip: `10.213.2.${200 + i}` }))
    : [],
})

describe('the partition fault', () => {
  it("cuts a off from b's two addresses and every etcd member, not from the client", () => {
    expect(partitionedFrom(stage(true), 'a')).toEqual([
      '10.213.1.2',
      '10.213.2.2',
      '10.213.2.200',
      '10.213.2.201',
      '10.213.2.202',
    ])
    expect(partitionedFrom(stage(false), 'a')).toEqual(['10.213.1.2', '10.213.2.2'])
    expect(partitionedFrom(stage(false), 'b')).toEqual(['10.213.1.1', '10.213.2.1'])
  })

  it('is one nftables table: what comes from and goes to those addresses is dropped', () => {
    expect(partitionRuleset(stage(true), 'a')).toBe(
      [
        'table inet ipfo-bench-cut {',
        '  chain in {',
        '    type filter hook input priority 0; policy accept;',
        '    ip saddr { 10.213.1.2, 10.213.2.2, 10.213.2.200, 10.213.2.201, 10.213.2.202 } drop',
        '  }',
        '  chain out {',
        '    type filter hook output priority 0; policy accept;',
        '    ip daddr { 10.213.1.2, 10.213.2.2, 10.213.2.200, 10.213.2.201, 10.213.2.202 } drop',
        '  }',
        '}',
        '',
      ].join('\n'),
    )
  })

  it('loads the table in one transaction and heals by deleting it', () => {
    expect(partitionCommands('/tmp/x/partition.nft')).toEqual({
      cut: ['nft', '-f', '/tmp/x/partition.nft'],
      heal: ['nft', 'delete', 'table', 'inet', 'ipfo-bench-cut'],
    })
  })
})

describe('the handover', () => {
  const at = (node: NodeName, kind: AddressEvent['kind'], t: number): AddressEvent => ({ node, kind, at: t })

  it("times a's removal and b's add from the cut, and the gap between them", () => {
    const events = [at('a', 'add', 10), at('a', 'del', 2_500), at('b', 'add', 3_200), at('a', 'add', 9_000)]
    expect(handover(events, 1_000, 5_000)).toEqual({ droppedMs: 1_500, addedMs: 2_200, gapMs: 700 })
  })

  it('has no gap when a kept the VIP (a split brain), and a negative one for an overlap', () => {
    expect(handover([at('b', 'add', 1_040)], 1_000, 5_000)).toEqual({
      droppedMs: null,
      addedMs: 40,
      gapMs: null,
    })
    expect(handover([at('b', 'add', 1_040), at('a', 'del', 1_100)], 1_000, 5_000).gapMs).toBe(-60)
  })
})
