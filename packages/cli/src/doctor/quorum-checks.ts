import type { AgentStatus, Config, Coordinator } from '@ipfo/core'
import { type CheckResult, fail, pass, warn } from './check.js'

/** Below this lease TTL the capped kernel lifetimes (2 s at least) cannot end before the lease does. */
const KERNEL_FENCE_LEAST_TTL_MS = 4_000

/** Makes the coordinator `ipfo doctor` asks for a lease; a seam for tests. */
export type CoordinatorFactory = (coordination: NonNullable<Config['coordination']>) => Promise<Coordinator>

const defaultFactory: CoordinatorFactory = async (coordination) => {
  const { etcdCoordinator } = await import('@ipfo/core')
  return etcdCoordinator({ config: coordination })
}

/**
 * Quorum (config `coordination`): whether this node can keep a lease in the store as the agent would
 * (every endpoint, TLS and auth are exercised by taking a lease of its own and revoking it: the
 * agent's keys are not touched), and, with a running agent, whether its lease is valid now.
 */
export async function checkQuorum(
  config: Config,
  status: AgentStatus | undefined,
  factory: CoordinatorFactory = defaultFactory,
): Promise<CheckResult[]> {
  const coordination = config.coordination
  if (!coordination) return []
  const checks: CheckResult[] = []
  const where = coordination.endpoints.join(', ')
  let coordinator: Coordinator | undefined
  try {
    coordinator = await factory(coordination)
    let granted: { endpoint: string; ttlMs: number } | undefined
    await coordinator.start((report) => {
      if (report.kind === 'lease-granted') granted = { endpoint: report.endpoint, ttlMs: report.ttlMs }
    })
    const ttl = granted ? ` (TTL ${granted.ttlMs / 1000}s)` : ''
    checks.push(
      pass(
        'quorum store',
        `${granted?.endpoint ?? where} granted a lease${ttl}${coordination.tls ? '; TLS accepted' : ''}${coordination.user ? `; user ${coordination.user} accepted` : ''}`,
      ),
    )
  } catch (error) {
    const e = error as Error & { hint?: string }
    checks.push(
      fail(
        'quorum store',
        `no lease from ${where}: ${e.message}`,
        e.hint ??
          'check that etcd runs and that this node reaches a majority of its members (etcdctl endpoint health)',
      ),
    )
  } finally {
    await coordinator?.stop({ revoke: true }).catch(() => undefined)
  }
  if (coordination.leaseTtl < KERNEL_FENCE_LEAST_TTL_MS && coordination.onQuorumLoss === 'release')
    checks.push(
      warn(
        'quorum lease',
        `leaseTtl ${coordination.leaseTtl / 1000}s is too short for the kernel to fence a frozen agent (its address lifetimes are never cut below 2 s): only a running agent removes its addresses when its lease lapses`,
        'use leaseTtl: 4s or more (the default is 5s)',
      ),
    )
  if (status?.quorum) {
    const q = status.quorum
    checks.push(
      q.valid
        ? pass(
            'agent quorum',
            `the agent's lease ${q.leaseId} is valid for ${(q.validForMs / 1000).toFixed(1)}s more; it holds the keys of ${q.held.map((h) => h.group).join(', ') || 'nothing'}`,
          )
        : q.onLoss === 'keep'
          ? fail(
              'agent quorum',
              "the agent's lease is not valid and onQuorumLoss is keep: it keeps what it holds while another node may take it over",
              'restore the etcd majority, or set onQuorumLoss: release',
            )
          : warn(
              'agent quorum',
              "the agent's lease is not valid: it holds and claims nothing until it is",
              'see ipfo events for quorum-unreachable, and check etcd',
            ),
    )
  }
  return checks
}
