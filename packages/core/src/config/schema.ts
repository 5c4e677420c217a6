import { z } from 'zod'
import { formatDuration } from '../model/duration.js'
import { parseCidr } from '../model/ip.js'
import { checksSchema, onAllUnfitSchema, requiresSchema, unknownRequires } from './checks-schema.js'
import { coordinationSchema } from './coordination-schema.js'
import { duration } from './duration-field.js'
import { metricsSchema } from './metrics-schema.js'
import { ownTakersSchema, peerTakersSchema, takerIssues } from './takers-schema.js'

/**
 * The agent's config file (YAML or JSON), as a zod schema. Parsing turns durations into milliseconds
 * and addresses into { ip, prefix, family }, so nothing past this file handles raw strings.
 * `ipfo config schema` publishes the JSON Schema generated from it.
 */

const NAME = /^[a-z0-9][a-z0-9._-]{0,31}$/

const name = (what: string) =>
  z
    .string()
    .regex(
      NAME,
      `a ${what} is 1-32 characters: lower-case letters, digits, ".", "_" or "-", starting with a letter or digit`,
    )

export const addressSchema = z
  .strictObject({
    interface: z.string().min(1).max(15).describe('The network interface, e.g. "eth0" or "en0".'),
    address: z.string().describe('The address with its prefix, e.g. "192.168.1.100/24" or "fd00::100/64".'),
    requires: requiresSchema,
  })
  .transform((value, ctx) => {
    const parsed = parseCidr(value.address)
    if (!parsed.ok) {
      ctx.addIssue({ code: 'custom', message: parsed.reason, path: ['address'] })
      return z.NEVER
    }
    return {
      interface: value.interface,
      ip: parsed.ip,
      prefix: parsed.prefix,
      family: parsed.family,
      requires: value.requires,
    }
  })

const target = z
  .string()
  .describe(
    'Where to send heartbeats: a unicast or broadcast address, optionally with ":port" ("[v6]:port" for IPv6).',
  )

export const linkSchema = z.strictObject({
  name: name('link name').describe('The link\'s name, the same on every node, e.g. "private" or "public".'),
  listen: z
    .string()
    .optional()
    .describe('The local address to receive heartbeats on (default "0.0.0.0", or "::" for IPv6 targets).'),
  port: z
    .number()
    .int()
    .min(1)
    .max(65535)
    .optional()
    .describe('The UDP port to listen on (default: the top-level port).'),
  targets: z.array(target).min(1).describe('The addresses heartbeats are sent to on this link.'),
})

export const peerSchema = z.strictObject({
  id: name('node id').describe('The peer\'s node id, as in its own config\'s "node".'),
  takeover: z
    .array(addressSchema)
    .default([])
    .describe("The peer's addresses this node takes over when the peer falls silent on every link."),
  takers: peerTakersSchema,
})

export const failbackSchema = z
  .strictObject({
    policy: z
      .enum(['auto', 'manual', 'stable'])
      .default('auto')
      .describe(
        'When a returning peer gets its addresses back: "auto" as soon as it is heard again (Apple\'s behaviour), "manual" only on "ipfo release", "stable" once it has stayed healthy for stableFor.',
      ),
    stableFor: duration('With policy "stable": how long the peer must stay healthy first.').prefault('30s'),
    claimTimeout: duration(
      'How long a returning owner waits for a holder that plainly holds its address (not releasing, not kept, not in maintenance) before taking it anyway, with a loud event. At least stableFor plus twice deadAfter with policy "stable", so that the holder\'s own give-back always comes first; that is also the default, and never less than 30s.',
    ).optional(),
  })
  .prefault({})

export const announceSchema = z
  .strictObject({
    count: z
      .number()
      .int()
      .min(0)
      .max(100)
      .default(3)
      .describe('Gratuitous ARP / unsolicited NA packets per address.'),
    interval: duration('Time between announcements.').prefault('100ms'),
  })
  .prefault({})

export const arbitrationSchema = z
  .strictObject({
    probe: z
      .boolean()
      .default(false)
      .describe(
        'Before an automatic takeover, probe each address (ARP duplicate-address detection, IPv6 neighbour solicitation) and refuse while it still answers: a peer cut off on every heartbeat link but alive keeps its addresses. Adds up to "timeout" to every takeover.',
      ),
    witness: z
      .array(z.string().regex(/^[0-9a-fA-F:.]+$/, 'an IP address'))
      .default([])
      .describe(
        'Addresses (a router, a quorum host) that must answer a ping before an automatic takeover: a node that cannot reach any of them is the isolated one and takes nothing.',
      ),
    timeout: duration('How long a probe or a witness ping may take.').prefault('300ms'),
  })
  .prefault({})

