import { netnsAvailable } from '../netns/availability.js'

/**
 * For namespace tests: undefined when they can run, else why they are skipped. On CI (`ci` true) a
 * missing capability is a failure, not a skip, so a broken runner cannot pass by testing nothing.
 */
export function netnsSkipReason(ci: boolean): string | undefined {
  const status = netnsAvailable()
  if (status.ok) return undefined
  if (ci) throw new Error(`namespace tests cannot run on CI: ${status.reason}`)
  return status.reason
}
