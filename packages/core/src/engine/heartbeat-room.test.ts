import { describe, expect, it } from 'vitest'
import { parseConfig } from '../config/load.js'
import { heartbeatRoomIssues } from './heartbeat-room.js'

const config = (owns: number, peers: string[], takers = false) =>
  parseConfig(
    JSON.stringify({
      node: 'a',
      key: 'k',
      links: [{ name: 'private', targets: ['10.0.0.255'] }],
      owns: Array.from({ length: owns }, (_, i) => ({ interface: 'eth0', address: `fd00::${i + 1}/64` })),
      ...(takers ? { takers: peers.slice(0, 16) } : {}),
      peers: peers.map((id) => ({ id })),
    }),
    'a.json',
  )

describe('heartbeatRoomIssues', () => {
  it('passes five nodes with ten addresses, and a pair with 32 IPv6 addresses', () => {
    expect(heartbeatRoomIssues(config(10, ['b', 'c', 'd', 'e'], true))).toEqual([])
    expect(heartbeatRoomIssues(config(32, ['b']))).toEqual([])
  })

  it('refuses more than 32 addresses, and an order too big for one datagram, saying how to fix it', () => {
    expect(heartbeatRoomIssues(config(33, ['b']))[0]?.message).toMatch(
      /^this node may hold 33 addresses .*a heartbeat names at most 32: spread them over more nodes/,
    )
    const long = Array.from({ length: 30 }, (_, i) => `node-with-a-long-name-${String(i).padStart(9, '0')}`)
    expect(heartbeatRoomIssues(config(32, long, true))[0]?.message).toMatch(
      /^this node's heartbeats would not fit in one datagram \(heartbeat is \d+ bytes even without the heard peers' detail; the limit is 1400 .*\): use shorter node ids/,
    )
  })
})
