import { z } from 'zod'
import { formatDuration } from '../model/duration.js'
import { duration } from './duration-field.js'

/**
 * Quorum on etcd (issue 21): a node holds an address only while it holds the address's key in etcd,
 * bound to a lease it keeps renewing. Off when the section is absent (pair mode, as before).
 * `kind` leaves room for other stores (Consul, a Kubernetes Lease) later.
 */

/** etcd refuses shorter leases at its default timings (its floor is 1.5 election timeouts, rounded up to whole seconds). */
export const MIN_LEASE_TTL_MS = 2_000
/** The margin's floor when left out: time to remove addresses even on a slow machine. */
const LEAST_DEFAULT_MARGIN_MS = 500
/** Below this a margin cannot cover removing an address and a renewal's answer arriving late. */
const LEAST_MARGIN_MS = 100

const tlsSchema = z
  .strictObject({
    ca: z
      .string()
      .min(1)
      .optional()
      .describe(
        "A PEM file of the certificate authority that signed etcd's server certificates (default: Node's bundled public CAs).",
      ),
    cert: z
      .string()
      .min(1)
      .optional()
      .describe("This node's client certificate (PEM), for an etcd that asks for one (--client-cert-auth)."),
    key: z.string().min(1).optional().describe("The client certificate's private key (PEM); with cert."),
  })
  .superRefine((tls, ctx) => {
    if ((tls.cert === undefined) !== (tls.key === undefined)) {
      const missing = tls.cert === undefined ? 'cert' : 'key'
      ctx.addIssue({
        code: 'custom',
        path: [missing],
        message: `cert and key go together: add ${missing} (the ${missing === 'cert' ? 'certificate of the key' : 'private key of the certificate'}), or drop ${missing === 'cert' ? 'key' : 'cert'}`,
      })
    }
  })

const etcdCoordination = z.strictObject({
  kind: z
    .literal('etcd')
    .describe(
      'etcd: the holder of each address group is a key in an etcd cluster (v3 API, etcd 3.4 or later).',
    ),
  endpoints: z
    .array(z.string())
    .min(1)
    .describe(
      'The client URLs of the etcd members, e.g. ["https://10.0.0.1:2379", "https://10.0.0.2:2379", "https://10.0.0.3:2379"]. List every member: a renewal goes to the next one when one does not answer.',
    ),
  tls: tlsSchema
    .optional()
    .describe(
      'TLS towards etcd, for https endpoints: the CA to trust and, if etcd asks for one, a client certificate.',
    ),
  user: z
    .string()
    .min(1)
    .optional()
    .describe("etcd's user for this node (etcd's --auth); with passwordFile."),
  passwordFile: z
    .string()
    .min(1)
    .optional()
    .describe("A file holding the etcd user's password (one line; mode 0600); with user."),
  prefix: z
    .string()
    .default('/ipfo/')
    .describe(
      'The etcd key prefix of this cluster\'s keys: holders are "<prefix>holders/<group>". Starts and ends with "/".',
    ),
  leaseTtl: duration(
    "The TTL of this node's etcd lease, in whole seconds, at least 2s. A node that stops renewing (dead, frozen, cut off from the etcd majority) loses its keys after it, so another node can take its addresses over then: it bounds the failover time when heartbeats cannot tell. Longer rides out etcd leader elections without a release.",
  ).prefault('5s'),
  margin: duration(
    'How long before its lease could expire on the server a node that cannot renew removes its addresses, counted on its own monotonic clock from when it sent its last successful renewal: the time removing takes plus clock-rate drift. Default: a quarter of leaseTtl, at least 500ms. Less than half of leaseTtl.',
  ).optional(),
  onQuorumLoss: z
    .enum(['release', 'keep'])
    .default('release')
    .describe(
      'When no etcd majority answers: "release" the addresses before the lease can expire (no split brain, but an etcd outage is an outage of the addresses), or "keep" them with a loud warning (the addresses stay up, and a node that etcd gives them to meanwhile answers for them too).',
    ),
})

export const coordinationSchema = z
  .discriminatedUnion('kind', [etcdCoordination])
  .superRefine((coordination, ctx) => {
    coordination.endpoints.forEach((endpoint, i) => {
      const problem = endpointProblem(endpoint)
      if (problem) ctx.addIssue({ code: 'custom', path: ['endpoints', i], message: problem })
    })
    schemeIssues(coordination, ctx)
    if ((coordination.user === undefined) !== (coordination.passwordFile === undefined)) {
      const missing = coordination.user === undefined ? 'user' : 'passwordFile'
      ctx.addIssue({
        code: 'custom',
        path: [missing],
        message:
          missing === 'user'
            ? 'passwordFile needs user: add the etcd user this node logs in as, or drop passwordFile'
            : 'user needs passwordFile: add the file holding its password, or drop user (etcd without --auth)',
      })
    }
    const { prefix, leaseTtl, margin } = coordination
    if (!prefix.startsWith('/') || !prefix.endsWith('/')) {
      const inner = prefix.replace(/^\/+|\/+$/g, '')
      const fixed = inner ? `/${inner}/` : '/ipfo/'
      ctx.addIssue({
        code: 'custom',
        path: ['prefix'],
        message: `"${prefix}" must start and end with "/", so that one cluster's keys never share a prefix with another's: write "${fixed}"`,
      })
    }
    ttlIssues(leaseTtl, ctx)
    if (margin !== undefined) marginIssues(margin, leaseTtl, ctx)
  })
  .transform((coordination) => ({
    ...coordination,
    margin: coordination.margin ?? defaultMargin(coordination.leaseTtl),
  }))
  .optional()
  .describe(
    'Quorum: a node holds an address only while it holds its key in etcd, under a lease it renews; a node cut off from the etcd majority lets its addresses go before the lease can expire, so two nodes never hold one. Off when absent: heartbeats alone decide, as in a pair.',
  )

