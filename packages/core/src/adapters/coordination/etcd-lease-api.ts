import type { Clock } from '../../model/ports.js'
import { type EndpointOrder, EtcdCallError, firstAnswer } from './endpoint-race.js'
import type { EtcdClients } from './etcd-clients.js'
import { etcdFailure } from './etcd-errors.js'
import type { LeaseApi } from './lease-keeper.js'

/**
 * The lease calls on real etcd members. A renewal is one keep-alive on a fresh stream per call (the
 * stream's deadline is the renewal's timeout); renewals and revokes may reach two members at once,
 * which is harmless. So may a grant: a member cut off from the majority waits for a leader rather
 * than failing, and without a second member asked it would use up the whole time (a start would
 * fail). Two grants are two leases: the one not used is revoked (bound to nothing, it would
 * otherwise only expire after its TTL).
 */
export function etcdLeaseApi(clients: EtcdClients, order: EndpointOrder, clock: Clock): LeaseApi {
  return {
    async grant(ttlSeconds, timeoutMs) {
      const { value, endpoint } = await firstAnswer(
        order,
        clock,
        {
          what: 'grant a lease',
          timeoutMs,
          hedgeAfterMs: hedgeAfter(timeoutMs),
          onLate: (extra, member) => revokeExtra(clients, member, extra.ID, timeoutMs),
        },
        // Typed, so that the answer's type comes from here and not from onLate.
        (member: string, deadline: Date) =>
          clients.member(member).leaseClient.leaseGrant({ TTL: ttlSeconds }, { deadline }),
      )
      return { id: value.ID, ttlSeconds: Number(value.TTL), endpoint }
    },

    async keepAlive(id, timeoutMs) {
      try {
        const { value, endpoint } = await firstAnswer(
          order,
          clock,
          { what: `renew lease ${id}`, timeoutMs, hedgeAfterMs: hedgeAfter(timeoutMs) },
          (member, deadline, signal) => keepAliveOnce(clients, member, id, deadline, signal),
        )
        return { ttlSeconds: value, endpoint }
      } catch (error) {
        // etcd answers a renewal of a gone lease with TTL 0; should a member say "not found" instead, it means the same.
        if (error instanceof EtcdCallError && error.answer?.kind === 'lease-gone')
          return { ttlSeconds: 0, endpoint: error.endpoint ?? '' }
        throw error
      }
    },

    async revoke(id, timeoutMs) {
      try {
        await firstAnswer(
          order,
          clock,
          { what: `revoke lease ${id}`, timeoutMs, hedgeAfterMs: hedgeAfter(timeoutMs) },
          (member, deadline) => clients.member(member).leaseClient.leaseRevoke({ ID: id }, { deadline }),
        )
      } catch (error) {
        // Already gone is what a revoke wants.
        if (!(error instanceof EtcdCallError && error.answer?.kind === 'lease-gone')) throw error
      }
    },
  }
}

/** A lease granted after another was taken: nobody will renew it; revoked on the member that granted it. */
function revokeExtra(clients: EtcdClients, member: string, id: string, timeoutMs: number): void {
  const deadline = new Date(Date.now() + timeoutMs)
  // A failure leaves it to expire after its TTL, bound to nothing: not worth a report.
  clients
    .member(member)
    .leaseClient.leaseRevoke({ ID: id }, { deadline })
    .catch(() => undefined)
}

/** Ask a second member after a third of the time: a cut-off member waits for a leader, it does not fail. */
function hedgeAfter(timeoutMs: number): number {
  return Math.max(50, Math.floor(timeoutMs / 3))
}

/** One keep-alive on its own stream: the server's TTL for the lease (0 when it is gone). */
async function keepAliveOnce(
  clients: EtcdClients,
  member: string,
  id: string,
  deadline: Date,
  signal: AbortSignal,
): Promise<number> {
  const stream = await clients.member(member).leaseClient.leaseKeepAlive({ deadline })
  return new Promise((resolve, reject) => {
    const abort = () => {
      stream.cancel()
      reject(new Error('cancelled: another member answered first'))
    }
    if (signal.aborted) return abort()
    signal.addEventListener('abort', abort, { once: true })
    const settle = () => signal.removeEventListener('abort', abort)
    stream.on('data', (answer) => {
      settle()
      stream.end()
      resolve(Number(answer.TTL))
    })
    // Stays attached after the answer: a stream that errors late must not throw for want of a listener.
    stream.on('error', (error) => {
      settle()
      // The library keeps a token a stream was refused for: the next renewal there needs a new login.
      if (etcdFailure(error).kind === 'auth-token') clients.renew(member)
      reject(error)
    })
    stream.on('end', () => {
      settle()
      reject(new Error('the keep-alive stream ended without an answer'))
    })
    stream.write({ ID: id })
  })
}
