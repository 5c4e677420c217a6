import { z } from 'zod'
import { formatDuration } from '../model/duration.js'
import { duration } from './duration-field.js'

/**
 * Health checks (issue 19): named checks the config's addresses `require`. A node is fit for an
 * address while every check the address requires passes; the address follows fitness (see
 * state-machine/fitness.ts). keepalived's vrrp_script / track_script and track_interface.
 */

export const CHECK_NAME = /^[a-z0-9][a-z0-9._-]{0,31}$/

/** The shortest interval per kind: in-loop probes can run often; a process per run cannot. */
export const MIN_CHECK_INTERVAL_MS = { tcp: 50, http: 50, https: 50, interface: 50, exec: 100 } as const

const timing = {
  interval: duration('How often the check runs.').prefault('1s'),
  timeout: duration(
    'How long one run may take before it counts as failed (an exec check is killed then, its whole process group). At most the interval; default the interval.',
  ).optional(),
  fall: z
    .number()
    .int()
    .min(1)
    .max(100)
    .default(2)
    .describe('Failed runs in a row that make a passing check fail (keepalived\'s "fall").'),
  rise: z
    .number()
    .int()
    .min(1)
    .max(100)
    .default(2)
    .describe('Good runs in a row that make a failing check pass again (keepalived\'s "rise").'),
  initial: z
    .enum(['passing', 'failing'])
    .default('passing')
    .describe(
      'What the check says before its first results count: "failing" keeps a node from taking addresses until its service has answered `rise` times.',
    ),
}

const tcpCheck = z.strictObject({
  kind: z.literal('tcp').describe('tcp: connect to host:port (the connection is closed at once).'),
  host: z.string().min(1).default('127.0.0.1').describe('tcp checks: the host to connect to.'),
  port: z.number().int().min(1).max(65535).describe('tcp checks (required there): the TCP port.'),
  ...timing,
})

const httpCheck = z.strictObject({
  kind: z.enum(['http', 'https']).describe('http, https: a GET that must answer with an expected status.'),
  url: z
    .string()
    .describe('http and https checks (required there): the URL to GET, e.g. "http://127.0.0.1/health".'),
  expect: z
    .array(z.number().int().min(100).max(599))
    .min(1)
    .default([200])
    .describe('http and https checks: the statuses that mean healthy.'),
  bodyMatch: z
    .string()
    .min(1)
    .optional()
    .describe('http and https checks: a text the body must contain (within its first 64 KB).'),
  ca: z
    .string()
    .min(1)
    .optional()
    .describe("https checks: a PEM file of the certificates to trust instead of the system's."),
  ...timing,
})

const execCheck = z.strictObject({
  kind: z
    .literal('exec')
    .describe('exec: run a program; exit 0 is healthy. It gets the clean environment hooks get.'),
  argv: z
    .array(z.string())
    .min(1)
    .describe(
      'exec checks (required there): the program (an absolute path) and its arguments; no shell. E.g. ["/usr/local/bin/check-haproxy"].',
    ),
  ...timing,
})

const interfaceCheck = z.strictObject({
  kind: z
    .literal('interface')
    .describe(
      "interface: the interface must have its carrier and be operationally up (keepalived's track_interface).",
    ),
  interface: z
    .string()
    .min(1)
    .max(15)
    .describe('interface checks (required there): the interface, e.g. "eth0".'),
  ...timing,
})

