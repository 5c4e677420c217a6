import { randomBytes } from 'node:crypto'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Setting } from '../settings.js'
import type { NodeName, Stage } from '../stage.js'
import { type Daemons, daemonSet } from './daemon-set.js'

/**
 * ucarp adds no address itself: these scripts do, called as `<script> <interface> <vip>`. ucarp
 * waits for its scripts, so the announcement runs in the background (arping lingers a second after
 * its packet). One packet only: a backup that is master for a moment at start-up must not go on
 * announcing the VIP after its down script ran. ucarp sends gratuitous ARPs of its own as well.
 */
export function ucarpScripts(prefixLength: number): { up: string; down: string } {
  return {
    up: [
      '#!/bin/sh',
      `ip addr add "$2/${prefixLength}" dev "$1"`,
      'arping -q -U -c 1 -I "$1" "$2" </dev/null >/dev/null 2>&1 &',
      '',
    ].join('\n'),
    down: ['#!/bin/sh', `ip addr del "$2/${prefixLength}" dev "$1" 2>/dev/null`, 'exit 0', ''].join('\n'),
  }
}

export async function ucarpDaemons(
  stage: Stage,
  setting: Extract<Setting, { system: 'ucarp' }>,
  dir: string,
): Promise<Daemons> {
  const scripts = ucarpScripts(stage.prefixLength)
  const up = join(dir, 'vip-up.sh')
  const down = join(dir, 'vip-down.sh')
  await writeFile(up, scripts.up, { mode: 0o755 })
  await writeFile(down, scripts.down, { mode: 0o755 })
  const pass = randomBytes(8).toString('hex')
  const command = (node: NodeName) => [
    'ucarp',
    '--interface=pub0',
    `--srcip=${stage.publicIp(node)}`,
    '--vhid=51',
    `--pass=${pass}`,
    `--addr=${stage.vip}`,
    `--upscript=${up}`,
    `--downscript=${down}`,
    `--advbase=${setting.advbase}`,
    `--advskew=${node === 'a' ? 0 : setting.backupSkew}`,
    ...(node === 'a' ? ['--preempt'] : []),
  ]
  return daemonSet(stage, 'ucarp', command, /Switching to state: MASTER/)
}
