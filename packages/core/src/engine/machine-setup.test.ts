import { describe, expect, it } from 'vitest'
import { checkConfig } from '../config/load.js'
import { machineSetup } from './machine-setup.js'

const BASE = `node: c
key: heartbeat.key
links:
  - name: private
    targets: [10.0.0.255]
`

function accepted(text: string) {
  const result = checkConfig(text)
  if (!result.ok) throw new Error(JSON.stringify(result.issues))
  return result.config
}

describe('machineSetup: each set of addresses with its order', () => {
  it('a pair config says none and keeps working: the taker is this node alone, its own order unknown', () => {
    const config = accepted(`${BASE}owns:
  - { interface: eth0, address: 10.0.0.30/24 }
peers:
  - id: a
    takeover:
      - { interface: eth0, address: 10.0.0.10/24 }
`)
    const setup = machineSetup(config)
    expect(setup.resources.map((r) => [r.owner, r.takers])).toEqual([
      ['c', null],
      ['a', ['c']],
    ])
  })

  it("three nodes: c is second of a's takers and first of b's; its own are taken by a then b", () => {
    const config = accepted(`${BASE}owns:
  - { interface: eth0, address: 10.0.0.30/24 }
takers: [a, b]
peers:
  - id: a
    takeover:
      - { interface: eth0, address: 10.0.0.10/24 }
    takers: [b, c]
  - id: b
    takeover:
      - { interface: eth0, address: 10.0.0.20/24 }
    takers: [c, a]
`)
    const setup = machineSetup(config)
    expect(setup.resources.map((r) => [r.owner, r.takers])).toEqual([
      ['c', ['a', 'b']],
      ['a', ['b', 'c']],
      ['b', ['c', 'a']],
    ])
  })
})
