import { accessSync, constants } from 'node:fs'
import { delimiter, join } from 'node:path'
import type { Config } from '../config/schema.js'

/** Tools the agent would use that are not installed, and what the node loses without them. */
export interface MissingTools {
  readonly tools: readonly ('socat' | 'arping' | 'na6' | 'ndisc6')[]
  /** The Debian packages that have them. */
  readonly packages: readonly string[]
  readonly lost: string
}

/** Whether `command` is an executable file in one of `path`'s folders (read once, at start). */
export function onPath(path: string | undefined): (command: string) => boolean {
  const dirs = (path ?? '').split(delimiter).filter(Boolean)
  return (command) =>
    dirs.some((dir) => {
      try {
        accessSync(join(dir, command), constants.X_OK)
        return true
      } catch {
        return false
      }
    })
}

const NO_ARP =
  'no gratuitous ARP is sent, so clients and switches follow a moved IPv4 address only when their ARP entry for it expires (seconds to minutes)'

/**
 * The announcement tools that this config needs on Linux and that are missing: socat sends
 * gratuitous ARPs as frames from one long-lived process, arping is its fallback (and the
 * arbitration probe), na6 sends IPv6's unsolicited neighbour advertisements. The agent says so once
 * at start, and then does without: an address still moves, clients just learn later.
 */
export function missingTools(config: Config, installed: (command: string) => boolean): MissingTools[] {
  const addresses = [...config.owns, ...config.peers.flatMap((p) => p.takeover)]
  const v4 = addresses.some((a) => a.family === 4)
  const v6 = addresses.some((a) => a.family === 6)
  const probe = config.arbitration.probe
  const refused = probe
    ? '; and the arbitration probe cannot run, so every automatic takeover is refused'
    : ''
  const socat = installed('socat')
  const arping = installed('arping')
  const missing: MissingTools[] = []
  if (v4 && !socat && !arping)
    missing.push({
      tools: ['socat', 'arping'],
      packages: ['socat', 'iputils-arping'],
      lost: NO_ARP + refused,
    })
  else if (v4 && !socat)
    missing.push({
      tools: ['socat'],
      packages: ['socat'],
      lost: 'gratuitous ARPs go out through arping, a process per packet: a few ms later, and each start stalls the agent',
    })
  else if (v4 && !arping)
    missing.push({
      tools: ['arping'],
      packages: ['iputils-arping'],
      lost: `no fallback when socat cannot send a gratuitous ARP${refused}`,
    })
  if (v6 && !installed('na6'))
    missing.push({
      tools: ['na6'],
      packages: ['ipv6toolkit'],
      lost: 'no unsolicited neighbour advertisement is sent, so clients follow a moved IPv6 address only when their neighbour entry for it expires',
    })
  if (v6 && probe && !installed('ndisc6'))
    missing.push({
      tools: ['ndisc6'],
      packages: ['ndisc6'],
      lost: 'the arbitration probe cannot run, so every automatic takeover is refused',
    })
  return missing
}