/** The shortest heartbeat interval: only under scheduling.realtimePriority (the 5 ms profile). */
export const MIN_INTERVAL_MS = 5
/** The shortest heartbeat interval at normal priority. */
export const MIN_PLAIN_INTERVAL_MS = 10

export const schedulingSchema = z
  .strictObject({
    nice: z
      .number()
      .int()
      .min(-20)
      .max(19)
      .optional()
      .describe(
        "The agent's nice value (-20 runs first). Under CPU load a lower value keeps heartbeats on time.",
      ),
    realtimePriority: z
      .number()
      .int()
      .min(1)
      .max(99)
      .optional()
      .describe(
        "Run the agent under SCHED_FIFO at this priority (Linux, root; like keepalived's vrrp_rt_priority): heartbeats and detection keep their timing even with every core busy. Keep it low (1-10) so the kernel's own threads still run. Only the event loop's thread is real-time, and the agent's gratuitous ARP senders (socat), which only wait for frames to send: V8's compiler threads and libuv's pool, and the other processes the agent starts (hooks, checks, the guard), run at normal priority, and so does the agent's own start, until it is listening (its start-up work at SCHED_FIFO would hold a core from the running agents beside it). Needs the agent started with node --single-threaded-gc, as the unit of `ipfo service install` does: under SCHED_FIFO, background GC threads starve and the agent would spin.",
      ),
  })
  .prefault({})

export const pathsSchema = z
  .strictObject({
    socket: z.string().default('/run/ipfo/ipfo.sock').describe('The control socket (root only).'),
    stateDir: z.string().default('/var/lib/ipfo').describe('Where the agent keeps its state between runs.'),
    eventLog: z
      .string()
      .nullable()
      .default(null)
      .describe('A JSON-lines file the agent appends every event to (null: stdout only).'),
  })
  .prefault({})

const phaseSettings = z
  .strictObject({
    timeout: duration(
      'How long one hook of this phase may run before its whole process group is killed.',
    ).optional(),
    strict: z
      .boolean()
      .optional()
      .describe(
        'A failing hook stops the checklist: for PreAcq/PreRel the addresses are not changed; for PostAcq/PostRel the remaining hooks of the phase are skipped and the failure is reported.',
      ),
  })
  .optional()

export const hooksSchema = z
  .strictObject({
    dir: z
      .string()
      .optional()
      .describe(
        "The hook folder: one sub-folder per address (<dir>/<ip>/) holding Test, PreAcq*, PostAcq*, PreRel*, PostRel*. Default /Library/IPFailover on macOS (Apple's layout), /etc/ipfo/hooks on Linux.",
      ),
    timeout: duration('How long one hook may run before its whole process group is killed.').prefault('30s'),
    user: z.string().optional().describe("Run hooks as this user instead of the agent's (root)."),
    passEnv: z
      .array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name'))
      .default([])
      .describe(
        "Variables of the agent's own environment handed to every hook (hooks otherwise get a clean one): for secrets a hook reads by name, such as the email hook's passwordEnv, set in the service's environment file.",
      ),
    emailRecipient: z
      .string()
      .optional()
      .describe(
        "Passed to hooks as FAILOVER_EMAIL_RECIPIENT (Apple's key); the email hook sends there. Default root.",
      ),
    phases: z
      .strictObject({
        Test: phaseSettings,
        PreAcq: phaseSettings,
        PostAcq: phaseSettings,
        PreRel: phaseSettings,
        PostRel: phaseSettings,
      })
      .prefault({})
      .describe('Per-phase timeout and strict settings.'),
  })
  .prefault({})
  .describe("The administrator's failover scripts (Apple's /Library/IPFailover layout).")

