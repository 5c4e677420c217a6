import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { AGENT_NODE_FLAGS, IPFO_BIN } from '@ipfo/cli/demo'
import type { Setting } from '../settings.js'
import type { NodeName, Stage } from '../stage.js'
import { type DaemonPair, daemonPair } from './pair.js'

// The agent runs as `node <AGENT_NODE_FLAGS> <IPFO_BIN>`, with the Node flags `ipfo service install`
// writes into the systemd unit and the launchd plist: the benchmark measures the agent as installed.

/** More flags for a look inside a run, e.g. IPFO_BENCH_NODE_FLAGS="--cpu-prof --cpu-prof-dir=/tmp/p". */
function extraFlags(): string[] {
  return (process.env.IPFO_BENCH_NODE_FLAGS ?? '').split(/\s+/).filter(Boolean)
}

/**
 * Two real `ipfo agent` processes: heartbeats on the private and the public link, a owns the VIP,
 * b takes it over. Everything else is at ipfo's defaults (3 gratuitous ARPs 100 ms apart, failback
 * "auto").
 */
export async function ipfoPair(
  stage: Stage,
  setting: Extract<Setting, { system: 'ipfo' }>,
  dir: string,
): Promise<DaemonPair> {
  const { generateKey, writeKeyFile } = await import('@ipfo/core/agent')
  const key = join(dir, 'heartbeat.key')
  await writeKeyFile(key, generateKey(), { force: true })
  const vip = { interface: 'pub0', address: `${stage.vip}/${stage.prefixLength}` }
  const config = (node: NodeName) => join(dir, `ipfo-${node}.json`)
  for (const node of ['a', 'b'] as const) {
    const peer = node === 'a' ? 'b' : 'a'
    await writeFile(
      config(node),
      JSON.stringify({
        node,
        key,
        paths: { socket: join(dir, `${node}.sock`), stateDir: join(dir, `${node}-state`) },
        interval: setting.interval,
        deadAfter: setting.deadAfter,
        links: [
          { name: 'private', targets: [stage.privateIp(peer)] },
          { name: 'public', targets: [stage.publicIp(peer)] },
        ],
        owns: node === 'a' ? [vip] : [],
        peers: node === 'a' ? [{ id: 'b' }] : [{ id: 'a', takeover: [vip] }],
      }),
    )
  }
  return daemonPair(
    stage,
    'ipfo',
    (node) => [
      process.execPath,
      ...AGENT_NODE_FLAGS,
      ...extraFlags(),
      IPFO_BIN,
      'agent',
      '--config',
      config(node),
    ],
    /"kind":"acquiring"/,
    () => [],
    /\/guard\/main\.js/,
  )
}