/** A quarter of the TTL: three renewals fit in the rest. Never under 500 ms. */
export function defaultMargin(leaseTtlMs: number): number {
  return Math.max(LEAST_DEFAULT_MARGIN_MS, Math.floor(leaseTtlMs / 4))
}

function endpointProblem(endpoint: string): string | undefined {
  // etcdctl takes "host:port"; the etcd client needs the scheme to know whether to speak TLS.
  if (!endpoint.includes('://') && /^[^\s/]+:\d+$/.test(endpoint))
    return `"${endpoint}" has no scheme; write "https://${endpoint}" (or "http://${endpoint}" for etcd without TLS)`
  let url: URL
  try {
    url = new URL(endpoint)
  } catch {
    return `"${endpoint}" is not a URL; write the member's client URL whole, e.g. "https://10.0.0.1:2379"`
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    return `"${endpoint}" is not an http or https URL; etcd's client URLs look like "https://10.0.0.1:2379"`
  // The etcd client reads only host and port; anything else would be silently dropped.
  if (url.username || url.password)
    return `"${endpoint}" has a user in the URL; drop it and set "user" and "passwordFile" instead`
  if ((url.pathname !== '/' && url.pathname !== '') || url.search || url.hash)
    return `"${endpoint}" has a path; etcd's client URL is only scheme, host and port: write "${url.protocol}//${url.host}"`
  // Without a port gRPC would dial 443, never etcd's 2379: a silent misconfiguration.
  if (!url.port)
    return `"${endpoint}" has no port; add etcd's client port, e.g. "${url.protocol}//${url.hostname}:2379"`
  return undefined
}

function schemeIssues(
  coordination: { endpoints: readonly string[]; tls?: object | undefined },
  ctx: z.RefinementCtx,
): void {
  const secure = coordination.endpoints.filter((e) => e.startsWith('https:')).length
  if (secure > 0 && secure < coordination.endpoints.length) {
    ctx.addIssue({
      code: 'custom',
      path: ['endpoints'],
      message:
        'mixes http and https endpoints; the members of one cluster speak one: make them all https (or all http)',
    })
  } else if (secure === 0 && coordination.tls !== undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['tls'],
      message: 'tls is for https endpoints: write the endpoints as https:// URLs, or drop tls',
    })
  }
}

function ttlIssues(leaseTtlMs: number, ctx: z.RefinementCtx): void {
  const seconds = Math.max(MIN_LEASE_TTL_MS / 1000, Math.ceil(leaseTtlMs / 1000))
  if (leaseTtlMs % 1000 !== 0) {
    ctx.addIssue({
      code: 'custom',
      path: ['leaseTtl'],
      message: `${formatDuration(leaseTtlMs)} is not whole seconds; etcd leases are whole seconds: write ${seconds}s`,
    })
  } else if (leaseTtlMs < MIN_LEASE_TTL_MS) {
    ctx.addIssue({
      code: 'custom',
      path: ['leaseTtl'],
      message: `${formatDuration(leaseTtlMs)} is too short; etcd refuses leases under 2s at its default timings (its least is 1.5 election timeouts, rounded up): write 2s or more`,
    })
  }
}

function marginIssues(marginMs: number, leaseTtlMs: number, ctx: z.RefinementCtx): void {
  if (marginMs * 2 >= leaseTtlMs) {
    ctx.addIssue({
      code: 'custom',
      path: ['margin'],
      message: `margin (${formatDuration(marginMs)}) must be less than half of leaseTtl (${formatDuration(leaseTtlMs)}); a node would otherwise let go between two renewals: shorten margin (e.g. ${formatDuration(defaultMargin(leaseTtlMs))}, its default) or lengthen leaseTtl`,
    })
  } else if (marginMs < LEAST_MARGIN_MS) {
    ctx.addIssue({
      code: 'custom',
      path: ['margin'],
      message: `margin (${formatDuration(marginMs)}) leaves no time to remove the addresses before the lease can expire; write ${formatDuration(LEAST_MARGIN_MS)} or more (its default is ${formatDuration(defaultMargin(leaseTtlMs))})`,
    })
  }
}

export type CoordinationConfig = NonNullable<z.output<typeof coordinationSchema>>
export type EtcdCoordinationConfig = Extract<CoordinationConfig, { kind: 'etcd' }>
