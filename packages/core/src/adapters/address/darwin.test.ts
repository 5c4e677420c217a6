import { RecordingRunner } from '@ipfo/testkit'
import { describe, expect, it } from 'vitest'
import { AddressError } from '../../model/errors.js'
import type { InterfaceAddress } from '../../model/ip.js'
import { darwinAddressControl } from './darwin.js'

/** `ifconfig en0` on a macOS 14 Mac mini on a /24 office network, before any alias. */
const EN0 = `en0: flags=8863<UP,BROADCAST,SMART,RUNNING,SIMPLEX,MULTICAST> mtu 1500
\toptions=50b<RXCSUM,TXCSUM,VLAN_HWTAGGING,AV,CHANNEL_IO>
\tether 3c:07:54:6a:1f:2e
\tinet6 fe80::1c3f:8a2b:9d4e:71a0%en0 prefixlen 64 secured scopeid 0x4
\tinet 192.168.1.20 netmask 0xffffff00 broadcast 192.168.1.255
\tinet6 fd00:1::20 prefixlen 64 autoconf secured
\tinet6 fd00:1::9c41:2f6e:11b8:d03a prefixlen 64 autoconf temporary
\tnd6 options=201<PERFORMNUD,DAD>
\tmedia: autoselect (1000baseT <full-duplex,flow-control,energy-efficient-ethernet>)
\tstatus: active
`

/** The same interface holding the VIP 192.168.1.50 (added under the /32 rule) and fd00:1::50. */
const EN0_WITH_VIPS = EN0.replace(
  '\tnd6 options',
  '\tinet 192.168.1.50 netmask 0xffffffff broadcast 192.168.1.50\n\tinet6 fd00:1::50 prefixlen 64\n\tnd6 options',
)

/** An interface with only IPv6 and a link-local address: no primary IPv4 address to compare with. */
const EN1 = `en1: flags=8863<UP,BROADCAST,SMART,RUNNING,SIMPLEX,MULTICAST> mtu 1500
\tether 3c:07:54:6a:1f:2f
\tinet6 fe80::10a2:44ff:fe01:2b3c%en1 prefixlen 64 scopeid 0x5
\tnd6 options=201<PERFORMNUD,DAD>
\tmedia: autoselect
\tstatus: active
`

const NO_EN9 = { exitCode: 1, stderr: 'ifconfig: interface en9 does not exist\n' }

const v4 = (ip: string, prefix = 24, iface = 'en0'): InterfaceAddress => ({
  interface: iface,
  ip,
  prefix,
  family: 4,
})
const v6 = (ip: string, prefix = 64, iface = 'en0'): InterfaceAddress => ({
  interface: iface,
  ip,
  prefix,
  family: 6,
})

function setup(en0 = EN0) {
  const runner = new RecordingRunner()
    .respond('ifconfig en0', { stdout: en0 }, { times: 1 })
    .respond('ifconfig en1', { stdout: EN1 }, { times: 1 })
    .respond('ifconfig en9', NO_EN9)
  return { runner, control: darwinAddressControl({ runner }) }
}

describe('darwin present', () => {
  it('finds aliases by IP on their interface, whatever mask the /32 rule gave them', async () => {
    const { runner, control } = setup(EN0_WITH_VIPS)
    const present = await control.present([
      v4('192.168.1.50'),
      v4('192.168.1.51'),
      v6('fd00:1:0:0::50'),
      v4('192.168.1.50', 24, 'en9'),
    ])
    expect(present).toEqual([v4('192.168.1.50'), v6('fd00:1:0:0::50')])
    expect(runner.calls).toEqual([
      { command: 'ifconfig', args: ['en0'] },
      { command: 'ifconfig', args: ['en9'] },
    ])
  })

  it('reads nothing when there is nothing to look for', async () => {
    const { runner, control } = setup()
    expect(await control.present([])).toEqual([])
    expect(runner.calls).toEqual([])
  })
})

