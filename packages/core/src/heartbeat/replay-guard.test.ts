import { describe, expect, it } from 'vitest'
import { ReplayGuard } from './replay-guard.js'

type Step = [
  node: string,
  link: string,
  incarnation: number,
  seq: number,
  expected: 'ok' | 'restarted' | 'replay',
]

function run(steps: Step[], guard = new ReplayGuard()): void {
  steps.forEach(([node, link, incarnation, seq, expected], i) => {
    const verdict = guard.accept(node, link, incarnation, seq)
    const got = !verdict.ok ? 'replay' : verdict.restarted ? 'restarted' : 'ok'
    expect(got, `step ${i}: ${node} ${link} ${incarnation}/${seq}`).toBe(expected)
  })
}

describe('ReplayGuard', () => {
  it.each<[string, Step[]]>([
    ['the first packet from a node', [['b', 'lan', 100, 1, 'ok']]],
    [
      'rising sequences, gaps included',
      [
        ['b', 'lan', 100, 1, 'ok'],
        ['b', 'lan', 100, 2, 'ok'],
        ['b', 'lan', 100, 9, 'ok'],
      ],
    ],
    [
      'the same seq twice',
      [
        ['b', 'lan', 100, 5, 'ok'],
        ['b', 'lan', 100, 5, 'replay'],
      ],
    ],
    [
      'a lower seq',
      [
        ['b', 'lan', 100, 5, 'ok'],
        ['b', 'lan', 100, 4, 'replay'],
        ['b', 'lan', 100, 6, 'ok'],
      ],
    ],
    [
      'a new incarnation resets the sequence',
      [
        ['b', 'lan', 100, 50, 'ok'],
        ['b', 'lan', 200, 1, 'restarted'],
        ['b', 'lan', 200, 2, 'ok'],
      ],
    ],
    [
      'an old incarnation after a restart, even with a high seq',
      [
        ['b', 'lan', 100, 5, 'ok'],
        ['b', 'lan', 200, 1, 'restarted'],
        ['b', 'lan', 100, 999, 'replay'],
      ],
    ],
    [
      'an old incarnation on another link after a restart',
      [
        ['b', 'lan', 100, 5, 'ok'],
        ['b', 'wan', 100, 5, 'ok'],
        ['b', 'lan', 200, 1, 'restarted'],
        ['b', 'wan', 100, 6, 'replay'],
      ],
    ],
    [
      'a restart reported once, not again on the other links',
      [
        ['b', 'lan', 100, 5, 'ok'],
        ['b', 'wan', 100, 5, 'ok'],
        ['b', 'lan', 200, 1, 'restarted'],
        ['b', 'wan', 200, 1, 'ok'],
      ],
    ],
    [
      'links counted independently',
      [
        ['b', 'lan', 100, 5, 'ok'],
        ['b', 'wan', 100, 1, 'ok'],
        ['b', 'wan', 100, 2, 'ok'],
        ['b', 'lan', 100, 5, 'replay'],
        ['b', 'lan', 100, 6, 'ok'],
      ],
    ],
    [
      'nodes counted independently',
      [
        ['b', 'lan', 100, 5, 'ok'],
        ['c', 'lan', 50, 1, 'ok'],
        ['c', 'lan', 50, 1, 'replay'],
        ['b', 'lan', 100, 6, 'ok'],
      ],
    ],
  ])('%s', (_, steps) => run(steps))

  it('explains a replayed sequence', () => {
    const guard = new ReplayGuard()
    guard.accept('b', 'lan', 100, 5)
    expect(guard.accept('b', 'lan', 100, 5)).toEqual({
      ok: false,
      detail: 'seq 5 on link lan is not after 5, already accepted',
    })
  })

  it('explains an old incarnation', () => {
    const guard = new ReplayGuard()
    guard.accept('b', 'lan', 200, 1)
    expect(guard.accept('b', 'lan', 100, 1)).toEqual({
      ok: false,
      detail: 'incarnation 100 is older than 200, already seen from b',
    })
  })

  it('reports the latest incarnation accepted from a node', () => {
    const guard = new ReplayGuard()
    expect(guard.incarnationOf('b')).toBeUndefined()
    guard.accept('b', 'lan', 100, 1)
    guard.accept('b', 'wan', 200, 1)
    guard.accept('b', 'lan', 150, 2) // rejected: must not lower it
    expect(guard.incarnationOf('b')).toBe(200)
    expect(guard.incarnationOf('c')).toBeUndefined()
  })

  describe('remember()', () => {
    it('rejects incarnations below the remembered one and counts a higher one as a restart', () => {
      const guard = new ReplayGuard()
      guard.remember('b', 100)
      expect(guard.incarnationOf('b')).toBe(100)
      run(
        [
          ['b', 'lan', 99, 7, 'replay'],
          ['b', 'lan', 100, 1, 'ok'],
          ['b', 'lan', 101, 1, 'restarted'],
        ],
        guard,
      )
    })

    it('never lowers what was accepted or remembered', () => {
      const guard = new ReplayGuard()
      guard.accept('b', 'lan', 200, 3)
      guard.remember('b', 100)
      expect(guard.incarnationOf('b')).toBe(200)
      run(
        [
          ['b', 'lan', 200, 3, 'replay'],
          ['b', 'lan', 200, 4, 'ok'],
        ],
        guard,
      )
    })

    it('applies to its node only', () => {
      const guard = new ReplayGuard()
      guard.remember('b', 100)
      run([['c', 'lan', 50, 1, 'ok']], guard)
    })
  })
})
