import type { CoordinatorReport } from '../../model/coordination.js'
import type { Clock, TimerHandle } from '../../model/ports.js'

/**
 * Keeps one lease alive with its own loop, so that this node knows, on its own monotonic clock, until
 * when the server cannot have expired it. Not etcd3's autoKeepAlive: that one counts from when an
 * answer arrives (a late answer would stretch the lease past the server's), keeps no deadline on a
 * stuck renewal and says nothing while it retries.
 *
 * Every TTL/3 it renews, reading the clock before sending; after a failure, while the lease is still
 * valid, 250 ms later. The server restarts the TTL when it gets
 * the renewal, which is after it was sent, so an answered renewal proves the lease alive until
 * `sentAt + TTL`; the margin before that leaves the holder time to let go. A renewal's timeout ends
 * before the validity it could extend: a stuck call fails, and is reported, while the lease is valid.
 */

/** The lease calls the keeper needs, answered by whichever member; gone leases answer ttlSeconds 0. */
export interface LeaseApi {
  grant(ttlSeconds: number, timeoutMs: number): Promise<{ id: string; ttlSeconds: number; endpoint: string }>
  keepAlive(id: string, timeoutMs: number): Promise<{ ttlSeconds: number; endpoint: string }>
  revoke(id: string, timeoutMs: number): Promise<void>
}

export interface LeaseKeeperOptions {
  readonly api: LeaseApi
  readonly clock: Clock
  /** Whole seconds, in ms. */
  readonly ttlMs: number
  readonly marginMs: number
  readonly onReport: (report: CoordinatorReport) => void
  /** Given what `onReport` threw: the loop goes on (an exception must not stop the renewals). */
  readonly onReportFailed: (error: unknown, report: CoordinatorReport) => void
}

export interface Lease {
  readonly id: string
  /** Known valid until then (monotonic ms). */
  readonly validUntil: number
}

export interface LeaseKeeper {
  /** Takes the first lease (rejects if none is granted) and starts the loop. */
  start(): Promise<void>
  /** The lease now, if there is one (known valid or not). */
  current(): Lease | undefined
  /** Told by a call that found the lease gone (a claim bound to it): reports it and asks for a new one. */
  gone(id: string, reason: string): void
  /** Stops the loop; with `revoke`, revokes the lease first (failures are reported, not thrown). */
  stop(opts: { revoke: boolean; timeoutMs: number }): Promise<void>
}

/** How soon a failed renewal is tried again while the lease is still valid. */
const RETRY_AFTER_FAILURE_MS = 250

