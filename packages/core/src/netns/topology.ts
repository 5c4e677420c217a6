import { randomBytes } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { systemCommandRunner } from '../adapters/command-runner.js'
import type { CommandResult, CommandRunner } from '../model/ports.js'

/**
 * Real network namespaces for `ipfo demo`, the benchmarks and integration tests. Traffic stays
 * inside the namespaces made here; the host's own interfaces are never touched: every veth is
 * created with both ends already inside our namespaces, so deleting the namespaces removes everything.
 *
 * Layout: a "switch" namespace holds one bridge per network. Every node and the client plug into
 * the public bridge with `pub0`; every node plugs into the private bridge with `priv0`. Links go
 * through a bridge (not a direct veth pair) so `linkDown` can pull one node's cable at the switch:
 * the node sees NO-CARRIER and keeps its addresses, as with a real cable.
 */

export type NetworkName = 'public' | 'private'

export interface TopologyInterface {
  readonly name: 'pub0' | 'priv0'
  readonly ipv4: string
  readonly ipv6: string | undefined
  readonly mac: string
}

export interface TopologyNode {
  readonly name: string
  readonly ns: string
  readonly public: TopologyInterface
  readonly private: TopologyInterface | undefined
}

/** A namespace of its own on one network (an etcd member, say): no agent, one address. */
export interface TopologyService {
  readonly name: string
  readonly ns: string
  /** Its address: host 200 + its index on the private network (the public one without it). */
  readonly ipv4: string
}

export interface Topology {
  /** Every namespace name starts with this. */
  readonly id: string
  readonly switchNs: string
  readonly nodes: readonly TopologyNode[]
  readonly client: TopologyNode | undefined
  readonly services: readonly TopologyService[]
  /** Prefix length of every network: 24 (IPv4) and 64 (IPv6). */
  readonly prefixLength: { readonly 4: 24; readonly 6: 64 }
  /** A node by name (`'client'` for the client); throws for an unknown name. */
  node(name: string): TopologyNode
  /** Host `host` on a network: node i has host i+1 and the client 100, so 50-99 are free for VIPs. */
  address(network: NetworkName, family: 4 | 6, host: number): string
  /** Runs a command inside a namespace. */
  exec(ns: string, command: string, args: readonly string[]): Promise<CommandResult>
  /** Pulls the node's cable at the switch. */
  linkDown(node: string, network: NetworkName): Promise<void>
  linkUp(node: string, network: NetworkName): Promise<void>
  /**
   * Every cable of the node at once, in one `ip -batch` (tens of microseconds apart instead of the
   * milliseconds between two `ip` processes): a machine that loses power loses all its links at
   * the same moment, and a daemon watching several links must not be measured against a staggered cut.
   */
  unplug(node: string): Promise<void>
  plug(node: string): Promise<void>
  /** Deletes every namespace; safe to call twice. */
  destroy(): Promise<void>
}

export interface TopologyOptions {
  readonly nodes: readonly string[]
  /** Start of every namespace name; default "ipfo". */
  readonly prefix?: string
  readonly withClient?: boolean
  /** A private network among the nodes; default true when there are two nodes or more. */
  readonly privateLink?: boolean
  readonly ipv6?: boolean
  /** Namespaces plugged into the private network (the public one without it) for servers the nodes use. */
  readonly services?: readonly string[]
  readonly runner?: CommandRunner
}

const SERVICE_HOST = 200

const CLIENT_HOST = 100

