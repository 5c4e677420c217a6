// Longer than most files: the exact commands the Linux address control runs (ip batch lines, arping,
// socat frames, ndisc6) for every address family and failure, recorded as one table.
import { RecordingRunner } from '@ipfo/testkit'
import { describe, expect, it } from 'vitest'
import { AddressError, ToolMissingError } from '../../model/errors.js'
import type { InterfaceAddress } from '../../model/ip.js'
import type { CommandResult, FrameSender, IpBatch } from '../../model/ports.js'
import { gratuitousArp } from './arp-frame.js'
import { linuxAddressControl } from './linux.js'

/** `ip -j addr show` on a Debian 12 host (iproute2 6.1), trimmed to the fields that matter. */
const IP_ADDR_JSON = JSON.stringify([
  {
    ifindex: 1,
    ifname: 'lo',
    addr_info: [
      { family: 'inet', local: '127.0.0.1', prefixlen: 8 },
      { family: 'inet6', local: '::1', prefixlen: 128 },
    ],
  },
  {
    ifindex: 2,
    ifname: 'eth0',
    address: '52:54:00:12:34:56',
    addr_info: [
      { family: 'inet', local: '192.168.1.20', prefixlen: 24, broadcast: '192.168.1.255' },
      { family: 'inet', local: '192.168.1.50', prefixlen: 24 },
      { family: 'inet6', local: 'fd00:1::50', prefixlen: 64 },
      { family: 'inet6', local: 'fe80::5054:ff:fe12:3456', prefixlen: 64 },
    ],
  },
  { ifindex: 3, ifname: 'eth1', addr_info: [] },
])

const v4 = (ip: string, prefix = 24, iface = 'eth0'): InterfaceAddress => ({
  interface: iface,
  ip,
  prefix,
  family: 4,
})
const v6 = (ip: string, prefix = 64, iface = 'eth0'): InterfaceAddress => ({
  interface: iface,
  ip,
  prefix,
  family: 6,
})

/** Lets every pending promise settle, as a real wait would. */
const tick = () => new Promise<void>((resolve) => setImmediate(resolve))

function setup(extra: { netns?: string } = {}) {
  const runner = new RecordingRunner().respond('ip -j addr show', { stdout: IP_ADDR_JSON })
  const sleeps: number[] = []
  const sleep = async (ms: number) => {
    sleeps.push(ms)
    await tick()
  }
  return { runner, sleeps, control: linuxAddressControl({ runner, sleep, ...extra }) }
}

describe('linux present', () => {
  it('matches IP, prefix and interface, whatever the IPv6 spelling', async () => {
    const { control } = setup()
    const present = await control.present([
      v4('192.168.1.50'),
      v4('192.168.1.50', 32),
      v4('192.168.1.50', 24, 'eth1'),
      v6('fd00:1:0::50'),
      v6('fd00:1::51'),
    ])
    expect(present).toEqual([v4('192.168.1.50'), v6('fd00:1:0::50')])
  })

  it('runs inside the namespace when given one', async () => {
    const { runner, control } = setup({ netns: 'ipfo-1-a' })
    runner.respond('ip netns exec ipfo-1-a ip -j addr show', { stdout: IP_ADDR_JSON })
    expect(await control.present([v4('192.168.1.50')])).toHaveLength(1)
    expect(runner.calls).toEqual([
      { command: 'ip', args: ['netns', 'exec', 'ipfo-1-a', 'ip', '-j', 'addr', 'show'] },
    ])
  })
})

describe('linux add and remove', () => {
  it('adds IPv4 as is and IPv6 with nodad', async () => {
    const { runner, control } = setup()
    await control.add(v4('192.168.1.60'))
    await control.add(v6('fd00:1::60'))
    expect(runner.calls).toEqual([
      { command: 'ip', args: ['addr', 'add', '192.168.1.60/24', 'dev', 'eth0'] },
      { command: 'ip', args: ['addr', 'add', 'fd00:1::60/64', 'dev', 'eth0', 'nodad'] },
    ])
  })

  it.each(['Error: ipv4: Address already assigned.\n', 'RTNETLINK answers: File exists\n'])(
    'treats an address already there as added (%s)',
    async (stderr) => {
      const { runner, control } = setup()
      runner.respond('ip addr add', { exitCode: 2, stderr })
      await expect(control.add(v4('192.168.1.50'))).resolves.toBeUndefined()
    },
  )

  it.each(['Error: ipv6: address not found.\n', 'RTNETLINK answers: Cannot assign requested address\n'])(
    'treats an absent address as removed (%s)',
    async (stderr) => {
      const { runner, control } = setup()
      runner.respond('ip addr del', { exitCode: 2, stderr })
      await expect(control.remove(v6('fd00:1::60'))).resolves.toBeUndefined()
      expect(runner.lines()).toEqual(['ip addr del fd00:1::60/64 dev eth0'])
    },
  )

  it('throws AddressError with a hint for an interface that does not exist', async () => {
    const { runner, control } = setup()
    runner.respond('ip addr add', { exitCode: 1, stderr: 'Cannot find device "eth9"\n' })
    const error = await control.add(v4('192.168.1.60', 24, 'eth9')).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(AddressError)
    expect(error).toMatchObject({
      message: 'adding 192.168.1.60/24 to eth9 failed (exit 1): Cannot find device "eth9"',
      command: ['ip', 'addr', 'add', '192.168.1.60/24', 'dev', 'eth9'],
      exitCode: 1,
      hint: 'interface "eth9" does not exist: check the interface name with `ip link`',
    })
  })

  it('says which package to install when ip is missing', async () => {
    const { runner, control } = setup()
    runner.respond('ip', { exitCode: null, stderr: 'ip is not installed (not found in PATH)\n' })
    await expect(control.remove(v4('192.168.1.60'))).rejects.toMatchObject({
      hint: 'install iproute2 (apt-get install iproute2)',
    })
  })
})