export const checkSchema = z
  .discriminatedUnion('kind', [tcpCheck, httpCheck, execCheck, interfaceCheck])
  .superRefine((check, ctx) => {
    const least = MIN_CHECK_INTERVAL_MS[check.kind]
    if (check.interval < least) {
      ctx.addIssue({
        code: 'custom',
        path: ['interval'],
        message: `${formatDuration(check.interval)} is too short for a${check.kind === 'exec' || check.kind === 'interface' ? 'n' : ''} ${check.kind} check; the shortest is ${formatDuration(least)}`,
      })
    }
    if (check.timeout !== undefined && check.timeout > check.interval) {
      ctx.addIssue({
        code: 'custom',
        path: ['timeout'],
        message: `timeout (${formatDuration(check.timeout)}) is longer than interval (${formatDuration(check.interval)}); a run must end before the next is due: shorten timeout or lengthen interval`,
      })
    }
    if (check.kind === 'http' || check.kind === 'https') urlIssues(check, ctx)
    if (check.kind === 'exec' && !check.argv[0]?.startsWith('/')) {
      ctx.addIssue({
        code: 'custom',
        path: ['argv', 0],
        message: `"${check.argv[0]}" is not an absolute path; checks run without a shell and with a fixed PATH: write the program's full path, e.g. "/usr/local/bin/${check.argv[0] || 'check'}"`,
      })
    }
  })
  .transform((check) => ({ ...check, timeout: check.timeout ?? check.interval }))

function urlIssues(
  check: { kind: 'http' | 'https'; url: string; ca?: string | undefined },
  ctx: z.RefinementCtx,
) {
  let url: URL
  try {
    url = new URL(check.url)
  } catch {
    ctx.addIssue({
      code: 'custom',
      path: ['url'],
      message: `"${check.url}" is not a URL; write it whole, e.g. "${check.kind}://127.0.0.1/health"`,
    })
    return
  }
  if (url.protocol !== `${check.kind}:`) {
    ctx.addIssue({
      code: 'custom',
      path: ['url'],
      message: `a${check.kind === 'http' ? 'n' : ''} ${check.kind} check needs a ${check.kind}:// URL, not "${url.protocol}//": change the URL or the kind`,
    })
  }
  if (check.kind === 'http' && check.ca !== undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['ca'],
      message: 'ca is for https checks: drop it, or make the check kind "https" with an https:// URL',
    })
  }
}

export const checksSchema = z
  .record(z.string(), checkSchema)
  .superRefine((checks, ctx) => {
    for (const name of Object.keys(checks)) {
      if (CHECK_NAME.test(name)) continue
      ctx.addIssue({
        code: 'custom',
        path: [name],
        message: `"${name}" is not a check name: 1-32 characters, lower-case letters, digits, ".", "_" or "-", starting with a letter or digit`,
      })
    }
  })
  .default({})
  .describe(
    'Health checks by name, which addresses name in their "requires": a node is fit for an address while all of its checks pass, and an address moves to a fit node.',
  )

export const requiresSchema = z
  .array(z.string())
  .default([])
  .describe(
    'The checks (names under "checks") this node needs passing to serve the address. A node\'s addresses move together, so the checks of all of them count for each.',
  )

/** What to do when no live node is fit for an address. */
export const onAllUnfitSchema = z
  .enum(['keep', 'release'])
  .default('keep')
  .describe(
    'When no live node is fit for an address (every node\'s checks fail): "keep" it where it is, loudly (an unfit node never claims it, not even its owner); or "release" it, so that no node answers for a service that is down everywhere.',
  )

export type ChecksConfig = z.output<typeof checksSchema>

/** Check names that `requires` lists but `checks` does not define, with where they are. */
export function unknownRequires(
  checks: ChecksConfig,
  lists: readonly { readonly path: (string | number)[]; readonly requires: readonly string[] }[],
): { path: (string | number)[]; message: string }[] {
  const known = Object.keys(checks)
  const out: { path: (string | number)[]; message: string }[] = []
  for (const list of lists) {
    list.requires.forEach((name, i) => {
      if (Object.hasOwn(checks, name)) return
      const fix =
        known.length === 0
          ? `define it under "checks", e.g. checks: { ${name}: { kind: tcp, port: 80 } }`
          : `define it under "checks" or use one of: ${known.join(', ')}`
      out.push({ path: [...list.path, 'requires', i], message: `no check is named "${name}": ${fix}` })
    })
  }
  return out
}
