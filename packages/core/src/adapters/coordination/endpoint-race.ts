import { CoordinationError } from '../../model/errors.js'
import type { Clock, TimerHandle } from '../../model/ports.js'
import { describeFailures, type EtcdFailure, etcdFailure, isAnswer } from './etcd-errors.js'

/**
 * Which etcd member to ask, and how. Every call goes to one member first (the one that answered
 * last); another is asked when it fails or, for calls that may run twice, when it is slow. A member
 * cut off from the majority does not fail fast, it waits for a leader: without the second ask, one
 * such member would cost a whole renewal.
 */

/** The members in the order to ask them: the one that answered last first, one that just failed last. */
export class EndpointOrder {
  private list: string[]
  private answeredLast: string | undefined

  constructor(endpoints: readonly string[]) {
    this.list = [...endpoints]
  }

  get current(): readonly string[] {
    return this.list
  }

  get lastAnswered(): string | undefined {
    return this.answeredLast
  }

  answered(endpoint: string): void {
    this.answeredLast = endpoint
    this.list = [endpoint, ...this.list.filter((e) => e !== endpoint)]
  }

  failed(endpoint: string): void {
    this.list = [...this.list.filter((e) => e !== endpoint), endpoint]
  }
}

/** A call no member answered, or one a member refused; says what happened at each. */
export class EtcdCallError extends CoordinationError {
  readonly failures: readonly { readonly endpoint: string; readonly failure: EtcdFailure }[]
  /** Set when a member answered with a refusal (the lease is gone, auth failed): the others would say the same. */
  readonly answer: EtcdFailure | undefined

  constructor(
    what: string,
    failures: readonly { endpoint: string; failure: EtcdFailure }[],
    answer?: EtcdFailure,
  ) {
    const head = answer ? `etcd refused to ${what}` : `no etcd member answered to ${what}`
    super(`${head}:\n${describeFailures(failures)}`, {
      ...(failures.at(-1) && { endpoint: failures.at(-1)?.endpoint }),
      ...(failures[0] && { hint: failures[0].failure.fix }),
    })
    this.failures = failures
    this.answer = answer
  }
}

export interface RaceOptions {
  /** What the call does, for the error: "renew the lease". */
  readonly what: string
  /** The whole call's time, every member included: each attempt carries this deadline. */
  readonly timeoutMs: number
  /**
   * Also ask the next member when none has answered within this. Only for calls that may safely run
   * twice (renewals, claims of this design); undefined: the next is asked only after a failure.
   */
  readonly hedgeAfterMs?: number
}

export interface RaceOptionsOf<T> extends RaceOptions {
  /**
   * Given every success that comes after the call was settled (a hedged attempt that also
   * succeeded, or one that answered past the deadline): for calls whose extra successes must be
   * undone, such as a grant (one lease too many).
   */
  readonly onLate?: (value: T, endpoint: string) => void
}

export type Attempt<T> = (endpoint: string, deadline: Date, signal: AbortSignal) => Promise<T>

/**
 * The first member's answer to `attempt`. Rejects with an EtcdCallError when every member failed or
 * the time ran out, or at once when a member refused (an answer, not a failure). The attempts still
 * running when one wins are aborted through `signal`.
 */
export function firstAnswer<T>(
  order: EndpointOrder,
  clock: Clock,
  opts: RaceOptionsOf<T>,
  attempt: Attempt<T>,
): Promise<{ value: T; endpoint: string }> {
  const endpoints = [...order.current]
  // gRPC takes wall-clock deadlines and turns them into a timer at once; an NTP step meanwhile is noise.
  const deadline = new Date(Date.now() + opts.timeoutMs)
  const endsAt = clock.now() + opts.timeoutMs
  const controller = new AbortController()
  const failures: { endpoint: string; failure: EtcdFailure }[] = []
  let launched = 0
  let running = 0
  let settled = false
  let hedge: TimerHandle | undefined
  let overall: TimerHandle | undefined
  /** The members asked and not answered yet. */
  const waiting = new Set<string>()

  return new Promise((resolve, reject) => {
    const settle = () => {
      settled = true
      if (hedge !== undefined) clock.clearTimeout(hedge)
      if (overall !== undefined) clock.clearTimeout(overall)
      controller.abort()
    }
    // The call's own deadline, whatever the attempts do: a library call that ignores its deadline
    // (a lazy login, a stream being set up) must not hold a renewal past the lease's validity.
    overall = clock.setTimeout(() => {
      if (settled) return
      settle()
      for (const endpoint of waiting)
        failures.push({ endpoint, failure: etcdFailure(new Error(`timed out after ${opts.timeoutMs} ms`)) })
      reject(new EtcdCallError(opts.what, failures))
    }, opts.timeoutMs)
    const launchNext = () => {
      if (hedge !== undefined) clock.clearTimeout(hedge)
      hedge = undefined
      const endpoint = endpoints[launched]
      if (settled || endpoint === undefined) return
      launched++
      running++
      waiting.add(endpoint)
      if (opts.hedgeAfterMs !== undefined && launched < endpoints.length)
        hedge = clock.setTimeout(launchNext, opts.hedgeAfterMs)
      attempt(endpoint, deadline, controller.signal).then(
        (value) => {
          running--
          waiting.delete(endpoint)
          if (settled) {
            opts.onLate?.(value, endpoint)
            return
          }
          settle()
          order.answered(endpoint)
          resolve({ value, endpoint })
        },
        (error: unknown) => {
          running--
          waiting.delete(endpoint)
          if (settled) return
          const failure = etcdFailure(error)
          failures.push({ endpoint, failure })
          if (isAnswer(failure)) {
            settle()
            order.answered(endpoint)
            reject(new EtcdCallError(opts.what, failures.slice(-1), failure))
            return
          }
          order.failed(endpoint)
          const outOfTime = clock.now() >= endsAt
          if (launched < endpoints.length && !outOfTime) launchNext()
          else if (running === 0) {
            settle()
            reject(new EtcdCallError(opts.what, failures))
          }
        },
      )
    }
    launchNext()
  })
}