describe('linux announce', () => {
  it('sends count single gratuitous ARPs, intervalMs apart, the first at once', async () => {
    const { runner, sleeps, control } = setup()
    await control.announce(v4('192.168.1.50'), { count: 3, intervalMs: 200 })
    expect(sleeps).toEqual([200, 200])
    expect(runner.lines()).toEqual(Array(3).fill('arping -q -U -c 1 -I eth0 192.168.1.50'))
  })

  it('stops repeating when the address is removed meanwhile: no announcement for an address let go', async () => {
    const runner = new RecordingRunner()
    let removeDuring: (() => Promise<void>) | undefined
    const control = linuxAddressControl({
      runner,
      sleep: async () => {
        await removeDuring?.()
        removeDuring = undefined
      },
    })
    removeDuring = () => control.remove(v4('192.168.1.50'))
    await control.announce(v4('192.168.1.50'), { count: 5, intervalMs: 200 })
    expect(runner.lines()).toEqual([
      'arping -q -U -c 1 -I eth0 192.168.1.50',
      'ip addr del 192.168.1.50/24 dev eth0',
    ])
    // Added again later: its new announcement repeats in full.
    await control.announce(v4('192.168.1.50'), { count: 2, intervalMs: 200 })
    expect(runner.lines().slice(2)).toEqual(Array(2).fill('arping -q -U -c 1 -I eth0 192.168.1.50'))
  })

  it('sends unsolicited neighbour advertisements with na6 for IPv6', async () => {
    const { runner, control } = setup({ netns: 'ipfo-1-b' })
    await control.announce(v6('fd00:1::50'), { count: 2, intervalMs: 100 })
    expect(runner.calls).toEqual(
      Array(2).fill({
        command: 'ip',
        args: [
          'netns',
          'exec',
          'ipfo-1-b',
          'na6',
          '-i',
          'eth0',
          '-s',
          'fd00:1::50',
          '-d',
          'ff02::1',
          '-t',
          'fd00:1::50',
          '-o',
          '-e',
        ],
      }),
    )
  })

  it('stops at the first failure and says what to install', async () => {
    const { runner, control } = setup()
    runner.respond('arping', { exitCode: null, stderr: 'arping is not installed (not found in PATH)\n' })
    const error = await control
      .announce(v4('192.168.1.50'), { count: 5, intervalMs: 100 })
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(AddressError)
    expect(error).toMatchObject({ hint: 'install iputils arping (apt-get install iputils-arping)' })
    expect(runner.calls.length).toBeLessThan(5)
  })

  it('with arping and na6 known missing: starts neither, and throws ToolMissingError for the executor to skip quietly', async () => {
    const runner = new RecordingRunner()
    const control = linuxAddressControl({
      runner,
      sleep: async () => {},
      missing: new Set(['arping', 'na6']),
    })
    for (const a of [v4('192.168.1.50'), v6('fd00:1::50')]) {
      const error = await control.announce(a, { count: 3, intervalMs: 100 }).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(ToolMissingError)
    }
    expect(runner.calls).toEqual([])
  })

  it('sends nothing for count 0', async () => {
    const { runner, control } = setup()
    await control.announce(v4('192.168.1.50'), { count: 0, intervalMs: 100 })
    expect(runner.calls).toEqual([])
  })
})

