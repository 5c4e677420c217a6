/**
 * What an etcd client error means for an administrator: what went wrong at which member, and what
 * to fix. gRPC folds most failures into one code (14 UNAVAILABLE) with the cause in its text, so the
 * text is read; the server's own refusals ("etcdserver: ...") are stable strings.
 */

export type EtcdFailureKind =
  /** The server says the lease does not exist (expired, revoked). An answer: every member says so. */
  | 'lease-gone'
  /** Wrong user or password. An answer. */
  | 'auth'
  /** The login's token expired (etcd's --auth-token-ttl) or etcd restarted: log in again. */
  | 'auth-token'
  /** etcd has auth on and this node sent no user. An answer. */
  | 'auth-required'
  /** The user may not touch the prefix. An answer. */
  | 'permission'
  | 'tls'
  /** An https endpoint on a member that speaks plain http. */
  | 'not-tls'
  | 'refused'
  | 'dns'
  | 'timeout'
  /** The member answered but has no leader (no majority up, or it is cut off from it). */
  | 'no-leader'
  | 'other'

export interface EtcdFailure {
  readonly kind: EtcdFailureKind
  /** Short, for a report line: "connection refused". */
  readonly what: string
  /** What to check or change. */
  readonly fix: string
}

const PATTERNS: readonly [EtcdFailureKind, RegExp][] = [
  ['lease-gone', /requested lease not found|lease .*(invalid|expired)|EtcdLeaseInvalid/i],
  ['auth', /authentication failed|invalid user ID or password/i],
  ['auth-token', /invalid auth token|EtcdInvalidAuthTokenError/i],
  ['auth-required', /user name is empty|user name not found/i],
  ['permission', /permission denied/i],
  ['not-tls', /socket disconnected before secure TLS connection/i],
  [
    'tls',
    /certificate|self.signed|CERT_|unable to (get|verify)|SSL routines|wrong version number|tlsv1 alert|SSL alert/i,
  ],
  ['refused', /ECONNREFUSED|ECONNRESET|EHOSTUNREACH|ENETUNREACH|No connection established/],
  ['dns', /Name resolution failed|ENOTFOUND|EAI_AGAIN/],
  ['timeout', /DEADLINE_EXCEEDED|Deadline exceeded|timed out/i],
  ['no-leader', /no leader|leader changed|too many requests|not capable/i],
]

/** Reads a failure of a call to one etcd member. */
export function etcdFailure(error: unknown): EtcdFailure {
  const text = error instanceof Error ? `${error.constructor.name}: ${error.message}` : String(error)
  const kind = PATTERNS.find(([, pattern]) => pattern.test(text))?.[0] ?? 'other'
  return { kind, what: whatOf(kind, error), fix: FIXES[kind] }
}

/** An answer from the server: asking another member would get the same one. */
export function isAnswer(failure: EtcdFailure): boolean {
  return ['lease-gone', 'auth', 'auth-required', 'permission'].includes(failure.kind)
}

const FIXES: Record<EtcdFailureKind, string> = {
  'lease-gone': 'nothing to fix: the lease expired or was revoked, and a new one is taken',
  auth: 'check coordination.user and the password in coordination.passwordFile (`etcdctl --user <user> endpoint health` tries them)',
  'auth-token':
    'nothing to fix: the login expired (etcd forgets a token unused for its --auth-token-ttl) and a new one is made',
  'auth-required': 'etcd has authentication on: set coordination.user and coordination.passwordFile',
  permission:
    "give the user's role read and write on the prefix: `etcdctl role grant-permission <role> --prefix=true readwrite <prefix>`",
  tls: "check coordination.tls.ca: it must be the CA that signed this member's certificate, and the certificate must name the endpoint's host or IP; if etcd asks for client certificates, check tls.cert and tls.key",
  'not-tls':
    'this member speaks plain http: write the endpoint as http:// and drop tls, or give etcd a certificate (--cert-file, --key-file)',
  refused:
    'check that etcd runs there and listens on this address and port (its --listen-client-urls), that no firewall is in the way, and the scheme (https:// for a member with TLS)',
  dns: "the host name does not resolve: write the member's IP address, or fix DNS or /etc/hosts",
  timeout:
    'a member that does not answer in time may be down, cut off from this node, overloaded, or without a majority of the cluster (`etcdctl endpoint status --cluster`); if etcd is only slow, raise coordination.leaseTtl: a renewal, claim or release gets a third of it',
  'no-leader':
    'the member has no leader: fewer than a majority of etcd members are up or reach each other (`etcdctl endpoint status --cluster`)',
  other: "see etcd's log on that member",
}

function whatOf(kind: EtcdFailureKind, error: unknown): string {
  switch (kind) {
    case 'lease-gone':
      return 'the lease is gone (expired or revoked)'
    case 'auth':
      return 'user or password refused'
    case 'auth-token':
      return 'login expired'
    case 'auth-required':
      return 'authentication required'
    case 'permission':
      return 'permission denied'
    case 'tls':
      return `TLS handshake failed (${cause(error)})`
    case 'not-tls':
      return 'the member does not speak TLS'
    case 'refused':
      return `cannot connect (${cause(error)})`
    case 'dns':
      return 'host name not found'
    case 'timeout':
      return 'no answer in time'
    case 'no-leader':
      return `no leader (${cause(error)})`
    case 'other':
      return cause(error)
  }
}

/** The useful part of a gRPC message: "... Last error: Error: self-signed certificate. Resolution note: " -> "self-signed certificate". */
function cause(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error)
  const last = /Last error: (?:Error: )?(.*?)(?:\. Resolution note:.*)?$/s.exec(message)?.[1]
  // gRPC says "Last error: null" while it is still trying to connect.
  const text = (last && last !== 'null' ? last : message)
    .replace(/^\d+ [A-Z_]+: /, '')
    .replace(/^etcdserver: /, '')
    .replace(/\. Last error: null.*$/s, '')
  return text.length > 160 ? `${text.slice(0, 157)}...` : text
}

/** One line per endpoint ("<endpoint>: <what>"), then what to check for each kind of failure, once. */
export function describeFailures(failures: readonly { endpoint: string; failure: EtcdFailure }[]): string {
  const lines = failures.map(({ endpoint, failure }) => `  ${endpoint}: ${failure.what}`)
  const fixes = [...new Set(failures.map(({ failure }) => failure.fix))].map((fix) => `  fix: ${fix}`)
  return [...lines, ...fixes].join('\n')
}
