import { netnsSkipReason } from '@ipfo/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ipBatch } from '../src/adapters/address/ip-batch.js'
import { parseLinkShow, parseMonitorLine } from '../src/adapters/carrier-ip-monitor.js'
import { linuxCarrierWatch } from '../src/adapters/carrier-watch.js'
import { systemCommandRunner } from '../src/adapters/command-runner.js'
import type { CarrierWatch, CommandRunner, IpBatch } from '../src/model/ports.js'
import { netnsAvailable } from '../src/netns/availability.js'
import { createTopology, type Topology } from '../src/netns/topology.js'
import { netlinkBatchInNetns, netlinkCarrierInNetns } from './fakes/netlink-in-netns.js'

const skip = netnsSkipReason(netnsAvailable(), process.env.CI === 'true')
const title = (name: string) => (skip === undefined ? name : `${name} (skipped: ${skip})`)

const until = async <T>(what: string, f: () => T | undefined | Promise<T | undefined>, ms = 3_000) => {
  const end = Date.now() + ms
  for (;;) {
    const value = await f()
    if (value) return value
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 10))
  }
}

describe('ip -o monitor link lines (recorded from iproute2 6.1)', () => {
  it('reads the interface and whether it has a carrier (LOWER_UP)', () => {
    const up =
      '2: vx1@if2: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP group default \\    link/ether 92:b3:6f:83:aa:dd brd ff:ff:ff:ff:ff:ff link-netns ipfotmp2'
    const noCarrier =
      '2: vx1@if2: <NO-CARRIER,BROADCAST,MULTICAST,UP> mtu 1500 qdisc noqueue state DOWN group default \\    link/ether 92:b3:6f:83:aa:dd brd ff:ff:ff:ff:ff:ff link-netns ipfotmp2'
    const adminDown =
      '2: vx1@if2: <BROADCAST,MULTICAST> mtu 1500 qdisc noqueue state DOWN group default \\    link/ether 92:b3:6f:83:aa:dd brd ff:ff:ff:ff:ff:ff link-netns ipfotmp2'
    const deleted =
      'Deleted 2: vx1@NONE: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noop state DOWN group default \\    link/ether 92:b3:6f:83:aa:dd brd ff:ff:ff:ff:ff:ff'
    const plain = '3: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc fq_codel state UP'
    expect([up, noCarrier, adminDown, deleted, plain].map(parseMonitorLine)).toEqual([
      { iface: 'vx1', up: true },
      { iface: 'vx1', up: false },
      { iface: 'vx1', up: false },
      { iface: 'vx1', up: false },
      { iface: 'eth0', up: true },
    ])
    expect(parseMonitorLine('    link/ether 92:b3:6f:83:aa:dd')).toBeUndefined()
    expect(parseMonitorLine('')).toBeUndefined()
  })

  it('reads every interface of ip -j link show', () => {
    const json = JSON.stringify([
      { ifindex: 1, ifname: 'lo', flags: ['LOOPBACK', 'UP', 'LOWER_UP'] },
      { ifindex: 2, ifname: 'pub0', flags: ['NO-CARRIER', 'BROADCAST', 'MULTICAST', 'UP'] },
      { ifindex: 3, ifname: 'priv0' },
    ])
    expect(parseLinkShow(json)).toEqual({ lo: true, pub0: false, priv0: false })
  })
})