describe('linuxAddressControl with an ip batch', () => {
  /** An IpBatch that records its requests and answers from `reply`. */
  function fakeBatch(reply: (args: readonly string[]) => Partial<CommandResult> = () => ({})) {
    const requests: string[] = []
    const life: string[] = []
    const batch: IpBatch = {
      run: async (args) => {
        requests.push(args.join(' '))
        return { exitCode: 0, signal: null, stdout: '', stderr: '', ...reply(args) }
      },
      start: () => life.push('start'),
      close: () => life.push('close'),
    }
    return { batch, requests, life }
  }

  it('adds and removes through the batch, announces and lists through the runner', async () => {
    const runner = new RecordingRunner().respond('ip -j addr show', { stdout: IP_ADDR_JSON })
    const { batch, requests, life } = fakeBatch()
    const control = linuxAddressControl({ runner, batch, sleep: async () => undefined })
    control.prepare?.([])
    await control.add(v4('192.168.1.100'))
    await control.add(v6('fd00:1::100'))
    await control.remove(v4('192.168.1.100'))
    await control.announce(v4('192.168.1.100'), { count: 1, intervalMs: 0 })
    await control.present([v4('192.168.1.50')])
    control.close?.()
    expect(requests).toEqual([
      'addr add 192.168.1.100/24 dev eth0',
      'addr add fd00:1::100/64 dev eth0 nodad',
      'addr del 192.168.1.100/24 dev eth0',
    ])
    expect(runner.lines()).toEqual(['arping -q -U -c 1 -I eth0 192.168.1.100', 'ip -j addr show'])
    expect(life).toEqual(['start', 'close'])
  })

  it("reads the batch's answers as it reads a one-shot ip's: already there is fine, a missing device is an error with its hint", async () => {
    const { batch } = fakeBatch((args) =>
      args.includes('nope0')
        ? { exitCode: 1, stderr: 'Cannot find device "nope0"\n' }
        : { exitCode: 1, stderr: 'Error: ipv4: Address already assigned.\n' },
    )
    const control = linuxAddressControl({ runner: new RecordingRunner(), batch, netns: 'ipfo-b' })
    await control.add(v4('192.168.1.100'))
    const error = await control.add(v4('192.168.1.100', 24, 'nope0')).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(AddressError)
    expect(error).toMatchObject({
      command: ['ip', '-n', 'ipfo-b', 'addr', 'add', '192.168.1.100/24', 'dev', 'nope0'],
      hint: 'interface "nope0" does not exist: check the interface name with `ip link`',
    })
  })
})