describe('darwin add', () => {
  it('uses netmask 255.255.255.255 for an alias in the primary address subnet (the /32 rule)', async () => {
    const { runner, control } = setup()
    await control.add(v4('192.168.1.50'))
    expect(runner.calls).toEqual([
      { command: 'ifconfig', args: ['en0'] },
      { command: 'ifconfig', args: ['en0', 'alias', '192.168.1.50', 'netmask', '255.255.255.255'] },
    ])
  })

  it('uses the configured mask for an alias in another subnet', async () => {
    const { runner, control } = setup()
    await control.add(v4('10.20.0.5', 16))
    expect(runner.calls[1]).toEqual({
      command: 'ifconfig',
      args: ['en0', 'alias', '10.20.0.5', 'netmask', '255.255.0.0'],
    })
  })

  it('uses the configured mask when the interface has no IPv4 address yet', async () => {
    const { runner, control } = setup()
    await control.add(v4('192.168.1.50', 24, 'en1'))
    expect(runner.calls[1]).toEqual({
      command: 'ifconfig',
      args: ['en1', 'alias', '192.168.1.50', 'netmask', '255.255.255.0'],
    })
  })

  it('adds an IPv6 alias with its prefix length', async () => {
    const { runner, control } = setup()
    await control.add(v6('fd00:1::50'))
    expect(runner.calls[1]).toEqual({
      command: 'ifconfig',
      args: ['en0', 'inet6', 'fd00:1::50', 'prefixlen', '64', 'alias'],
    })
  })

  it('leaves an address that is already there alone', async () => {
    const { runner, control } = setup(EN0_WITH_VIPS)
    await control.add(v4('192.168.1.50'))
    expect(runner.lines()).toEqual(['ifconfig en0'])
  })

  it('throws AddressError with a hint for an interface that does not exist', async () => {
    const { control } = setup()
    const error = await control.add(v4('192.168.1.50', 24, 'en9')).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(AddressError)
    expect(error).toMatchObject({
      command: ['ifconfig', 'en9'],
      exitCode: 1,
      stderr: NO_EN9.stderr,
      hint: 'interface "en9" does not exist: check the name with `ifconfig -l`',
    })
  })

  it('tells a user who is not root to run as root', async () => {
    const { runner, control } = setup()
    runner.respond('ifconfig en0 alias', {
      exitCode: 1,
      stderr: 'ifconfig: ioctl (SIOCAIFADDR): Operation not permitted\n',
    })
    const error = await control.add(v4('192.168.1.50')).catch((e: unknown) => e)
    expect(error).toMatchObject({
      command: ['ifconfig', 'en0', 'alias', '192.168.1.50', 'netmask', '255.255.255.255'],
      exitCode: 1,
      hint: expect.stringContaining('run ipfo as root'),
    })
  })
})

describe('darwin remove', () => {
  it('removes IPv4 and IPv6 aliases', async () => {
    const { runner, control } = setup()
    await control.remove(v4('192.168.1.50'))
    await control.remove(v6('fd00:1::50'))
    expect(runner.calls).toEqual([
      { command: 'ifconfig', args: ['en0', '-alias', '192.168.1.50'] },
      { command: 'ifconfig', args: ['en0', 'inet6', 'fd00:1::50', '-alias'] },
    ])
  })

  it('treats an absent alias as removed', async () => {
    const { runner, control } = setup()
    runner.respond(/-alias/, {
      exitCode: 1,
      stderr: "ifconfig: ioctl (SIOCDIFADDR): Can't assign requested address\n",
    })
    await expect(control.remove(v4('192.168.1.50'))).resolves.toBeUndefined()
  })
})

describe('darwin announce', () => {
  it('repeats the gratuitous ARP with Homebrew arping', async () => {
    const { runner, control } = setup()
    await control.announce(v4('192.168.1.50'), { count: 3, intervalMs: 500 })
    expect(runner.calls).toEqual([
      {
        command: 'arping',
        args: ['-q', '-U', '-c', '3', '-W', '0.5', '-i', 'en0', '-S', '192.168.1.50', '192.168.1.50'],
      },
    ])
  })

  it('relies on the kernel gratuitous ARP alone when arping is not installed', async () => {
    const { runner, control } = setup()
    runner.respond('arping', { exitCode: null, stderr: 'arping is not installed (not found in PATH)\n' })
    await expect(control.announce(v4('192.168.1.50'), { count: 3, intervalMs: 500 })).resolves.toBeUndefined()
  })

  it('sends nothing for IPv6, which macOS has no tool for', async () => {
    const { runner, control } = setup()
    await control.announce(v6('fd00:1::50'), { count: 3, intervalMs: 500 })
    expect(runner.calls).toEqual([])
  })
})
