import { describe, expect, it } from 'vitest'
import { testTiming, vip } from '../../test/fakes/machine-simulation.js'
import type { NodeStateCode } from '../model/advertised.js'
import { guardBrief } from './guard-brief.js'
import type { EngineState, ResourceStatus } from './state.js'
import { initialState } from './transition.js'

/** a's addresses (A) and b's (B, held by a after a takeover); b as a hears it. */
const A = vip('10.0.0.100')
const B = vip('10.0.0.200')

function aWith(own: ResourceStatus, bs: ResourceStatus, b: { alive: boolean; state: NodeStateCode | null }) {
  const s = initialState(
    {
      self: 'a',
      listening: true,
      timing: testTiming(),
      linkNames: ['lan'],
      peers: ['b'],
      resources: [
        { owner: 'a', addresses: [A] },
        { owner: 'b', addresses: [B] },
      ],
      releaseOnStop: true,
    },
    1_000,
  )
  const resources = {
    a: { ...s.resources.a!, status: own },
    b: { ...s.resources.b!, status: bs },
  }
  const peers = { b: { ...s.peers.b!, alive: b.alive, state: b.state } }
  return { ...s, resources, peers } satisfies EngineState
}

const healthy = { alive: true, state: 'healthy' } as const
const silent = { alive: false, state: 'healthy' } as const

describe('what the guard does with each address if the agent dies', () => {
  it.each([
    // own, b's, b as heard: handed over, kept
    ['held', 'idle', healthy, [A], []],
    ['held', 'idle', silent, [], [A]],
    ['held', 'idle', { alive: true, state: 'maintenance' }, [], [A]],
    // Still starting: it takes over once started (at the word, or after deadAfter): kept, the
    // address would end up on both.
    ['held', 'idle', { alive: true, state: 'starting' }, [A], []],
    ['held', 'idle', { alive: true, state: 'stopping' }, [], [A]],
    ['held', 'idle', { alive: false, state: null }, [], [A]],
    // b is back and heard: it takes both (its own at once, a's as a's peer)
    ['held', 'held', healthy, [A, B], []],
    // b, back and still starting, takes both once started (its own, and a's as a's peer)
    ['idle', 'held', { alive: true, state: 'starting' }, [B], []],
    ['held', 'held', { alive: true, state: 'starting' }, [A, B], []],
    ['held', 'held', silent, [], [A, B]],
    // on the interface, or maybe: acquiring and releasing count
    ['acquiring', 'idle', healthy, [A], []],
    ['waiting', 'releasing', healthy, [B], []],
    ['idle', 'acquiring', silent, [], [B]],
    // nothing held, nothing to do
    ['idle', 'idle', healthy, [], []],
    ['waiting', 'idle', silent, [], []],
  ] as const)('a %s, b %s, b heard %j: hands over %j, keeps %j', (own, bs, b, handOver, keep) => {
    expect(guardBrief(aWith(own, bs, b))).toEqual({ handOver, keep })
  })
})

describe('an operator’s takeover', () => {
  it('keeps what was taken by hand: its owner was released by hand and would not claim it back', () => {
    const s = aWith('idle', 'held', healthy)
    const manual = { ...s, resources: { ...s.resources, b: { ...s.resources.b!, manual: true } } }
    expect(guardBrief(manual)).toEqual({ handOver: [], keep: [B] })
  })
})

describe('quorum', () => {
  const withQuorum = (s: EngineState, onLoss: 'release' | 'keep') => ({
    ...s,
    timing: { ...s.timing, quorum: { onLoss } },
  })

  it('onQuorumLoss release: hands every address over, even with no peer to take it: nothing outlives the lease', () => {
    // b silent: without quorum, a would keep both.
    expect(guardBrief(aWith('held', 'held', silent))).toEqual({ handOver: [], keep: [A, B] })
    expect(guardBrief(withQuorum(aWith('held', 'held', silent), 'release'))).toEqual({
      handOver: [A, B],
      keep: [],
    })
    const s = aWith('idle', 'held', healthy)
    const manual = { ...s, resources: { ...s.resources, b: { ...s.resources.b!, manual: true } } }
    expect(guardBrief(withQuorum(manual, 'release'))).toEqual({ handOver: [B], keep: [] })
  })

  it('onQuorumLoss keep: as without quorum', () => {
    expect(guardBrief(withQuorum(aWith('held', 'held', silent), 'keep'))).toEqual({
      handOver: [],
      keep: [A, B],
    })
  })
})

describe('all or nothing', () => {
  it('keeps every address when one has no peer to take it (c, whose addresses a holds, is silent)', () => {
    const C = vip('10.0.0.250')
    const s = initialState(
      {
        self: 'a',
        listening: true,
        timing: testTiming(),
        linkNames: ['lan'],
        peers: ['b', 'c'],
        resources: [
          { owner: 'a', addresses: [A] },
          { owner: 'c', addresses: [C] },
        ],
        releaseOnStop: true,
      },
      1_000,
    )
    const state: EngineState = {
      ...s,
      resources: { a: { ...s.resources.a!, status: 'held' }, c: { ...s.resources.c!, status: 'held' } },
      peers: { b: { ...s.peers.b!, alive: true, state: 'healthy' }, c: { ...s.peers.c!, alive: false } },
    }
    expect(guardBrief(state)).toEqual({ handOver: [], keep: [A, C] })
    const cBack = {
      ...state,
      peers: { ...state.peers, c: { ...state.peers.c!, alive: true, state: 'healthy' as const } },
    }
    expect(guardBrief(cBack)).toEqual({ handOver: [A, C], keep: [] })
  })
})
