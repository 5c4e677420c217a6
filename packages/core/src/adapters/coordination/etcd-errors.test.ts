import { describe, expect, it } from 'vitest'
import { etcdFailure, isAnswer } from './etcd-errors.js'

/** Errors as etcd3 1.1.2 (gRPC-js 1.14) gave them against etcd 3.4.23 on this machine. */
const RECORDED: [string, string, string][] = [
  [
    'GRPCUnavailableError',
    '14 UNAVAILABLE: No connection established. Last error: Error: connect ECONNREFUSED 127.0.0.1:2379. Resolution note: ',
    'refused: cannot connect (connect ECONNREFUSED 127.0.0.1:2379)',
  ],
  [
    'GRPCUnavailableError',
    '14 UNAVAILABLE: No connection established. Last error: null. Resolution note: ',
    'refused: cannot connect (No connection established)',
  ],
  [
    'GRPCUnavailableError',
    '14 UNAVAILABLE: No connection established. Last error: Error: self-signed certificate. Resolution note: ',
    'tls: TLS handshake failed (self-signed certificate)',
  ],
  [
    'GRPCUnavailableError',
    '14 UNAVAILABLE: No connection established. Last error: Error: Client network socket disconnected before secure TLS connection was established. Resolution note: ',
    'not-tls: the member does not speak TLS',
  ],
  [
    'GRPCUnavailableError',
    '14 UNAVAILABLE: Name resolution failed for target dns:etcd-1.invalid:2379',
    'dns: host name not found',
  ],
  [
    'Error',
    '4 DEADLINE_EXCEEDED: Deadline exceeded after 0.701s,remote_addr=127.0.0.1:41953',
    'timeout: no answer in time',
  ],
  [
    'EtcdAuthenticationFailedError',
    '3 INVALID_ARGUMENT: etcdserver: authentication failed, invalid user ID or password',
    'auth: user or password refused',
  ],
  [
    'EtcdLeaseInvalidError',
    'Lease 5 NOT_FOUND: etcdserver: requested lease not found is expired or revoked',
    'lease-gone: the lease is gone (expired or revoked)',
  ],
  [
    'EtcdPermissionDeniedError',
    '7 PERMISSION_DENIED: etcdserver: permission denied',
    'permission: permission denied',
  ],
  ['EtcdError', '2 UNKNOWN: etcdserver: no leader', 'no-leader: no leader (no leader)'],
]

function recorded(name: string, message: string): Error {
  const error = new Error(message)
  // The kind is read from the class name too, as etcd3 casts its errors.
  Object.defineProperty(error, 'constructor', { value: { name } })
  return error
}

describe('etcdFailure', () => {
  it.each(RECORDED)('reads %s "%s"', (name, message, expected) => {
    const failure = etcdFailure(recorded(name, message))
    expect(`${failure.kind}: ${failure.what}`).toBe(expected)
    expect(failure.fix.length).toBeGreaterThan(20)
  })

  it('takes the server refusals as answers and the rest as failures to get one', () => {
    const kinds = RECORDED.map(([name, message]) => etcdFailure(recorded(name, message)))
    expect(kinds.filter(isAnswer).map((f) => f.kind)).toEqual(['auth', 'lease-gone', 'permission'])
  })
})
