import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type AgentLogLine, AgentProcess, loopbackStage, writeNodeFiles } from '@ipfo/cli/demo'
import { type EtcdCluster, freePort, startEtcdCluster } from '@ipfo/testkit'

/**
 * The dashboard preview's pair: two real `ipfo agent` processes (nodes a and b) on loopback, as
 * `ipfo demo --loopback` runs them (two links on 127.0.0.1, simulated addresses, no root needed),
 * each serving its Prometheus endpoint on a free port. a owns the VIP and b takes it over. Both run
 * an http health check (`web`, which the VIP requires) against a small server of this module's, and
 * the same hook folder: a PostAcq script that sleeps 200 ms and a PreRel script that sleeps 100 ms.
 * They keep their quorum on a real etcd (one member on loopback, testkit's), with a 2 s lease: a
 * node takes a dead peer's address once the peer's lease has expired.
 */
export type Node = 'a' | 'b'

export interface RealPair {
  /** `host:port` of each agent's metrics endpoint. */
  readonly targets: Readonly<Record<Node, string>>
  /** The VIP, without its prefix length, as the metrics' `address` label says it. */
  readonly vip: string
  /** Starts the node's agent (again, after a kill: with no address held, as after a reboot). */
  start(node: Node): Promise<void>
  /** SIGKILL: the agent releases nothing, as in a crash. */
  kill(node: Node): Promise<void>
  /** Who holds the VIP now (the simulated adapters' files). */
  holders(): Promise<string[]>
  /** Makes the web server answer the node's check with 503 (true) or 200 (false). */
  failCheck(node: Node, failing: boolean): void
  /** The agents' last log lines and stderr, to explain a timeout. */
  log(): string
  /** Kills both agents, stops the web server, removes the folder. Safe to call twice. */
  close(): Promise<void>
}

const HOOKS = {
  PostAcq_10_pause: '#!/bin/sh\nsleep 0.2\n',
  PreRel_10_pause: '#!/bin/sh\nsleep 0.1\n',
}

export async function startRealPair(): Promise<RealPair> {
  const dir = await mkdtemp(join(tmpdir(), 'ipfo-dashboard-preview-'))
  const failing = new Set<string>()
  const web = createServer((req, res) => {
    const node = (req.url ?? '/').slice(1)
    res.writeHead(failing.has(node) ? 503 : 200, { 'content-type': 'text/plain' })
    res.end(failing.has(node) ? 'down\n' : 'ok\n')
  })
  const agents = new Set<AgentProcess>()
  let etcd: EtcdCluster | undefined
  const close = async () => {
    await Promise.all([...agents].map((agent) => agent.kill()))
    agents.clear()
    await etcd?.close()
    if (web.listening) {
      web.closeAllConnections()
      await new Promise((resolve) => web.close(resolve))
    }
    await rm(dir, { recursive: true, force: true })
  }
  try {
    const webPort = await listen(web)
    // Raft at 100/1000 ms, as the quorum tests run it on the shared two-core machine.
    etcd = await startEtcdCluster({ size: 1, heartbeatMs: 100, electionMs: 1_000 })
    const coordination = { kind: 'etcd', endpoints: [...etcd.endpoints], leaseTtl: '2s' }
    const stage = loopbackStage(dir, 30_000 + Math.floor(Math.random() * 20_000))
    const vip = stage.vip.split('/')[0]!
    const hooks = join(dir, 'hooks')
    await mkdir(join(hooks, vip), { recursive: true, mode: 0o755 })
    for (const [name, body] of Object.entries(HOOKS))
      await writeFile(join(hooks, vip, name), body, { mode: 0o755 })
    const metrics = { a: await freePort(), b: await freePort() }
    const address = { interface: 'demo0', address: stage.vip, requires: ['web'] }
    const extra = (node: Node) => ({
      metrics: { listen: `127.0.0.1:${metrics[node]}` },
      hooks: { dir: hooks },
      coordination,
      checks: {
        web: {
          kind: 'http',
          url: `http://127.0.0.1:${webPort}/${node}`,
          interval: '250ms',
          timeout: '200ms',
          fall: 2,
          rise: 2,
        },
      },
    })
    const files = await writeNodeFiles(stage, dir, {
      a: { ...extra('a'), owns: [address] },
      b: { ...extra('b'), peers: [{ id: 'a', takeover: [address] }] },
    })
    const said: string[] = []
    const note = (node: string, text: string) => {
      said.push(`${node}: ${text}`)
      if (said.length > 40) said.shift()
    }
    const running: Partial<Record<Node, AgentProcess>> = {}
    return {
      targets: { a: `127.0.0.1:${metrics.a}`, b: `127.0.0.1:${metrics.b}` },
      vip,
      async start(node) {
        if (running[node]?.running) throw new Error(`${node}'s agent is already running`)
        await stage.revive(node)
        const agent = new AgentProcess(
          node,
          stage.agentCommand(node, ['--config', files.config[node]]),
          (n, line: AgentLogLine) => note(n, `${line.kind} ${line.msg}`),
          (n, text) => note(n, `stderr ${text}`),
        )
        agents.add(agent)
        running[node] = agent
        agent.start()
      },
      async kill(node) {
        await running[node]?.kill()
      },
      holders: () => stage.holders(),
      failCheck(node, on) {
        if (on) failing.add(node)
        else failing.delete(node)
      },
      log: () => said.join('\n'),
      close,
    }
  } catch (error) {
    await close()
    throw error
  }
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      resolve(typeof address === 'object' && address ? address.port : 0)
    })
  })
}