describe('linuxAddressControl with a frame sender', () => {
  const LINKS = JSON.stringify([
    { ifindex: 1, ifname: 'lo', address: '00:00:00:00:00:00' },
    { ifindex: 2, ifname: 'eth0', address: '52:54:00:12:34:56' },
  ])
  function fakeFrames(works = true) {
    const sent: { iface: string; frame: string }[] = []
    const started: string[] = []
    const frames: FrameSender = {
      start: (iface) => started.push(iface),
      send: (iface, frame) => {
        if (works) sent.push({ iface, frame: frame.toString('hex') })
        return works
      },
      close: () => undefined,
    }
    return { frames, sent, started }
  }
  const settle = () => new Promise((r) => setTimeout(r, 10))

  it('announces IPv4 with gratuitous ARP frames, count times, once it knows the MAC: no arping', async () => {
    const runner = new RecordingRunner().respond('ip -j link show', { stdout: LINKS })
    const { frames, sent, started } = fakeFrames()
    const waits: number[] = []
    const control = linuxAddressControl({
      runner,
      frames,
      sleep: async (ms) => {
        waits.push(ms)
      },
    })
    control.prepare?.([v4('192.168.1.100'), v6('fd00:1::100')])
    await settle()
    expect(started).toEqual(['eth0'])
    await control.announce(v4('192.168.1.100'), { count: 3, intervalMs: 100 })
    expect(sent).toEqual(
      Array.from({ length: 3 }, () => ({
        iface: 'eth0',
        frame: gratuitousArp('52:54:00:12:34:56', '192.168.1.100').toString('hex'),
      })),
    )
    expect(waits).toEqual([100, 100])
    expect(runner.lines()).toEqual(['ip -j link show'])
    // IPv6 still goes through na6.
    await control.announce(v6('fd00:1::100'), { count: 1, intervalMs: 0 })
    expect(runner.lines().at(-1)).toMatch(/^na6 /)
  })

  it('sends the first gratuitous ARP with the add, after the add is written and before ip answers; the announcement sends the rest', async () => {
    const runner = new RecordingRunner().respond('ip -j link show', { stdout: LINKS })
    const { frames, sent } = fakeFrames()
    const order: string[] = []
    let answer: (r: CommandResult) => void = () => undefined
    let failNext = false
    const batch: IpBatch = {
      run: (args) => {
        order.push(args.join(' '))
        if (failNext) {
          failNext = false
          return Promise.resolve({
            exitCode: 1,
            signal: null,
            stdout: '',
            stderr: 'RTNETLINK answers: Operation not permitted',
          })
        }
        return new Promise((resolve) => {
          answer = resolve
        })
      },
      start: () => undefined,
      close: () => undefined,
    }
    const frameSend = frames.send
    frames.send = (iface, frame) => {
      order.push(`frame ${iface}`)
      return frameSend(iface, frame)
    }
    const waits: number[] = []
    const control = linuxAddressControl({
      runner,
      frames,
      batch,
      sleep: async (ms) => {
        waits.push(ms)
      },
      // A takeover's trace marks the add handed over and the frame sent.
      trace: { turn: () => undefined, mark: (step) => order.push(`mark ${step}`) },
    })
    control.prepare?.([v4('192.168.1.100')])
    await settle()
    const adding = control.add(v4('192.168.1.100'), { announce: true })
    expect(order).toEqual(['addr add 192.168.1.100/24 dev eth0', 'mark add', 'frame eth0', 'mark frame'])
    answer({ exitCode: 0, signal: null, stdout: '', stderr: '' })
    await adding
    await control.announce(v4('192.168.1.100'), { count: 3, intervalMs: 100 })
    expect(sent).toHaveLength(3)
    expect(waits).toEqual([100, 100])
    // Without announcements to come, the add sends nothing.
    order.length = 0
    const quiet = control.add(v4('192.168.1.100'), { announce: false })
    answer({ exitCode: 0, signal: null, stdout: '', stderr: '' })
    await quiet
    expect(order).toEqual(['addr add 192.168.1.100/24 dev eth0', 'mark add'])
    // A failed add's early frame does not count for a later announcement: that one sends all its own.
    sent.length = 0
    failNext = true
    await expect(control.add(v4('192.168.1.100'), { announce: true })).rejects.toThrow(/not permitted/)
    expect(sent).toHaveLength(1)
    await control.announce(v4('192.168.1.100'), { count: 2, intervalMs: 100 })
    expect(sent).toHaveLength(3)
  })

  it('stops sending frames for an address removed while its announcement repeats', async () => {
    const runner = new RecordingRunner().respond('ip -j link show', { stdout: LINKS })
    const { frames, sent } = fakeFrames()
    let waits = 0
    let control: ReturnType<typeof linuxAddressControl> | undefined
    control = linuxAddressControl({
      runner,
      frames,
      sleep: async () => {
        if (++waits === 2) await control?.remove(v4('192.168.1.100'))
      },
    })
    control.prepare?.([v4('192.168.1.100')])
    await settle()
    await control.announce(v4('192.168.1.100'), { count: 5, intervalMs: 100 })
    // The first frame, the second after one wait; removed during the second wait: no more.
    expect(sent).toHaveLength(2)
  })

  it('a rehearsal sends one read-only command through the batch, and no frame, add or arping', async () => {
    const runner = new RecordingRunner().respond('ip -j link show', { stdout: LINKS })
    const { frames, sent } = fakeFrames()
    const requests: string[] = []
    const batch: IpBatch = {
      run: async (args) => {
        requests.push(args.join(' '))
        return { exitCode: 0, signal: null, stdout: '', stderr: '' }
      },
      start: () => undefined,
      close: () => undefined,
    }
    const control = linuxAddressControl({ runner, frames, batch, sleep: async () => undefined })
    control.prepare?.([v4('192.168.1.100'), v6('fd00:1::100')])
    await settle()
    await control.rehearse?.([v4('192.168.1.100'), v6('fd00:1::100')])
    expect(requests).toEqual(['link show dev lo'])
    expect(sent).toEqual([])
    expect(runner.lines()).toEqual(['ip -j link show'])
  })

  it('falls back to arping when the sender cannot send, or before the MAC is known', async () => {
    const runner = new RecordingRunner().respond('ip -j link show', { stdout: LINKS })
    const broken = linuxAddressControl({
      runner,
      frames: fakeFrames(false).frames,
      sleep: async () => undefined,
    })
    broken.prepare?.([v4('192.168.1.100')])
    await settle()
    await broken.announce(v4('192.168.1.100'), { count: 1, intervalMs: 0 })
    expect(runner.lines()).toEqual(['ip -j link show', 'arping -q -U -c 1 -I eth0 192.168.1.100'])

    const unprepared = new RecordingRunner()
    const { frames, sent } = fakeFrames()
    await linuxAddressControl({ runner: unprepared, frames }).announce(v4('192.168.1.100'), {
      count: 1,
      intervalMs: 0,
    })
    expect(sent).toEqual([])
    expect(unprepared.lines()).toEqual(['arping -q -U -c 1 -I eth0 192.168.1.100'])
  })
})