describe.skipIf(skip !== undefined)(title('carrier watch in network namespaces'), () => {
  let topo: Topology
  let watch: CarrierWatch | undefined
  beforeAll(async () => {
    topo = await createTopology({ nodes: ['a', 'b'], withClient: false })
  })
  afterAll(async () => {
    watch?.close()
    await topo?.destroy()
  })

  it('reports the cables pulled and back; back, the neighbours left unresolved meanwhile are gone', async () => {
    const ns = topo.node('a').ns
    const changes: string[] = []
    const errors: string[] = []
    const neighbours = async () =>
      (await topo.exec(ns, 'ip', ['-4', 'neigh', 'show', 'dev', 'priv0'])).stdout.trim()
    watch = linuxCarrierWatch({
      runner: systemCommandRunner,
      netns: ns,
      restartAfterMs: 100,
      onError: (m) => errors.push(m),
    })
    let neighboursAtUp: string | undefined
    const initial = await watch.start(['pub0', 'priv0', 'nosuch0'], (iface, up) => {
      changes.push(`${iface} ${up ? 'up' : 'down'}`)
      if (iface === 'priv0' && up) void neighbours().then((n) => (neighboursAtUp ??= n))
    })
    expect(initial).toEqual({ pub0: true, priv0: true, nosuch0: false })

    await topo.unplug('a')
    await until('both carriers down', () => changes.length >= 2)
    expect([...changes].sort()).toEqual(['priv0 down', 'pub0 down'])
    // Heartbeats keep going to b while the cable is out: the kernel keeps an unresolved entry.
    const peer = topo.node('b').private!.ipv4
    await topo.exec(ns, 'ping', ['-n', '-c', '1', '-W', '1', peer])
    expect(await neighbours()).toContain(peer)

    await topo.plug('a')
    await until('both carriers up', () => changes.length >= 4)
    expect(changes.slice(2).sort()).toEqual(['priv0 up', 'pub0 up'])
    const atUp = await until('the neighbours read at "up"', () =>
      neighboursAtUp === undefined ? undefined : { text: neighboursAtUp },
    )
    expect(atUp.text).not.toContain(peer)
    expect(errors).toEqual([])
  })

  it("given the agent's ip batch, flushes through it: no ip started on the way, neighbours gone all the same", async () => {
    const ns = topo.node('a').ns
    const changes: string[] = []
    const started: string[] = []
    const runner: CommandRunner = {
      run: (command, args, runOpts) => {
        started.push([command, ...args].join(' '))
        return systemCommandRunner.run(command, args, runOpts)
      },
    }
    const real = ipBatch({ netns: ns })
    const batched: string[] = []
    const batch: IpBatch = {
      ...real,
      run: (args, o) => {
        batched.push(args.join(' '))
        return real.run(args, o)
      },
    }
    watch?.close()
    watch = linuxCarrierWatch({ runner, netns: ns, batch })
    try {
      await watch.start(['pub0', 'priv0'], (iface, up) => changes.push(`${iface} ${up ? 'up' : 'down'}`))
      await topo.unplug('a')
      await until('both carriers down', () => changes.length >= 2)
      const peer = topo.node('b').private!.ipv4
      await topo.exec(ns, 'ping', ['-n', '-c', '1', '-W', '1', peer])
      await topo.plug('a')
      await until('both carriers up', () => changes.length >= 4)
      expect([...batched].sort()).toEqual(['neigh flush dev priv0', 'neigh flush dev pub0'])
      expect(started).toEqual([`ip -n ${ns} -j link show`])
      const left = (await topo.exec(ns, 'ip', ['-4', 'neigh', 'show', 'dev', 'priv0'])).stdout
      expect(left).not.toContain(peer)
    } finally {
      real.close()
    }
  })

  it('over rtnetlink (the netlink path): the cables pulled and back, the neighbours flushed, no process started', async () => {
    const ns = topo.node('a').ns
    const server = netlinkCarrierInNetns(ns, ['pub0', 'priv0', 'nosuch0'])
    try {
      expect(await server.initial).toEqual({ pub0: true, priv0: true, nosuch0: false })
      await topo.unplug('a')
      await until('both carriers down', () => server.changes.length >= 2)
      expect([...server.changes].sort()).toEqual(['priv0 down', 'pub0 down'])
      const peer = topo.node('b').private!.ipv4
      await topo.exec(ns, 'ping', ['-n', '-c', '1', '-W', '1', peer])
      const neighbours = async () =>
        (await topo.exec(ns, 'ip', ['-4', 'neigh', 'show', 'dev', 'priv0'])).stdout
      expect(await neighbours()).toContain(peer)
      await topo.plug('a')
      await until('both carriers up', () => server.changes.length >= 4)
      expect(server.changes.slice(2).sort()).toEqual(['priv0 up', 'pub0 up'])
      // Reported once flushed: nothing sent to the peer since.
      expect(await neighbours()).not.toContain(peer)
      // Neither an ip monitor nor an ip -batch under the server (tsx's esbuild may be there).
      const children = await systemCommandRunner.run('pgrep', ['-a', '-P', String(server.pid)])
      expect(children.stdout).not.toMatch(/^\d+ ip /m)
      expect(server.errors).toEqual([])
    } finally {
      await server.close()
    }
  })

  it('over rtnetlink: a deleted interface has no carrier', async () => {
    const ns = topo.node('a').ns
    const made = async (args: string[]) => {
      const result = await topo.exec(ns, 'ip', args)
      expect(result.exitCode, `ip ${args.join(' ')}: ${result.stderr}`).toBe(0)
    }
    await made(['link', 'add', 'vd0', 'type', 'veth', 'peer', 'name', 'vd1'])
    await made(['link', 'set', 'vd0', 'up'])
    await made(['link', 'set', 'vd1', 'up'])
    const server = netlinkCarrierInNetns(ns, ['vd0'])
    try {
      const initial = await server.initial
      // A veth has its carrier once both ends are up: if the snapshot came first, the notice follows.
      if (!initial.vd0) await until('vd0 up', () => server.changes.includes('vd0 up'))
      await made(['link', 'del', 'vd0'])
      await until('vd0 down', () => server.changes.includes('vd0 down'))
      expect(server.errors).toEqual([])
    } finally {
      await server.close()
      await topo.exec(ns, 'ip', ['link', 'del', 'vd0']).catch(() => undefined)
    }
  })

  it('the netlink batch flushes as ip neigh flush does: resolved entries go, permanent ones stay', async () => {
    const ns = topo.node('a').ns
    const peer = topo.node('b').private!.ipv4
    const fixed = peer.replace(/\.\d+$/, '.250')
    await topo.exec(ns, 'ip', [
      'neigh',
      'replace',
      fixed,
      'lladdr',
      '02:00:00:00:02:50',
      'nud',
      'permanent',
      'dev',
      'priv0',
    ])
    await topo.exec(ns, 'ping', ['-n', '-c', '1', '-W', '1', peer])
    const neighbours = async () => (await topo.exec(ns, 'ip', ['-4', 'neigh', 'show', 'dev', 'priv0'])).stdout
    expect(await neighbours()).toContain(peer)
    const batch = netlinkBatchInNetns(ns)
    try {
      await batch.ready
      expect(await batch.run(['neigh', 'flush', 'dev', 'priv0'])).toMatchObject({ exitCode: 0 })
      const left = await neighbours()
      expect(left).not.toContain(`${peer} `)
      expect(left).toContain(`${fixed} lladdr 02:00:00:00:02:50 PERMANENT`)
      expect(await batch.run(['neigh', 'flush', 'dev', 'nosuch0'])).toMatchObject({
        exitCode: 1,
        stderr: 'Cannot find device "nosuch0"\n',
      })
    } finally {
      batch.close()
      await topo.exec(ns, 'ip', ['neigh', 'del', fixed, 'dev', 'priv0']).catch(() => undefined)
    }
  })

  it('a monitor that dies is started again, and says so', async () => {
    const ns = topo.node('a').ns
    const changes: string[] = []
    const errors: string[] = []
    watch?.close()
    watch = linuxCarrierWatch({
      runner: systemCommandRunner,
      netns: ns,
      restartAfterMs: 50,
      onError: (m) => errors.push(m),
    })
    await watch.start(['pub0'], (iface, up) => changes.push(`${iface} ${up ? 'up' : 'down'}`))
    const found = await systemCommandRunner.run('pgrep', ['-f', `^ip -n ${ns} -o monitor link$`])
    expect(found.stdout.trim()).toMatch(/^\d+$/)
    process.kill(Number(found.stdout.trim()), 'SIGKILL')
    await until('the monitor to be reported and restarted', () => errors.length > 0)
    expect(errors[0]).toMatch(/^ip -o monitor link exited \(SIGKILL\); restarting it$/)
    // The restarted monitor sees the next change.
    await new Promise((r) => setTimeout(r, 200))
    await topo.linkDown('a', 'public')
    await until('pub0 down', () => changes.includes('pub0 down'))
    await topo.linkUp('a', 'public')
    await until('pub0 up', () => changes.includes('pub0 up'))
  })
})