export const configSchema = z
  .strictObject({
    $schema: z
      .string()
      .optional()
      .describe('The JSON Schema this file follows, for editors: "https://ipfo.dev/schema/config.json".'),
    node: name('node id').describe('This node\'s id; peers list it in their "peers".'),
    key: z.string().min(1).describe('The heartbeat key file (create it with "ipfo keygen"; mode 0600).'),
    acceptKeys: z
      .array(z.string().min(1))
      .default([])
      .describe(
        'Other key files whose heartbeats are accepted too (never used to sign): for rotating the key without downtime. Add the new key here on every node, then make it "key" and list the old one here, then drop the old one; reload with SIGHUP after each step.',
      ),
    port: z.number().int().min(1).max(65535).default(1694).describe('The heartbeat UDP port.'),
    interval: duration(
      'How often heartbeats are sent. At least 10ms; 5ms to 10ms only with scheduling.realtimePriority (Linux), and the agent started with node --single-threaded-gc --no-memory-reducer (the 5 ms profile: interval 5ms, deadAfter 15ms).',
    ).prefault('1s'),
    deadAfter: duration('A peer silent on every link for this long is lost.').prefault('3s'),
    links: z
      .array(linkSchema)
      .min(1)
      .describe('The heartbeat links; two on separate networks avoid false takeovers.'),
    owns: z.array(addressSchema).default([]).describe('Addresses this node holds while it is healthy.'),
    takers: ownTakersSchema,
    peers: z.array(peerSchema).default([]).describe('The other nodes this node exchanges heartbeats with.'),
    failback: failbackSchema.describe('When and how a returning peer gets its addresses back.'),
    announce: announceSchema.describe(
      'The gratuitous ARP / unsolicited NA packets sent after taking an address, so switches and neighbours learn where it went.',
    ),
    arbitration: arbitrationSchema.describe(
      'Checks before an automatic takeover, against split brain when every heartbeat link is cut but the peer is alive. Off by default.',
    ),
    scheduling: schedulingSchema.describe(
      "The agent's CPU priority, for fast intervals on busy machines. Off by default.",
    ),
    addressChanges: z
      .enum(['auto', 'netlink', 'ip-batch'])
      .default('auto')
      .describe(
        'Linux: how the agent adds and removes addresses. netlink: in its own process over rtnetlink (the npm package "netlink", an optional dependency of @ipfo/core, prebuilt for linux x64, arm64, arm and ia32): no process between the decision and the kernel. ip-batch: through one long-lived `ip -batch` process (iproute2), which on a busy machine waits for a core. auto: netlink when the package loads, else ip-batch. With netlink, the carrier watch and its neighbour flushes use rtnetlink too (no ip process at rest); with ip-batch, a long-lived `ip monitor` and the same `ip -batch`.',
      ),
    onCarrierLoss: z
      .enum(['release', 'ignore'])
      .default('release')
      .describe(
        'When the interface of an address loses its carrier (cable pulled, switch port down): release the addresses on it (running the release hooks) and claim nothing there until the carrier is back and the peers have been heard, so the returning cable never brings two holders; or ignore it. Linux only.',
      ),
    carrierSettle: duration(
      'After a carrier comes back, how long this node waits to hear every peer before it claims the addresses on that interface anyway (never less than deadAfter). Raise it to the forwarding delay of switch ports that run spanning tree without portfast (30 s or more).',
    ).prefault('2s'),
    checks: checksSchema,
    onAllUnfit: onAllUnfitSchema,
    coordination: coordinationSchema,
    metrics: metricsSchema,
    onStop: z
      .enum(['release', 'keep'])
      .default('release')
      .describe('On SIGTERM: release held addresses (running the release hooks) or leave them in place.'),
    paths: pathsSchema.describe('Where the agent keeps its control socket, state and event log.'),
    hooks: hooksSchema,
  })
  .superRefine((config, ctx) => {
    if (config.interval < MIN_INTERVAL_MS) {
      ctx.addIssue({
        code: 'custom',
        path: ['interval'],
        message: `${formatDuration(config.interval)} is too short; the shortest interval is ${formatDuration(MIN_INTERVAL_MS)} (with scheduling.realtimePriority; ${formatDuration(MIN_PLAIN_INTERVAL_MS)} without)`,
      })
    } else if (config.interval < MIN_PLAIN_INTERVAL_MS && config.scheduling.realtimePriority === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['interval'],
        message: `${formatDuration(config.interval)} needs scheduling.realtimePriority: under ${formatDuration(MIN_PLAIN_INTERVAL_MS)}, an agent at normal priority on a busy machine runs its heartbeat timer late often enough that a peer declares it lost and takes its addresses while it is alive (measured: 5ms/15ms on two cores under stress-ng --cpu 8, dozens of late timers a minute and false takeovers); set scheduling.realtimePriority (1 is enough; Linux only; the agent must run with node --single-threaded-gc --no-memory-reducer, as the unit of \`ipfo service install\` does), or make interval ${formatDuration(MIN_PLAIN_INTERVAL_MS)} or more`,
      })
    }
    if (config.interval >= config.deadAfter) {
      ctx.addIssue({
        code: 'custom',
        path: ['deadAfter'],
        message: `deadAfter (${formatDuration(config.deadAfter)}) must be longer than interval (${formatDuration(config.interval)}); three intervals or more is usual`,
      })
    }
    if (config.coordination && config.onStop === 'keep') {
      ctx.addIssue({
        code: 'custom',
        path: ['onStop'],
        message:
          'onStop: keep cannot go with coordination: the lease ends with the agent, another node then wins the keys and adds the addresses while this node still has them; use onStop: release (the default)',
      })
    }
    const { policy, stableFor, claimTimeout } = config.failback
    const leastClaim = stableFor + 2 * config.deadAfter
    if (policy === 'stable' && claimTimeout !== undefined && claimTimeout < leastClaim) {
      ctx.addIssue({
        code: 'custom',
        path: ['failback', 'claimTimeout'],
        message: `claimTimeout (${formatDuration(claimTimeout)}) must be at least stableFor (${formatDuration(stableFor)}) plus twice deadAfter (${formatDuration(config.deadAfter)}): a returning owner would otherwise force its claim just as the holder gives the address back on its own, and both would hold it; set claimTimeout to ${Math.ceil(leastClaim / 1000)}s or more, or leave it out (that is its default)`,
      })
    }
    const seen = new Map<string, string>()
    const check = (list: { ip: string }[], where: (i: number) => (string | number)[]) => {
      list.forEach((a, i) => {
        const path = where(i)
        const first = seen.get(a.ip)
        if (first) {
          ctx.addIssue({
            code: 'custom',
            path,
            message: `address ${a.ip} is already listed at ${first}; list each address once`,
          })
        } else seen.set(a.ip, path.join('.').replace(/\.(\d+)/g, '[$1]'))
      })
    }
    check(config.owns, (i) => ['owns', i, 'address'])
    config.peers.forEach((peer, p) => {
      if (peer.id === config.node) {
        ctx.addIssue({
          code: 'custom',
          path: ['peers', p, 'id'],
          message: `peer id "${peer.id}" is this node's own id`,
        })
      }
      check(peer.takeover, (i) => ['peers', p, 'takeover', i, 'address'])
    })
    const ids = config.peers.map((p) => p.id)
    ids.forEach((id, i) => {
      if (ids.indexOf(id) !== i)
        ctx.addIssue({ code: 'custom', path: ['peers', i, 'id'], message: `peer "${id}" is listed twice` })
    })
    const requiring = [
      ...config.owns.map((a, i) => ({ path: ['owns', i], requires: a.requires })),
      ...config.peers.flatMap((p, j) =>
        p.takeover.map((a, i) => ({ path: ['peers', j, 'takeover', i], requires: a.requires })),
      ),
    ]
    for (const issue of unknownRequires(config.checks, requiring)) ctx.addIssue({ code: 'custom', ...issue })
    for (const issue of takerIssues(config)) ctx.addIssue({ code: 'custom', ...issue })
    const links = config.links.map((l) => l.name)
    links.forEach((n, i) => {
      if (links.indexOf(n) !== i)
        ctx.addIssue({ code: 'custom', path: ['links', i, 'name'], message: `link "${n}" is listed twice` })
    })
  })
  .transform((config) => {
    const { stableFor, claimTimeout } = config.failback
    const failback = {
      ...config.failback,
      claimTimeout: claimTimeout ?? defaultClaimTimeout(stableFor, config.deadAfter),
    }
    return { ...config, failback }
  })

/**
 * The claim timeout's default: the least that cannot race a stable give-back, and never under 30 s.
 * The holder releases stableFor after it hears the owner again; the owner's claim clock starts when
 * it hears the holder again. The two moments differ by a heartbeat's delay and an interval, both
 * well under deadAfter; twice deadAfter leaves the holder's release time to start and to be heard.
 */
function defaultClaimTimeout(stableForMs: number, deadAfterMs: number): number {
  return Math.max(30_000, stableForMs + 2 * deadAfterMs)
}

/** A validated config, with durations in ms and addresses parsed. */
export type Config = z.output<typeof configSchema>
/** A config as written in the file. */
export type ConfigInput = z.input<typeof configSchema>
export type AddressConfig = z.output<typeof addressSchema>
export type PeerConfig = z.output<typeof peerSchema>
export type LinkConfig = z.output<typeof linkSchema>
export type HooksConfig = z.output<typeof hooksSchema>
