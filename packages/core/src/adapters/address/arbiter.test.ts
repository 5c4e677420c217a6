import { RecordingRunner } from '@ipfo/testkit'
import { describe, expect, it } from 'vitest'
import type { InterfaceAddress } from '../../model/ip.js'
import { createArbiter } from './arbiter.js'

const V4: InterfaceAddress = { interface: 'eth0', ip: '192.168.1.100', prefix: 24, family: 4 }
const V6: InterfaceAddress = { interface: 'eth0', ip: 'fd00::100', prefix: 64, family: 6 }

describe('arbiter (recorded commands)', () => {
  it('refuses while the IPv4 address answers duplicate-address detection (arping -D exit 1)', async () => {
    const runner = new RecordingRunner().respond('arping -D', { exitCode: 1 })
    const arbiter = createArbiter({ runner, platform: 'linux', probe: true, witness: [], timeoutMs: 300 })
    expect(await arbiter.refusal([V4])).toBe(
      '192.168.1.100/24 still answers on eth0: its holder is alive though silent on every heartbeat link',
    )
    expect(runner.lines()).toEqual(['arping -D -q -c 1 -w 1 -I eth0 192.168.1.100'])
  })

  it('lets the takeover through when nobody answers, or when the probe is stopped at the timeout', async () => {
    const quiet = new RecordingRunner().respond('arping -D', { exitCode: 0 })
    expect(
      await createArbiter({
        runner: quiet,
        platform: 'linux',
        probe: true,
        witness: [],
        timeoutMs: 300,
      }).refusal([V4]),
    ).toBeUndefined()
    const killed = new RecordingRunner().respond('arping -D', {
      exitCode: null,
      signal: 'SIGTERM',
      stderr: 'arping timed out after 300 ms and was killed\n',
    })
    expect(
      await createArbiter({
        runner: killed,
        platform: 'linux',
        probe: true,
        witness: [],
        timeoutMs: 300,
      }).refusal([V4]),
    ).toBeUndefined()
  })

  it('IPv6: ndisc6 answered with a MAC refuses; exit 2 without output is free', async () => {
    const answered = new RecordingRunner().respond('ndisc6', { exitCode: 0, stdout: 'A2:21:88:9E:E0:BA\n' })
    const arbiter = createArbiter({
      runner: answered,
      platform: 'linux',
      probe: true,
      witness: [],
      timeoutMs: 150,
    })
    expect(await arbiter.refusal([V6])).toContain(
      'fd00::100/64 still answers on eth0 (from A2:21:88:9E:E0:BA)',
    )
    expect(answered.lines()).toEqual(['ndisc6 -1 -q -r 1 -w 150 fd00::100 eth0'])
    const free = new RecordingRunner().respond('ndisc6', { exitCode: 2 })
    expect(
      await createArbiter({
        runner: free,
        platform: 'linux',
        probe: true,
        witness: [],
        timeoutMs: 150,
      }).refusal([V6]),
    ).toBeUndefined()
  })

  it('a probe that cannot run refuses, saying why', async () => {
    const broken = new RecordingRunner().respond('arping -D', {
      exitCode: 2,
      stderr: 'arping: unknown iface eth9',
    })
    const arbiter = createArbiter({
      runner: broken,
      platform: 'linux',
      probe: true,
      witness: [],
      timeoutMs: 300,
    })
    expect(await arbiter.refusal([V4])).toBe(
      'cannot probe 192.168.1.100/24 on eth0: arping -D failed (exit 2): arping: unknown iface eth9',
    )
  })

  it('refuses when no witness answers, and passes when one does', async () => {
    const none = new RecordingRunner().respond('ping', { exitCode: 1 })
    const arbiter = createArbiter({
      runner: none,
      platform: 'linux',
      probe: false,
      witness: ['10.0.0.254', 'fd00::fe'],
      timeoutMs: 300,
    })
    expect(await arbiter.refusal([V4])).toBe(
      'no witness answers (10.0.0.254, fd00::fe): this node may be the one cut off',
    )
    expect(none.lines()).toEqual(['ping -c 1 -W 1 -q 10.0.0.254', 'ping -6 -c 1 -W 1 -q fd00::fe'])
    const one = new RecordingRunner()
      .respond('ping -c 1 -W 1 -q 10.0.0.254', { exitCode: 0 })
      .respond('ping', { exitCode: 1 })
    expect(
      await createArbiter({
        runner: one,
        platform: 'linux',
        probe: false,
        witness: ['10.0.0.254', 'fd00::fe'],
        timeoutMs: 300,
      }).refusal([V4]),
    ).toBeUndefined()
  })

  it('macOS: the witness ping uses -t', async () => {
    const runner = new RecordingRunner().respond('ping', { exitCode: 0 })
    await createArbiter({
      runner,
      platform: 'darwin',
      probe: false,
      witness: ['10.0.0.254'],
      timeoutMs: 300,
    }).refusal([V4])
    expect(runner.lines()).toEqual(['ping -c 1 -t 1 -q 10.0.0.254'])
  })
})
