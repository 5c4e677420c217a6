import { netnsSkipReason } from '@ipfo/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { GRATUITOUS_ARP_BYTES } from '../src/adapters/address/arp-frame.js'
import { ipBatch } from '../src/adapters/address/ip-batch.js'
import { linuxAddressControl } from '../src/adapters/address/linux.js'
import { socatFrames } from '../src/adapters/address/socat-frames.js'
import { systemCommandRunner } from '../src/adapters/command-runner.js'
import { AddressError } from '../src/model/errors.js'
import type { InterfaceAddress } from '../src/model/ip.js'
import type { AddressControl, CommandRunner } from '../src/model/ports.js'
import { netnsAvailable } from '../src/netns/availability.js'
import { createTopology, type Topology } from '../src/netns/topology.js'
import { netlinkBatchInNetns } from './fakes/netlink-in-netns.js'

const skip = netnsSkipReason(netnsAvailable(), process.env.CI === 'true')
const title = (name: string) => (skip === undefined ? name : `${name} (skipped: ${skip})`)

// Every case runs four times: one process per change and announcement (ip, arping); a long-lived
// `ip -batch` for changes; that plus gratuitous ARP frames from a long-lived socat; and changes over
// rtnetlink (the netlink batch, in a process inside the namespace) with socat frames.
describe.skipIf(skip !== undefined).each([
  { how: 'one process each', batch: false, frames: false },
  { how: 'ip -batch', batch: 'ip' as const, frames: false },
  { how: 'ip -batch and socat frames', batch: 'ip' as const, frames: true },
  { how: 'rtnetlink and socat frames', batch: 'netlink' as const, frames: true },
])(title('linux address control in network namespaces ($how)'), ({ batch, frames }) => {
  let topo: Topology
  let a: AddressControl
  let b: AddressControl
  const commands: string[] = []
  const runner: CommandRunner = {
    run(command, args, opts) {
      commands.push([command, ...args].join(' '))
      return systemCommandRunner.run(command, args, opts)
    },
  }

  const batches: Promise<void>[] = []
  const batchIn = (ns: string) => {
    if (batch === 'ip') return ipBatch({ netns: ns })
    const inNetns = netlinkBatchInNetns(ns)
    batches.push(inNetns.ready)
    return inNetns
  }
  const control = (ns: string) =>
    linuxAddressControl({
      runner,
      netns: ns,
      ...(batch ? { batch: batchIn(ns) } : {}),
      ...(frames ? { frames: socatFrames({ netns: ns, frameBytes: GRATUITOUS_ARP_BYTES }) } : {}),
    })

  beforeAll(async () => {
    topo = await createTopology({ nodes: ['a', 'b'], withClient: true, ipv6: true })
    a = control(topo.node('a').ns)
    b = control(topo.node('b').ns)
    const pub = (family: 4 | 6): InterfaceAddress => ({
      interface: 'pub0',
      ip: '0.0.0.0',
      prefix: 24,
      family,
    })
    await Promise.all(batches)
    a.prepare?.([pub(4), pub(6)])
    b.prepare?.([pub(4), pub(6)])
    // prepare reads the MACs in the background.
    await new Promise((r) => setTimeout(r, 300))
  })
  afterAll(async () => {
    a?.close?.()
    b?.close?.()
    await topo?.destroy()
  })

  const vip = (family: 4 | 6, host: number): InterfaceAddress => ({
    interface: 'pub0',
    ip: topo.address('public', family, host),
    prefix: family === 4 ? 24 : 64,
    family,
  })

  const client = (command: string, args: string[]) => topo.exec(topo.node('client').ns, command, args)
  const ping = (target: InterfaceAddress) =>
    client('ping', [`-${target.family}`, '-n', '-c', '1', '-W', '1', target.ip])
  /** The MAC the client's neighbour table holds for `target`, or undefined. */
  const clientNeighbour = async (target: InterfaceAddress) => {
    const { stdout } = await client('ip', [`-${target.family}`, 'neigh', 'show', target.ip, 'dev', 'pub0'])
    return /lladdr (\S+)/.exec(stdout)?.[1]
  }

  it('reports presence before and after add and remove; both are idempotent', async () => {
    const address = vip(4, 60)
    expect(await a.present([address])).toEqual([])
    await a.add(address)
    await a.add(address)
    expect(await a.present([address, { ...address, prefix: 32 }, vip(4, 61)])).toEqual([address])
    expect(await b.present([address])).toEqual([])
    await a.remove(address)
    await a.remove(address)
    expect(await a.present([address])).toEqual([])
  })

  it('adds IPv6 without DAD, so the address is usable at once', async () => {
    const address = vip(6, 60)
    await a.add(address)
    await a.add(address)
    const { stdout } = await topo.exec(topo.node('a').ns, 'ip', ['-6', 'addr', 'show', 'dev', 'pub0'])
    expect(stdout).toMatch(new RegExp(`inet6 ${address.ip}/64 scope global nodad`))
    expect(stdout).not.toContain('tentative')
    expect((await ping(address)).exitCode).toBe(0)
    await a.remove(address)
    await a.remove(address)
    expect(await a.present([address])).toEqual([])
  })

  // Only with the batch: separate processes keep no order between a lifetime change and a remove.
  if (batch)
    it.each([4, 6] as const)(
      'gives an IPv%i address a lifetime the kernel ends by itself, renewable, and forever again',
      async (family) => {
        const address = vip(family, 63)
        const other = vip(family, 64)
        await a.add(address)
        await a.add(other)
        expect(await a.lifetimes?.([address, other, vip(family, 65)])).toEqual([
          { address, left: 'forever' },
          { address: other, left: 'forever' },
        ])
        await a.setLifetime?.(address, 2)
        await a.setLifetime?.(other, 2)
        const [first] = (await a.lifetimes?.([address])) ?? []
        expect(first?.left).toBeLessThanOrEqual(2)
        expect(first?.left).toBeGreaterThanOrEqual(1)
        if (family === 6) {
          // `change` clears the flags it is not given: the VIP keeps `nodad`.
          const { stdout } = await topo.exec(topo.node('a').ns, 'ip', ['-6', 'addr', 'show', 'dev', 'pub0'])
          expect(stdout).toMatch(new RegExp(`inet6 ${address.ip}/64 scope global nodad dynamic`))
        }
        // Renewed 1 s later (for 3 s), `address` outlives `other`, which the kernel removes 2 s after
        // its change (its check runs on timers rounded up to whole seconds: up to 1 s later).
        await new Promise((r) => setTimeout(r, 1000))
        await a.setLifetime?.(address, 3)
        await expect
          .poll(async () => (await a.present([other])).length, { timeout: 2_500, interval: 50 })
          .toBe(0)
        expect(await a.present([address])).toEqual([address])
        // Forever: still there past the end of its 3 s.
        await a.setLifetime?.(address, 'forever')
        await new Promise((r) => setTimeout(r, 2200))
        expect(await a.lifetimes?.([address, other])).toEqual([{ address, left: 'forever' }])
        await a.remove(address)
      },
      15_000,
    )
  else
    it('gives no lifetimes without the batch', () => {
      expect(a.setLifetime).toBeUndefined()
      expect(a.lifetimes).toBeUndefined()
    })

  it('throws AddressError with a hint for an interface that does not exist', async () => {
    const error = await a.add({ ...vip(4, 62), interface: 'nope0' }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(AddressError)
    expect(error).toMatchObject({
      exitCode: 1,
      hint: 'interface "nope0" does not exist: check the interface name with `ip link`',
    })
    expect((error as AddressError).stderr).toContain('Cannot find device "nope0"')
    // The failure left nothing half done: the next change works.
    await a.add(vip(4, 62))
    expect(await a.present([vip(4, 62)])).toEqual([vip(4, 62)])
    await a.remove(vip(4, 62))
  })

  it.each([4, 6] as const)(
    'moves an IPv%i VIP from a to b; the announcement updates the client',
    async (family) => {
      const address = vip(family, 50)
      const macA = topo.node('a').public.mac
      const macB = topo.node('b').public.mac

      await a.add(address)
      expect((await ping(address)).exitCode).toBe(0)
      expect(await clientNeighbour(address)).toBe(macA)

      await a.remove(address)
      await b.add(address)
      // Adding alone tells nobody: the client would keep sending to a's MAC.
      expect(await clientNeighbour(address)).toBe(macA)

      const before = commands.length
      await b.announce(address, { count: 1, intervalMs: 0 })
      if (family === 4) {
        // With frames, the gratuitous ARP left without an arping; without them, arping sent it.
        const arpings = commands.slice(before).filter((c) => c.includes('arping')).length
        expect(arpings).toBe(frames ? 0 : 1)
        // A frame is handed over, not awaited: give it a moment on the wire.
        await new Promise((r) => setTimeout(r, 50))
      }
      expect(await clientNeighbour(address)).toBe(macB)
      expect((await ping(address)).exitCode).toBe(0)
      await b.remove(address)
    },
  )
})

describe.skipIf(skip !== undefined)(title('namespace topology harness'), () => {
  const listNamespaces = async () => (await systemCommandRunner.run('ip', ['netns', 'list'])).stdout

  it('builds nodes with distinct MACs and addresses, pulls cables, and destroys everything', async () => {
    const topo = await createTopology({ nodes: ['a', 'b', 'c'], withClient: false })
    try {
      expect(topo.client).toBeUndefined()
      expect(new Set(topo.nodes.map((n) => n.public.mac)).size).toBe(3)
      expect(topo.nodes.map((n) => n.private?.ipv4)).toEqual(
        [1, 2, 3].map((h) => topo.address('private', 4, h)),
      )
      expect(await listNamespaces()).toContain(`${topo.id}-c`)

      const ns = topo.node('a').ns
      const state = async () =>
        (await topo.exec(ns, 'ip', ['-o', 'link', 'show', 'priv0'])).stdout.includes('NO-CARRIER')
      await topo.linkDown('a', 'private')
      expect(await state()).toBe(true)
      await topo.linkUp('a', 'private')
      expect(await state()).toBe(false)
      const reach = await topo.exec(ns, 'ping', ['-n', '-c', '1', '-W', '1', topo.node('b').private!.ipv4])
      expect(reach.exitCode).toBe(0)

      // Every cable at once, and back.
      const carriers = async () =>
        (await topo.exec(ns, 'ip', ['-o', 'link', 'show'])).stdout
          .split('\n')
          .filter((l) => / (pub0|priv0)@/.test(l))
          .map((l) => l.includes('NO-CARRIER'))
      await topo.unplug('a')
      expect(await carriers()).toEqual([true, true])
      expect(await state()).toBe(true)
      await topo.plug('a')
      expect(await carriers()).toEqual([false, false])
    } finally {
      await topo.destroy()
      await topo.destroy()
    }
    expect(await listNamespaces()).not.toContain(topo.id)
  })

  it('refuses a bad node name before creating anything', async () => {
    await expect(createTopology({ nodes: ['a', 'Bad-Name'] })).rejects.toThrow('node name "Bad-Name"')
  })

  it('cleans up a half-built topology', async () => {
    // Fails the client's address: the switch and node namespaces already exist when it breaks.
    const runner = {
      run(command: string, args: readonly string[]) {
        if (args[0] === '-n' && args[1]?.endsWith('-client') && args[2] === 'addr') {
          return Promise.resolve({ exitCode: 2, signal: null, stdout: '', stderr: 'injected failure' })
        }
        return systemCommandRunner.run(command, args)
      },
    }
    const before = await listNamespaces()
    await expect(createTopology({ nodes: ['a'], runner })).rejects.toThrow('injected failure')
    const after = await listNamespaces()
    const ours = (text: string) => text.split('\n').filter((l) => l.startsWith(`ipfo-${process.pid}-`))
    expect(ours(after)).toEqual(ours(before))
  })
})
