import { describe, expect, it } from 'vitest'
import { checkConfig } from './load.js'

const BASE = `node: c
key: heartbeat.key
links:
  - name: private
    targets: [10.0.0.255]
`

function issues(text: string) {
  const result = checkConfig(text)
  if (result.ok) throw new Error('the config was accepted')
  return result.issues.map((i) => `${i.line ?? '-'} ${i.path}: ${i.message}`)
}

describe("takers: the order of an owner's addresses", () => {
  it('refuses takers that are not peers, the owner itself, twice the same, or lack this node', () => {
    expect(
      issues(`${BASE}takers: [c, d]
peers:
  - id: a
    takeover:
      - { interface: eth0, address: 10.0.0.10/24 }
    takers: [a, b, b]
  - id: b
  - id: e
    takeover:
      - { interface: eth0, address: 10.0.0.50/24 }
    takers: [b]
`),
    ).toEqual([
      '6 takers[0]: "c" owns these addresses; its takers come after it, so leave it out',
      '6 takers[1]: "d" is not in "peers": every node of an order must hear every other, so add { id: d } to "peers" (with "takeover: []" if it takes nothing from this node)',
      '11 peers[0].takers[0]: "a" owns these addresses; its takers come after it, so leave it out',
      '11 peers[0].takers[2]: "b" is listed twice; list each taker once',
      '11 peers[0].takers: this node ("c") takes a\'s addresses over ("takeover" lists them) but is not among its takers: add "c" where it stands in the order',
      '16 peers[2].takers: this node ("c") takes e\'s addresses over ("takeover" lists them) but is not among its takers: add "c" where it stands in the order',
    ])
  })

  it('refuses this node among the takers of a peer whose addresses it does not take', () => {
    expect(
      issues(`${BASE}peers:
  - id: a
    takers: [b, c]
  - id: b
`),
    ).toEqual([
      '8 peers[0].takers: this node ("c") is among a\'s takers but "takeover" lists none of its addresses: list them under "takeover", or take "c" out of the takers',
    ])
  })
})
