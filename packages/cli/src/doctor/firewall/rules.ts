/**
 * A firewall as ipfo's doctor models it, whichever tool it came from (nftables.ts, iptables.ts): base
 * chains the kernel runs in order, each a list of rules, and an evaluator that follows one heartbeat
 * through them. What cannot be known (the interface a packet arrives on, when routing cannot say) or
 * is not modelled (rate limits, marks, sockets) makes a rule "maybe"; the evaluator then follows both
 * ways and reports "unknown" only when they end differently.
 */

/** A heartbeat as the firewall sees it arriving: UDP to this node's port on one link. */
export interface Probe {
  readonly family: 4 | 6
  /** This node's heartbeat port on the link. */
  readonly dport: number
  /** The peer's port, when known. */
  readonly sport?: number | undefined
  /** The interface it arrives on, when known. */
  readonly iif?: string | undefined
  /** The peer's address, when known (not for broadcast targets). */
  readonly saddr?: string | undefined
  /** This node's address on the link, when known. */
  readonly daddr?: string | undefined
}

/** A probe plus its conntrack state: the first packet of a flow is "new", replies are "established". */
export interface Packet extends Probe {
  readonly ct: 'new' | 'established'
}

/** true, false, or undefined: cannot tell. */
export type Maybe = boolean | undefined

export type Action =
  | { readonly kind: 'accept' }
  /** Drop and reject: either way the heartbeat is lost. */
  | { readonly kind: 'drop' }
  | { readonly kind: 'jump' | 'goto'; readonly chain: string }
  | { readonly kind: 'return' }
  /** No verdict (counter, log): on to the next rule. */
  | { readonly kind: 'next' }
  | { readonly kind: 'unknown'; readonly what: string }

export interface Rule {
  /** How a person finds it: the rule as the tool prints it, or its handle. */
  readonly text: string
  matches(p: Packet): Maybe
  /** What the rule does to a matching packet; several when it depends on something unknown (a map). */
  actions(p: Packet): readonly Action[]
}

/** A chain the kernel runs by itself (hooked), with the chains of its table it can jump to. */
export interface BaseChain {
  /** "nftables inet filter input", "iptables filter INPUT". */
  readonly name: string
  readonly families: readonly (4 | 6)[]
  readonly policy: 'accept' | 'drop'
  readonly start: string
  readonly chains: ReadonlyMap<string, readonly Rule[]>
  /** The exact command that lets the probe through, put first in this chain. */
  fix(probe: Probe): string
}

export type Outcome =
  | { readonly verdict: 'accept' }
  | { readonly verdict: 'drop'; readonly by: string; readonly chains: readonly BaseChain[] }
  | { readonly verdict: 'unknown'; readonly because: string }

interface Exit {
  readonly kind: 'accept' | 'drop' | 'end' | 'unknown'
  readonly by: string
  /** The first "maybe" rule on the way here: why the result may be something else. */
  readonly doubt?: string | undefined
}

const MAX_DEPTH = 16
const MAX_STEPS = 10_000

/** Follows a packet through every base chain that sees it; a drop anywhere is final. */
export function evaluate(bases: readonly BaseChain[], packet: Packet): Outcome {
  const seen = bases.filter((b) => b.families.includes(packet.family))
  const drops: { by: string; base: BaseChain }[] = []
  let doubt: string | undefined
  for (const base of seen) {
    const exits = walkBase(base, packet)
    const kinds = new Set(exits.map((e) => e.kind))
    if (kinds.size === 1 && kinds.has('drop')) drops.push({ by: exits[0]!.by, base })
    else if (!(kinds.size === 1 && kinds.has('accept')))
      doubt ??= exits.find((e) => e.kind === 'unknown')?.by ?? exits.find((e) => e.doubt)?.doubt ?? base.name
  }
  if (drops.length > 0) return { verdict: 'drop', by: drops[0]!.by, chains: drops.map((d) => d.base) }
  return doubt === undefined ? { verdict: 'accept' } : { verdict: 'unknown', because: doubt }
}

function walkBase(base: BaseChain, packet: Packet): Exit[] {
  const budget = { steps: MAX_STEPS }
  return walk(base, base.start, 0, packet, 0, budget).map((e) =>
    e.kind === 'end'
      ? { kind: base.policy, by: `the ${base.policy} policy of ${base.name}`, doubt: e.doubt }
      : e,
  )
}