export async function createTopology(opts: TopologyOptions): Promise<Topology> {
  const runner = opts.runner ?? systemCommandRunner
  const prefix = opts.prefix ?? 'ipfo'
  const services = opts.services ?? []
  for (const name of [...opts.nodes, ...services]) {
    if (!/^[a-z0-9]{1,8}$/.test(name) || name === 'sw' || name === 'client') {
      throw new Error(`node name "${name}" must be 1-8 lowercase letters or digits, not "sw" or "client"`)
    }
  }
  await sweepAbandoned(runner, prefix)
  const suffix = randomBytes(3).toString('hex')
  const id = `${prefix}-${process.pid}-${suffix}`
  const subnet = await pickSubnet(runner, Number.parseInt(suffix, 16))
  const withPrivate = opts.privateLink ?? opts.nodes.length >= 2
  const ipv6 = opts.ipv6 ?? false
  const switchNs = `${id}-sw`
  const created: string[] = []

  const must = async (command: string, args: readonly string[]): Promise<string> => {
    const result = await runner.run(command, args)
    if (result.exitCode !== 0) {
      throw new Error(`${[command, ...args].join(' ')} failed (${result.exitCode}): ${result.stderr.trim()}`)
    }
    return result.stdout
  }
  const address = (network: NetworkName, family: 4 | 6, host: number) => {
    const net = network === 'public' ? 1 : 2
    return family === 4 ? `10.${subnet}.${net}.${host}` : `fd00:${subnet}:${net}::${host}`
  }
  let destroyed: Promise<void> | undefined
  const destroy = () => {
    destroyed ??= (async () => {
      for (const ns of [...created].reverse()) {
        // Anything still running inside (an agent's guard acting on its death, a probe) would keep the
        // namespace alive after its name is gone: it goes first.
        const pids = await runner.run('ip', ['netns', 'pids', ns])
        for (const pid of pids.stdout.split(/\s+/).filter(Boolean)) {
          try {
            process.kill(Number(pid), 'SIGKILL')
          } catch {}
        }
        await runner.run('ip', ['netns', 'delete', ns])
      }
    })()
    return destroyed
  }

  const addNamespace = async (ns: string, sysctls: readonly string[]) => {
    await must('ip', ['netns', 'add', ns])
    created.push(ns)
    // Before any link exists, so new interfaces inherit it: no DAD means no tentative delay.
    await must('ip', ['netns', 'exec', ns, 'sysctl', '-q', '-w', ...sysctls])
    await must('ip', ['-n', ns, 'link', 'set', 'lo', 'up'])
  }
  const hostSysctls = ipv6
    ? ['net.ipv6.conf.all.accept_dad=0', 'net.ipv6.conf.default.accept_dad=0']
    : ['net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1']

  /** Plugs `ns` into a network's bridge through a veth named `name`; the switch side is `port`. */
  const plug = async (
    ns: string,
    network: NetworkName,
    port: string,
    host: number,
  ): Promise<TopologyInterface> => {
    const name = network === 'public' ? 'pub0' : 'priv0'
    const bridge = network === 'public' ? 'br-pub' : 'br-priv'
    await must('ip', [
      'link',
      'add',
      name,
      'netns',
      ns,
      'type',
      'veth',
      'peer',
      'name',
      port,
      'netns',
      switchNs,
    ])
    await must('ip', ['-n', switchNs, 'link', 'set', port, 'master', bridge, 'up'])
    await must('ip', ['-n', ns, 'link', 'set', name, 'up'])
    const ipv4 = address(network, 4, host)
    await must('ip', ['-n', ns, 'addr', 'add', `${ipv4}/24`, 'dev', name])
    const ip6 = ipv6 ? address(network, 6, host) : undefined
    if (ip6 !== undefined) await must('ip', ['-n', ns, 'addr', 'add', `${ip6}/64`, 'dev', name, 'nodad'])
    const [link] = JSON.parse(await must('ip', ['-n', ns, '-j', 'link', 'show', name])) as {
      address: string
    }[]
    return { name, ipv4, ipv6: ip6, mac: link?.address ?? '' }
  }

  const buildNode = async (name: string, index: number, isClient: boolean): Promise<TopologyNode> => {
    const ns = `${id}-${name}`
    await addNamespace(ns, hostSysctls)
    const host = isClient ? CLIENT_HOST : index + 1
    const pub = await plug(ns, 'public', `pub-${name}`, host)
    const priv = withPrivate && !isClient ? await plug(ns, 'private', `priv-${name}`, host) : undefined
    return { name, ns, public: pub, private: priv }
  }

  try {
    await addNamespace(switchNs, ['net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1'])
    for (const bridge of withPrivate ? ['br-pub', 'br-priv'] : ['br-pub']) {
      // Snooping off: with no MLD querier, a snooping bridge may drop neighbour discovery multicast.
      await must('ip', ['-n', switchNs, 'link', 'add', bridge, 'type', 'bridge', 'mcast_snooping', '0'])
      await must('ip', ['-n', switchNs, 'link', 'set', bridge, 'up'])
    }
    // allSettled, not all: a failed node must not leave its siblings still creating while we clean up.
    const settled = await Promise.allSettled(opts.nodes.map((name, i) => buildNode(name, i, false)))
    const nodes = settled.map((s) => {
      if (s.status === 'rejected') throw s.reason
      return s.value
    })
    const client = (opts.withClient ?? true) ? await buildNode('client', 0, true) : undefined
    const serviceNodes: TopologyService[] = []
    for (const [i, name] of services.entries()) {
      const ns = `${id}-${name}`
      await addNamespace(ns, hostSysctls)
      const network = withPrivate ? 'private' : 'public'
      const { ipv4 } = await plug(
        ns,
        network,
        `${network === 'public' ? 'pub' : 'priv'}-${name}`,
        SERVICE_HOST + i,
      )
      serviceNodes.push({ name, ns, ipv4 })
    }

    const node = (name: string): TopologyNode => {
      const found = name === 'client' ? client : nodes.find((n) => n.name === name)
      if (found === undefined) throw new Error(`no node "${name}" in topology ${id}`)
      return found
    }
    const setLink = async (name: string, network: NetworkName, state: 'up' | 'down') => {
      if (network === 'private' && node(name).private === undefined)
        throw new Error(`${name} has no private link`)
      const port = `${network === 'public' ? 'pub' : 'priv'}-${name}`
      await must('ip', ['-n', switchNs, 'link', 'set', port, state])
    }
    const setAllLinks = async (name: string, state: 'up' | 'down') => {
      const ports = [`pub-${name}`, ...(node(name).private ? [`priv-${name}`] : [])]
      const dir = await mkdtemp(join(tmpdir(), 'ipfo-topology-'))
      try {
        const batch = join(dir, 'links')
        await writeFile(batch, ports.map((port) => `link set ${port} ${state}\n`).join(''))
        await must('ip', ['-n', switchNs, '-batch', batch])
      } finally {
        await rm(dir, { recursive: true, force: true })
      }
    }
    return {
      id,
      switchNs,
      nodes,
      client,
      services: serviceNodes,
      prefixLength: { 4: 24, 6: 64 },
      node,
      address,
      exec: (ns, command, args) => runner.run('ip', ['netns', 'exec', ns, command, ...args]),
      linkDown: (name, network) => setLink(name, network, 'down'),
      linkUp: (name, network) => setLink(name, network, 'up'),
      unplug: (name) => setAllLinks(name, 'down'),
      plug: (name) => setAllLinks(name, 'up'),
      destroy,
    }
  } catch (error) {
    await destroy()
    throw error
  }
}

/** Picks x in 10.x.0.0/16 from 200-250, avoiding any 10.x the host itself uses (for readable captures). */
async function pickSubnet(runner: CommandRunner, seed: number): Promise<number> {
  const result = await runner.run('ip', ['-4', '-o', 'addr', 'show'])
  const used = new Set([...result.stdout.matchAll(/inet 10\.(\d+)\./g)].map((m) => Number(m[1])))
  for (let i = 0; i < 51; i++) {
    const x = 200 + ((seed + i) % 51)
    if (!used.has(x)) return x
  }
  return 200 + (seed % 51)
}

/** Deletes namespaces that an earlier, killed test run left behind (its pid is gone). */
async function sweepAbandoned(runner: CommandRunner, prefix: string): Promise<void> {
  const result = await runner.run('ip', ['netns', 'list'])
  const pattern = new RegExp(`^${prefix.replace(/[^a-z0-9]/gi, '\\$&')}-(\\d+)-[0-9a-f]{6}-\\S+`)
  for (const line of result.stdout.split('\n')) {
    const match = pattern.exec(line)
    if (match?.[1] && !processAlive(Number(match[1]))) {
      await runner.run('ip', ['netns', 'delete', match[0]])
    }
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}