export function leaseKeeper(opts: LeaseKeeperOptions): LeaseKeeper {
  const { api, clock, ttlMs, marginMs, onReportFailed } = opts
  const renewEveryMs = Math.floor(ttlMs / 3)
  let lease: { id: string; validUntil: number } | undefined
  let timer: TimerHandle | undefined
  let stopped = false
  let busy = false
  let again = false

  const onReport = (r: CoordinatorReport) => {
    try {
      opts.onReport(r)
    } catch (error) {
      onReportFailed(error, r)
    }
  }
  const report = (r: CoordinatorReport) => {
    if (!stopped) onReport(r)
  }

  /**
   * The call, or a failure once its time is up: the API gives up at its own deadline, but should
   * a call never settle the loop would stop with nothing reported (busy for ever).
   */
  const bounded = <T>(what: string, call: Promise<T>, timeoutMs: number): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const timer = clock.setTimeout(
        () => reject(new Error(`could not ${what}: no answer nor failure within ${timeoutMs} ms`)),
        timeoutMs,
      )
      call.then(
        (value) => {
          clock.clearTimeout(timer)
          resolve(value)
        },
        (error: unknown) => {
          clock.clearTimeout(timer)
          reject(error)
        },
      )
    })

  const schedule = (atMs: number) => {
    if (stopped) return
    if (timer !== undefined) clock.clearTimeout(timer)
    timer = clock.setTimeout(tick, Math.max(0, atMs - clock.now()))
  }

  const validFrom = (sentAt: number, serverTtlSeconds: number) =>
    // A server TTL above ours (its least lease is longer) proves no more than ours.
    sentAt + Math.min(ttlMs, serverTtlSeconds * 1000) - marginMs

  /** Asks for a lease; resolves to when the request was sent (the lease's TTL runs from about then). */
  const grant = async (timeoutMs: number): Promise<number> => {
    const sentAt = clock.now()
    const granted = await bounded('grant a lease', api.grant(ttlMs / 1000, timeoutMs), timeoutMs)
    // Granted as the keeper stopped: left to expire, bound to nothing.
    if (stopped) return sentAt
    lease = { id: granted.id, validUntil: validFrom(sentAt, granted.ttlSeconds) }
    report({
      kind: 'lease-granted',
      leaseId: granted.id,
      validUntil: lease.validUntil,
      ttlMs: granted.ttlSeconds * 1000,
      endpoint: granted.endpoint,
    })
    return sentAt
  }

  const renew = async (current: { id: string; validUntil: number }, sentAt: number) => {
    const left = current.validUntil - sentAt
    // A fifth of what is left stays free: a renewal that fails says so before the validity ends.
    const timeoutMs = left > 0 ? Math.min(renewEveryMs, Math.floor((left * 4) / 5)) : renewEveryMs
    const answer = await bounded(`renew lease ${current.id}`, api.keepAlive(current.id, timeoutMs), timeoutMs)
    if (lease !== current) return
    if (answer.ttlSeconds <= 0) {
      lost(current.id, 'the server says the lease expired or was revoked')
      return
    }
    current.validUntil = Math.max(current.validUntil, validFrom(sentAt, answer.ttlSeconds))
    report({
      kind: 'lease-renewed',
      leaseId: current.id,
      validUntil: current.validUntil,
      ttlLeft: answer.ttlSeconds * 1000,
      endpoint: answer.endpoint,
    })
  }

  const lost = (id: string, reason: string) => {
    if (lease?.id !== id) return
    lease = undefined
    report({ kind: 'lease-lost', leaseId: id, reason })
    // The server just answered: ask for a new lease now rather than a third of a TTL later.
    schedule(clock.now())
  }

  async function tick() {
    timer = undefined
    if (stopped) return
    if (busy) {
      // A new lease was asked for while a renewal was under way: once it is done.
      again = true
      return
    }
    busy = true
    const sentAt = clock.now()
    const current = lease
    let next = sentAt + renewEveryMs
    try {
      if (current) await renew(current, sentAt)
      else await grant(renewEveryMs)
    } catch (error) {
      const { message, endpoint } = error as { message?: string; endpoint?: string }
      report({ kind: 'unreachable', ...(endpoint && { endpoint }), message: message ?? String(error) })
      // A renewal that failed fast (every member said "leader changed" or refused, as in an
      // election) is tried again soon, not a third of the TTL later: the lease's validity would
      // otherwise leave one more try, and an election outlasting it costs the node its addresses.
      if (current && lease === current && clock.now() < current.validUntil)
        next = Math.min(next, clock.now() + RETRY_AFTER_FAILURE_MS)
    } finally {
      busy = false
    }
    if (again) schedule(clock.now())
    else if (timer === undefined) schedule(next)
    again = false
  }

  return {
    async start() {
      // Connecting (TLS, authentication) may take longer than a renewal; a whole TTL is plenty.
      // The first renewal counts from when the grant was sent, not answered: a slow first answer
      // (TLS, authentication) must not push the renewal past the lease's life on the server.
      const sentAt = await grant(ttlMs)
      schedule(sentAt + renewEveryMs)
    },
    current: () => lease,
    gone: lost,
    async stop({ revoke, timeoutMs }) {
      if (stopped) return
      stopped = true
      if (timer !== undefined) clock.clearTimeout(timer)
      timer = undefined
      const last = lease
      lease = undefined
      if (!revoke || !last) return
      try {
        await api.revoke(last.id, timeoutMs)
      } catch (error) {
        // Said even though stopping: the keys stay until the lease expires, and someone should know.
        onReport({
          kind: 'unreachable',
          message: `could not revoke lease ${last.id}; its keys go when it expires: ${(error as Error).message}`,
        })
      }
    },
  }
}
