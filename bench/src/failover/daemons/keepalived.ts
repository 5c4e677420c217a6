import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { SERVICE_URL } from '../probe/client-probe.js'
import type { Setting } from '../settings.js'
import type { NodeName, Stage } from '../stage.js'
import { type Daemons, daemonSet } from './daemon-set.js'

/**
 * keepalived's check of the node's service: a vrrp_script run as a process every second (its
 * shortest interval: whole seconds), failing after one failed run and passing after one good one;
 * a failing script takes 60 off the node's priority, so a (150 - 60 = 90) falls below b (100) and b
 * preempts. Scripts run as root: `script_user root` says so, and `enable_script_security` lets them
 * run only while no part of the script's path is writable by another user (without both, keepalived
 * 2.2 runs them anyway and logs "SECURITY VIOLATION").
 */
export const KEEPALIVED_SERVICE_CHECK = {
  script: `/usr/bin/curl -sf --max-time 1 ${SERVICE_URL}`,
  interval: 1,
  fall: 1,
  rise: 1,
  weight: -60,
} as const

/** The node's VRRP priority: a 150 (the master), b the setting's backup priority, c 50 (after b). */
function keepalivedPriority(setting: Extract<Setting, { system: 'keepalived' }>, node: NodeName) {
  return { a: 150, b: setting.backupPriority, c: 50 }[node]
}

/**
 * keepalived.conf for one node: one VRRPv3 instance on pub0, unicast adverts to every other node;
 * with `serviceCheck`, the instance tracks KEEPALIVED_SERVICE_CHECK. Preemption is keepalived's
 * default (on): a returning a takes the VIP back, as ipfo's failback does.
 */
export function keepalivedConfig(
  stage: Pick<Stage, 'nodes' | 'vip' | 'prefixLength' | 'publicIp'>,
  setting: Extract<Setting, { system: 'keepalived' }>,
  node: NodeName,
  serviceCheck = false,
): string {
  const check = KEEPALIVED_SERVICE_CHECK
  return [
    'global_defs {',
    `  router_id bench-${node}`,
    '  vrrp_version 3',
    ...(setting.realtimePriority ? [`  vrrp_rt_priority ${setting.realtimePriority}`] : []),
    ...(serviceCheck ? ['  script_user root', '  enable_script_security'] : []),
    '}',
    ...(serviceCheck
      ? [
          'vrrp_script service {',
          `  script "${check.script}"`,
          `  interval ${check.interval}`,
          `  fall ${check.fall}`,
          `  rise ${check.rise}`,
          `  weight ${check.weight}`,
          '}',
        ]
      : []),
    'vrrp_instance bench {',
    `  state ${node === 'a' ? 'MASTER' : 'BACKUP'}`,
    '  interface pub0',
    '  virtual_router_id 51',
    `  priority ${keepalivedPriority(setting, node)}`,
    `  advert_int ${setting.advertInt}`,
    `  unicast_src_ip ${stage.publicIp(node)}`,
    '  unicast_peer {',
    ...stage.nodes.filter((n) => n !== node).map((peer) => `    ${stage.publicIp(peer)}`),
    '  }',
    '  virtual_ipaddress {',
    `    ${stage.vip}/${stage.prefixLength} dev pub0`,
    '  }',
    ...(serviceCheck ? ['  track_script {', '    service', '  }'] : []),
    '}',
    '',
  ].join('\n')
}

/**
 * keepalived 2.x in the foreground (-n), VRRP only (-P), logging to the console (-l -D, no syslog
 * -G), with its own config and pid files per node so two instances can run on one machine.
 */
export async function keepalivedDaemons(
  stage: Stage,
  setting: Extract<Setting, { system: 'keepalived' }>,
  dir: string,
  serviceCheck: boolean,
): Promise<Daemons> {
  for (const node of stage.nodes) {
    await writeFile(
      join(dir, `keepalived-${node}.conf`),
      keepalivedConfig(stage, setting, node, serviceCheck),
    )
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
  return daemonSet(stage, 'keepalived', command, /Entering MASTER STATE/, pidFiles)
}