function walk(
  base: BaseChain,
  chain: string,
  from: number,
  p: Packet,
  depth: number,
  budget: { steps: number },
): Exit[] {
  const rules = base.chains.get(chain)
  if (!rules) return [{ kind: 'unknown', by: `${base.name}: chain ${chain} is not in the ruleset` }]
  if (depth > MAX_DEPTH || --budget.steps < 0)
    return [{ kind: 'unknown', by: `${base.name}: too many jumps to follow` }]
  for (let i = from; i < rules.length; i++) {
    const rule = rules[i]!
    const matches = rule.matches(p)
    if (matches === false) continue
    const rest = () => walk(base, chain, i + 1, p, depth, budget)
    const taken = rule.actions(p).flatMap((action): Exit[] => {
      switch (action.kind) {
        case 'accept':
        case 'drop':
          return [{ kind: action.kind, by: `${rule.text} (${base.name})` }]
        case 'next':
          return rest()
        case 'return':
          return [{ kind: 'end', by: '' }]
        case 'jump':
          return walk(base, action.chain, 0, p, depth + 1, budget).flatMap((e) =>
            e.kind === 'end' ? rest() : [e],
          )
        case 'goto':
          return walk(base, action.chain, 0, p, depth + 1, budget)
        default:
          return [{ kind: 'unknown', by: `${rule.text} (${base.name}: ${action.what})` }]
      }
    })
    if (matches === true) return dedupe(taken)
    const doubt = `${rule.text} (${base.name})`
    return dedupe([...taken, ...rest()].map((e) => ({ ...e, doubt: e.doubt ?? doubt })))
  }
  return [{ kind: 'end', by: '' }]
}

function dedupe(exits: Exit[]): Exit[] {
  const out = new Map<string, Exit>()
  for (const e of exits) out.set(`${e.kind}|${e.by}`, out.get(`${e.kind}|${e.by}`) ?? e)
  return [...out.values()]
}

/** Every condition of a rule: false if one is false, else unknown if one is unknown. */
export function all(values: readonly Maybe[]): Maybe {
  if (values.includes(false)) return false
  return values.includes(undefined) ? undefined : true
}

/** One of a list (a set, a port list): true if one is true, else unknown if one is unknown. */
export function any(values: readonly Maybe[]): Maybe {
  if (values.includes(true)) return true
  return values.includes(undefined) ? undefined : false
}

export const not = (v: Maybe): Maybe => (v === undefined ? undefined : !v)

/** "eth*" in nftables, "eth+" in iptables: a trailing wildcard. */
export function interfaceMatches(pattern: string, name: string): boolean {
  if (pattern.endsWith('*') || pattern.endsWith('+')) return name.startsWith(pattern.slice(0, -1))
  return name === pattern
}

/** Whether `ip` is in `network`/`prefix`; undefined for addresses of another family. */
export function inSubnet(ip: string, network: string, prefix: number): Maybe {
  const a = addressBits(ip)
  const b = addressBits(network)
  if (a === undefined || b === undefined || a.length !== b.length) return undefined
  return a.slice(0, prefix) === b.slice(0, prefix)
}

function addressBits(ip: string): string | undefined {
  if (/^\d+\.\d+\.\d+\.\d+$/.test(ip))
    return ip
      .split('.')
      .map((o) => Number(o).toString(2).padStart(8, '0'))
      .join('')
  if (!ip.includes(':')) return undefined
  const [head = '', tail = ''] = ip.split('::')
  const h = head ? head.split(':') : []
  const t = tail ? tail.split(':') : []
  const groups = ip.includes('::') ? [...h, ...Array(8 - h.length - t.length).fill('0'), ...t] : h
  if (groups.length !== 8) return undefined
  return groups.map((g) => Number.parseInt(g, 16).toString(2).padStart(16, '0')).join('')
}

/** Whether two addresses are the same one, however written; undefined when either is not an address. */
export function sameAddress(a: string, b: string): Maybe {
  const x = addressBits(a)
  const y = addressBits(b)
  return x === undefined || y === undefined ? undefined : x === y
}
