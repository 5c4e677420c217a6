import { createSocket } from 'node:dgram'
import { isIPv6 } from 'node:net'
import { type CommandRunner, type Config, normalizeIp } from '@ipfo/core'
import { type CheckResult, fail, pass, warn } from './check.js'

interface IpLink {
  ifname: string
  flags?: string[]
  operstate?: string
  addr_info?: { family: string; local: string; prefixlen: number }[]
}

/** The tools ipfo runs: iproute2 and perl (the guard) always, arping (and socat, recommended) for IPv4 addresses, na6 for IPv6 ones. */
export async function checkTools(config: Config, runner: CommandRunner): Promise<CheckResult[]> {
  const addresses = [...config.owns, ...config.peers.flatMap((p) => p.takeover)]
  const tools: { name: string; args: string[]; needed: boolean; install: string; optional?: string }[] = [
    { name: 'ip', args: ['-V'], needed: true, install: 'apt-get install iproute2' },
    // The guard, which removes this node's addresses if the agent dies: no agent starts without it.
    {
      name: 'perl',
      args: ['-v'],
      needed: true,
      install: 'apt-get install perl-base (Fedora, RHEL: dnf install perl-interpreter)',
    },
    {
      name: 'socat',
      args: ['-V'],
      needed: addresses.some((a) => a.family === 4),
      install: 'apt-get install socat',
      optional: 'gratuitous ARPs go out through arping instead, 2 to 4 ms later',
    },
    {
      name: 'arping',
      args: ['-V'],
      needed: addresses.some((a) => a.family === 4),
      install: 'apt-get install iputils-arping',
    },
    {
      name: 'na6',
      args: ['-h'],
      needed: addresses.some((a) => a.family === 6),
      install: 'apt-get install ipv6toolkit',
    },
  ]
  const results: CheckResult[] = []
  for (const tool of tools.filter((t) => t.needed)) {
    const result = await runner.run(tool.name, tool.args, { timeoutMs: 5_000 })
    const lines = (result.stdout || result.stderr).split('\n').filter((l) => l.trim() !== '')
    const found = lines.find((l) => /version/i.test(l)) ?? lines[0] ?? ''
    if (result.exitCode !== null) results.push(pass(`${tool.name} installed`, found.trim()))
    else if (tool.optional)
      results.push(
        warn(`${tool.name} installed`, `${tool.name} was not found: ${tool.optional}`, tool.install),
      )
    else results.push(fail(`${tool.name} installed`, `${tool.name} was not found`, tool.install))
  }
  return results
}

/** Every interface an address lives on exists and is up, and the address fits one of its subnets. */
export async function checkInterfaces(config: Config, runner: CommandRunner): Promise<CheckResult[]> {
  const result = await runner.run('ip', ['-j', 'addr', 'show'], { timeoutMs: 5_000 })
  if (result.exitCode !== 0)
    return [fail('interfaces', `ip addr show failed: ${result.stderr.trim()}`, 'install iproute2')]
  const links = JSON.parse(result.stdout) as IpLink[]
  const addresses = [...config.owns, ...config.peers.flatMap((p) => p.takeover)]
  const results: CheckResult[] = []
  for (const name of [...new Set(addresses.map((a) => a.interface))]) {
    const link = links.find((l) => l.ifname === name)
    if (!link) {
      results.push(
        fail(`interface ${name}`, 'does not exist', 'check the interface names in the config with `ip link`'),
      )
      continue
    }
    const up = link.flags?.includes('UP') ?? false
    results.push(
      up
        ? pass(`interface ${name}`, `up (${link.operstate ?? 'state unknown'})`)
        : fail(`interface ${name}`, 'is down', `bring it up: ip link set ${name} up`),
    )
    for (const a of addresses.filter((x) => x.interface === name)) {
      const elsewise = (link.addr_info ?? []).find(
        (i) =>
          (i.family === 'inet6') === (a.family === 6) &&
          normalizeIp(i.local) === normalizeIp(a.ip) &&
          i.prefixlen !== a.prefix,
      )
      if (elsewise) {
        results.push(
          fail(
            `${a.ip} on ${name}`,
            `is on the interface as ${a.ip}/${elsewise.prefixlen}, not /${a.prefix} as configured: the agent refuses to start`,
            `remove it (ip addr del ${a.ip}/${elsewise.prefixlen} dev ${name}), or write ${a.ip}/${elsewise.prefixlen} in the config`,
          ),
        )
        continue
      }
      const own = (link.addr_info ?? []).filter(
        (i) => (i.family === 'inet6') === (a.family === 6) && i.local !== a.ip,
      )
      const fits = own.some((i) => sameSubnet(i.local, a.ip, i.prefixlen))
      results.push(
        fits
          ? pass(`${a.ip} on ${name}`, 'on a subnet of the interface')
          : warn(
              `${a.ip} on ${name}`,
              'is on no subnet of the interface',
              "clients on the interface's network may not reach it; check the address or the interface",
            ),
      )
    }
  }
  return results
}

/** The heartbeat port is free, or held by the running agent itself. */
export async function checkPorts(config: Config, agentRunning: boolean): Promise<CheckResult[]> {
  const sockets = new Map<string, { listen: string; port: number }>()
  for (const link of config.links) {
    const v6 = link.targets.some((t) => t.startsWith('[') || isIPv6(t))
    const listen = link.listen ?? (v6 ? '::' : '0.0.0.0')
    const port = link.port ?? config.port
    sockets.set(`${listen}|${port}`, { listen, port })
  }
  const results: CheckResult[] = []
  for (const { listen, port } of sockets.values()) {
    const check = `UDP ${listen}:${port}`
    if (agentRunning) {
      results.push(pass(check, 'in use by the running agent'))
      continue
    }
    const error = await tryBind(listen, port)
    results.push(
      error
        ? fail(
            check,
            `cannot be bound: ${error}`,
            `find the process with "ss -uanp 'sport = :${port}'", or change "port"`,
          )
        : pass(check, 'free'),
    )
  }
  return results
}

function tryBind(address: string, port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = createSocket(isIPv6(address) ? 'udp6' : 'udp4')
    socket.once('error', (error: NodeJS.ErrnoException) => {
      socket.close()
      resolve(error.code ?? error.message)
    })
    socket.bind(port, address, () => socket.close(() => resolve(undefined)))
  })
}

function sameSubnet(a: string, b: string, prefix: number): boolean {
  const bits = (ip: string) =>
    isIPv6(ip)
      ? expand6(ip)
          .map((h) => Number.parseInt(h, 16).toString(2).padStart(16, '0'))
          .join('')
      : ip
          .split('.')
          .map((o) => Number(o).toString(2).padStart(8, '0'))
          .join('')
  return bits(a).slice(0, prefix) === bits(b).slice(0, prefix)
}

function expand6(ip: string): string[] {
  const [head = '', tail = ''] = ip.split('::')
  const h = head ? head.split(':') : []
  const t = tail ? tail.split(':') : []
  return [...h, ...Array(8 - h.length - t.length).fill('0'), ...t]
}
