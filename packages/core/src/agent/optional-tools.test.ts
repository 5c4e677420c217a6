import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { type ConfigInput, configSchema } from '../config/schema.js'
import { missingTools, onPath } from './optional-tools.js'

function config(extra: Partial<ConfigInput>) {
  return configSchema.parse({
    node: 'b',
    key: '/dev/null',
    links: [{ name: 'private', targets: ['10.1.0.255'] }],
    ...extra,
  })
}
const V4 = config(V4Input())
const V6 = config({ owns: [{ interface: 'eth0', address: 'fd00::100/64' }], peers: [{ id: 'a' }] })
const installed =
  (...tools: string[]) =>
  (command: string) =>
    tools.includes(command)

describe('missingTools', () => {
  it('names nothing when every announcement tool is there', () => {
    expect(missingTools(V4, installed('socat', 'arping'))).toEqual([])
    expect(missingTools(V6, installed('na6'))).toEqual([])
  })

  it('without socat and arping: one warning naming both Debian packages, and that no gratuitous ARP is sent', () => {
    const missing = missingTools(V4, installed())
    expect(missing).toHaveLength(1)
    expect(missing[0]).toMatchObject({ tools: ['socat', 'arping'], packages: ['socat', 'iputils-arping'] })
    expect(missing[0]?.lost).toMatch(/no gratuitous ARP is sent.*ARP entry .* expires/)
  })

  it('without socat alone: announcements still go out through arping, later', () => {
    const missing = missingTools(V4, installed('arping'))
    expect(missing.map((m) => m.tools)).toEqual([['socat']])
    expect(missing[0]?.lost).toMatch(/through arping/)
  })

  it('asks only for what the addresses need: na6 for IPv6, nothing of IPv4', () => {
    expect(missingTools(V6, installed()).map((m) => m.tools)).toEqual([['na6']])
    expect(missingTools(config({ peers: [{ id: 'a' }] }), installed())).toEqual([])
  })

  it('with an arbitration probe: a missing prober refuses every automatic takeover, and says so', () => {
    const probing = config({ ...V4Input(), arbitration: { probe: true } })
    expect(missingTools(probing, installed('socat'))[0]?.lost).toMatch(/every automatic takeover is refused/)
    expect(missingTools(probing, installed())[0]?.lost).toMatch(/every automatic takeover is refused/)
    const probing6 = config({
      owns: V6.owns.map(() => ({ interface: 'eth0', address: 'fd00::100/64' })),
      arbitration: { probe: true },
      peers: [{ id: 'a' }],
    })
    expect(missingTools(probing6, installed('na6')).map((m) => m.tools)).toEqual([['ndisc6']])
  })
})

function V4Input(): Partial<ConfigInput> {
  return { peers: [{ id: 'a', takeover: [{ interface: 'eth0', address: '10.0.0.100/24' }] }] }
}

describe('onPath', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ipfo-path-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('finds executables in the listed folders, and not plain files or other folders', () => {
    writeFileSync(join(dir, 'socat'), '#!/bin/sh\n')
    chmodSync(join(dir, 'socat'), 0o755)
    writeFileSync(join(dir, 'arping'), 'not executable')
    chmodSync(join(dir, 'arping'), 0o644)
    const has = onPath(`/nonexistent:${dir}`)
    expect(has('socat')).toBe(true)
    expect(has('arping')).toBe(false)
    expect(has('na6')).toBe(false)
    expect(onPath(undefined)('socat')).toBe(false)
  })
})
