import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Setting } from '../settings.js'
import type { NodeName, Stage } from '../stage.js'
import { type DaemonPair, daemonPair } from './pair.js'

/** keepalived.conf for one node: one VRRPv3 instance on pub0, unicast adverts to the peer. */
export function keepalivedConfig(
  stage: Stage,
  setting: Extract<Setting, { system: 'keepalived' }>,
  node: NodeName,
): string {
  const peer = node === 'a' ? 'b' : 'a'
  return [
    'global_defs {',
    `  router_id bench-${node}`,
    '  vrrp_version 3',
    '}',
    'vrrp_instance bench {',
    `  state ${node === 'a' ? 'MASTER' : 'BACKUP'}`,
    '  interface pub0',
    '  virtual_router_id 51',
    `  priority ${node === 'a' ? 150 : setting.backupPriority}`,
    `  advert_int ${setting.advertInt}`,
    `  unicast_src_ip ${stage.publicIp(node)}`,
    '  unicast_peer {',
    `    ${stage.publicIp(peer)}`,
    '  }',
    '  virtual_ipaddress {',
    `    ${stage.vip}/${stage.prefixLength} dev pub0`,
    '  }',
    '}',
    '',
  ].join('\n')
}

/**
 * keepalived 2.x in the foreground (-n), VRRP only (-P), logging to the console (-l -D, no syslog
 * -G), with its own config and pid files per node so two instances can run on one machine.
 */
export async function keepalivedPair(
  stage: Stage,
  setting: Extract<Setting, { system: 'keepalived' }>,
  dir: string,
): Promise<DaemonPair> {
  for (const node of ['a', 'b'] as const) {
    await writeFile(join(dir, `keepalived-${node}.conf`), keepalivedConfig(stage, setting, node))
  }
  const command = (node: NodeName) => [
    'keepalived',
    '-n',
    '-l',
    '-D',
    '-G',
    '-P',
    '-f',
    join(dir, `keepalived-${node}.conf`),
    '-p',
    join(dir, `keepalived-${node}.pid`),
    '-r',
    join(dir, `keepalived-${node}-vrrp.pid`),
  ]
  // keepalived refuses to start while its pid files name a live (or not yet reaped) process.
  const pidFiles = (node: NodeName) => [
    join(dir, `keepalived-${node}.pid`),
    join(dir, `keepalived-${node}-vrrp.pid`),
  ]
  return daemonPair(stage, 'keepalived', command, /Entering MASTER STATE/, pidFiles)
}
