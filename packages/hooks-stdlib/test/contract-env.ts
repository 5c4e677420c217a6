/**
 * The variables the agent gives a hook (see packages/core/src/model/hook-contract.ts), for one acquire of
 * 192.168.1.100/24 on eth0 by node b after peer a fell silent.
 */
export function contractEnv(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    IPFO_PHASE: 'PostAcq',
    IPFO_ACTION: 'acquire',
    IPFO_ADDRESS: '192.168.1.100',
    IPFO_PREFIX: '24',
    IPFO_CIDR: '192.168.1.100/24',
    IPFO_INTERFACE: 'eth0',
    IPFO_ADDRESSES: '192.168.1.100/24@eth0 fd00::100/64@eth0',
    IPFO_OWNER: 'a',
    IPFO_NODE: 'b',
    IPFO_PEER: 'a',
    IPFO_REASON: 'peer a lost',
    IPFO_EVENT_TIME: '2026-11-25T10:00:00.000Z',
    IPFO_DETECTION_MS: '3000',
    IPFO_RESULTS_FILE: '',
    FAILOVER_PEER_IP_PAIRS: 'eth0:192.168.1.100/24',
    ...overrides,
  }
}

export const ACQUIRE_ARGV = ['acquire', '192.168.1.100/24', 'eth0'] as const
