import type { AgentStatus, Config } from '@ipfo/core'
import { type CheckResult, pass, warn } from './check.js'

/** A clock difference that makes logs from the two nodes hard to line up. */
const CLOCK_WARN_MS = 1_000

/** What the running agent knows of its peers: reachable on every link, same interval, clocks agreeing. */
export function checkPeers(config: Config, status: AgentStatus | undefined): CheckResult[] {
  if (!status) {
    return [
      warn(
        'peers',
        "the agent is not running, so links, clocks and the peers' settings cannot be checked",
        'start the agent (ipfo agent) and run ipfo doctor again',
      ),
    ]
  }
  const results: CheckResult[] = []
  for (const peer of status.peers) {
    for (const link of peer.links) {
      results.push(
        link.up
          ? pass(`${peer.id} on ${link.name}`, `heartbeat ${link.lastSeenMsAgo}ms ago`)
          : warn(
              `${peer.id} on ${link.name}`,
              link.lastSeenMsAgo === null ? 'never heard' : `silent for ${link.lastSeenMsAgo}ms`,
              "check the link, the peer's agent and any firewall on UDP port " + config.port,
            ),
      )
    }
    if (peer.intervalMs !== null) {
      results.push(
        peer.intervalMs === config.interval
          ? pass(`${peer.id} settings`, `sends every ${peer.intervalMs}ms, as this node`)
          : warn(
              `${peer.id} settings`,
              `sends every ${peer.intervalMs}ms, this node every ${config.interval}ms`,
              'use the same interval and deadAfter on both nodes, or detection times differ by direction',
            ),
      )
    }
    if (peer.clockOffsetMs !== null) {
      const off = Math.abs(peer.clockOffsetMs)
      results.push(
        off <= CLOCK_WARN_MS
          ? pass(`${peer.id} clock`, `within ${off}ms of this node's`)
          : warn(
              `${peer.id} clock`,
              `${off}ms apart from this node's`,
              'run NTP (chrony or systemd-timesyncd) on both nodes',
            ),
      )
    }
  }
  return results
}
