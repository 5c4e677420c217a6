import {
  type Action,
  all,
  any,
  type BaseChain,
  inSubnet,
  interfaceMatches,
  type Maybe,
  not,
  type Packet,
  type Rule,
  sameAddress,
} from './rules.js'

// The parts of `nft -j list ruleset` (libnftables JSON, schema 1) that decide a heartbeat's fate.
type Json = unknown
interface NftChain {
  family: string
  table: string
  name: string
  type?: string
  hook?: string
  prio?: number
  policy?: string
}
interface NftRule {
  family: string
  table: string
  chain: string
  handle?: number
  comment?: string
  expr?: Json[]
}
interface NftSet {
  family: string
  table: string
  name: string
  elem?: Json[]
}

const FAMILIES: Record<string, readonly (4 | 6)[]> = { inet: [4, 6], ip: [4], ip6: [6] }
/** Prerouting filter chains see a packet before input ones. */
const HOOKS = ['prerouting', 'input']
const PROTOCOLS: Record<string, number> = {
  icmp: 1,
  igmp: 2,
  tcp: 6,
  udp: 17,
  gre: 47,
  esp: 50,
  ah: 51,
  'ipv6-icmp': 58,
  icmpv6: 58,
  sctp: 132,
  udplite: 136,
}

/**
 * The base chains a heartbeat passes in an `nft -j list ruleset`: filter chains on the prerouting and
 * input hooks of ip, ip6 and inet tables, in the order the kernel runs them. `skipTables` leaves out
 * tables read more exactly elsewhere (iptables-nft's, whose matches nft shows as opaque "xt").
 * Throws on text that is not nftables JSON.
 */
export function nftBaseChains(
  text: string,
  opts: { skipTables?: readonly { family: string; name: string }[] } = {},
): BaseChain[] {
  const items = (JSON.parse(text) as { nftables?: Record<string, Json>[] }).nftables
  if (!Array.isArray(items)) throw new Error('not the output of nft -j list ruleset')
  const of = <T>(key: string) => items.filter((i) => key in i).map((i) => i[key] as T)
  const skipped = (family: string, table: string) =>
    !(family in FAMILIES) || (opts.skipTables ?? []).some((t) => t.family === family && t.name === table)
  const sets = new Map<string, Json[]>()
  for (const s of [...of<NftSet>('set'), ...of<NftSet>('map')])
    sets.set(`${s.family} ${s.table} ${s.name}`, (s.elem ?? []).map(unwrapElem))
  const rules = new Map<string, Rule[]>()
  for (const r of of<NftRule>('rule')) {
    if (skipped(r.family, r.table)) continue
    const key = `${r.family} ${r.table}`
    const lookup = (name: string) => sets.get(`${key} ${name}`)
    const list = rules.get(`${key} ${r.chain}`) ?? []
    list.push(toRule(r, lookup))
    rules.set(`${key} ${r.chain}`, list)
  }
  const chains = of<NftChain>('chain')
  const bases = chains
    .filter((c) => c.type === 'filter' && HOOKS.includes(c.hook ?? '') && !skipped(c.family, c.table))
    .sort((a, b) => HOOKS.indexOf(a.hook!) - HOOKS.indexOf(b.hook!) || (a.prio ?? 0) - (b.prio ?? 0))
  return bases.map((base): BaseChain => {
    const tableChains = new Map<string, readonly Rule[]>()
    for (const c of chains.filter((x) => x.family === base.family && x.table === base.table))
      tableChains.set(c.name, rules.get(`${c.family} ${c.table} ${c.name}`) ?? [])
    return {
      name: `nftables ${base.family} ${base.table} ${base.name}`,
      families: FAMILIES[base.family]!,
      policy: base.policy === 'drop' ? 'drop' : 'accept',
      start: base.name,
      chains: tableChains,
      fix: (p) =>
        `nft insert rule ${base.family} ${base.table} ${base.name} ${p.iif ? `iifname "${p.iif}" ` : ''}${p.saddr ? `${p.family === 4 ? 'ip' : 'ip6'} saddr ${p.saddr} ` : ''}udp dport ${p.dport} accept`,
    }
  })
}

/** Set elements with options (timeouts, counters) come wrapped: {"elem": {"val": ...}}. */
function unwrapElem(e: Json): Json {
  return typeof e === 'object' && e !== null && 'elem' in e ? (e as { elem: { val: Json } }).elem.val : e
}

function toRule(r: NftRule, lookup: (set: string) => Json[] | undefined): Rule {
  const conditions: ((p: Packet) => Maybe)[] = []
  let action: Action | ((p: Packet) => readonly Action[]) = { kind: 'next' }
  for (const statement of r.expr ?? []) {
    const [key, body] = Object.entries(statement as Record<string, Json>)[0] ?? ['', null]
    const verdict = verdictOf(key, body)
    if (verdict) action = verdict
    else if (key === 'match') conditions.push((p) => match(body as MatchBody, p, lookup))
    else if (key === 'vmap') action = (p) => vmap(body as VmapBody, p, lookup)
    else if (key === 'xt' && (body as { type?: string }).type === 'target')
      action = xtTarget((body as { name?: string }).name ?? '')
    else if (!['counter', 'log', 'mangle', 'notrack', 'nftrace'].includes(key))
      conditions.push(() => undefined)
  }
  const where = `rule handle ${r.handle ?? '?'}${r.comment ? ` "${r.comment}"` : ''} in chain ${r.chain}`
  return {
    text: where,
    matches: (p) => all(conditions.map((c) => c(p))),
    actions: (p) => (typeof action === 'function' ? action(p) : [action]),
  }
}

function verdictOf(key: string, body: Json): Action | undefined {
  switch (key) {
    case 'accept':
      return { kind: 'accept' }
    case 'drop':
    case 'reject':
      return { kind: 'drop' }
    case 'return':
      return { kind: 'return' }
    case 'continue':
      return { kind: 'next' }
    case 'jump':
    case 'goto':
      return { kind: key, chain: (body as { target: string }).target }
    case 'queue':
      return { kind: 'unknown', what: 'queued to a program' }
    default:
      return undefined
  }
}

function xtTarget(name: string): Action {
  if (name === 'ACCEPT') return { kind: 'accept' }
  if (name === 'DROP' || name === 'REJECT') return { kind: 'drop' }
  if (['LOG', 'NFLOG', 'MARK', 'CONNMARK', 'TRACE'].includes(name)) return { kind: 'next' }
  return { kind: 'unknown', what: `iptables target ${name}` }
}

type Value =
  | { readonly kind: 'absent' }
  | { readonly kind: 'unknown' }
  | { readonly kind: 'port' | 'proto'; readonly value: number }
  | { readonly kind: 'addr' | 'iface' | 'word'; readonly value: string }

const known = <K extends 'port' | 'proto'>(kind: K, value: number | undefined): Value =>
  value === undefined ? { kind: 'unknown' } : { kind, value }
const knownText = (kind: 'addr' | 'iface' | 'word', value: string | undefined): Value =>
  value === undefined ? { kind: 'unknown' } : { kind, value }

/** What the left side of a match reads from the packet; "absent" when the header is not there. */
function readField(left: Json, p: Packet): Value {
  const l = left as {
    payload?: { protocol: string; field: string }
    meta?: { key: string }
    ct?: { key: string }
  }
  if (l.payload) {
    const { protocol, field } = l.payload
    if (protocol === 'udp' || protocol === 'th') {
      if (field === 'dport') return known('port', p.dport)
      if (field === 'sport') return known('port', p.sport)
      return { kind: 'unknown' }
    }
    if (protocol === 'ip' || protocol === 'ip6') {
      if ((protocol === 'ip') !== (p.family === 4)) return { kind: 'absent' }
      if (field === 'saddr') return knownText('addr', p.saddr)
      if (field === 'daddr') return knownText('addr', p.daddr)
      if (field === 'protocol' || field === 'nexthdr') return known('proto', PROTOCOLS.udp)
      return { kind: 'unknown' }
    }
    // Another transport (tcp, icmp, ...): a UDP heartbeat does not have that header.
    return PROTOCOLS[protocol] !== undefined || protocol === 'icmpv6'
      ? { kind: 'absent' }
      : { kind: 'unknown' }
  }
  if (l.meta) {
    switch (l.meta.key) {
      case 'iifname':
      case 'iif':
        return knownText('iface', p.iif)
      case 'l4proto':
        return known('proto', PROTOCOLS.udp)
      case 'nfproto':
        return knownText('word', p.family === 4 ? 'ipv4' : 'ipv6')
      case 'protocol':
        return knownText('word', p.family === 4 ? 'ip' : 'ip6')
      default:
        return { kind: 'unknown' }
    }
  }
  if (l.ct?.key === 'state') return knownText('word', p.ct)
  return { kind: 'unknown' }
}

interface MatchBody {
  op: string
  left: Json
  right: Json
}

function match(m: MatchBody, p: Packet, lookup: (set: string) => Json[] | undefined): Maybe {
  const v = readField(m.left, p)
  if (v.kind === 'absent') return false
  if (v.kind === 'unknown') return undefined
  switch (m.op) {
    case '==':
    case 'in':
      return test(v, m.right, lookup)
    case '!=':
      return not(test(v, m.right, lookup))
    case '<':
    case '>':
    case '<=':
    case '>=': {
      if (v.kind !== 'port' || typeof m.right !== 'number') return undefined
      const [a, b] = [v.value, m.right]
      return m.op === '<' ? a < b : m.op === '>' ? a > b : m.op === '<=' ? a <= b : a >= b
    }
    default:
      return undefined
  }
}

/** Whether the packet's value is (in) the right side: a value, a list, a set, a range, a prefix. */
function test(
  v: Exclude<Value, { kind: 'absent' | 'unknown' }>,
  right: Json,
  lookup: (set: string) => Json[] | undefined,
): Maybe {
  if (Array.isArray(right)) return any(right.map((r) => test(v, r, lookup)))
  if (typeof right === 'string' && right.startsWith('@')) {
    const elems = lookup(right.slice(1))
    return elems === undefined
      ? undefined
      : any(elems.map((e) => test(v, Array.isArray(e) ? e[0] : e, lookup)))
  }
  if (typeof right === 'object' && right !== null) {
    const r = right as { set?: Json[]; range?: [Json, Json]; prefix?: { addr: string; len: number } }
    if (r.set) return any(r.set.map((e) => test(v, Array.isArray(e) ? e[0] : e, lookup)))
    if (r.range && v.kind === 'port') return v.value >= Number(r.range[0]) && v.value <= Number(r.range[1])
    if (r.prefix && v.kind === 'addr') return inSubnet(v.value, r.prefix.addr, r.prefix.len)
    return undefined
  }
  switch (v.kind) {
    case 'port':
      return typeof right === 'number' || /^\d+$/.test(String(right)) ? v.value === Number(right) : undefined
    case 'proto':
      return v.value === (typeof right === 'number' ? right : (PROTOCOLS[String(right)] ?? -1))
    case 'addr':
      return sameAddress(v.value, String(right))
    case 'iface':
      return interfaceMatches(String(right), v.value)
    case 'word':
      return v.value === right
  }
}

interface VmapBody {
  key: Json
  data: Json
}

/** A verdict map: the verdict of the entry the packet's value picks, or the next rule when none. */
function vmap(m: VmapBody, p: Packet, lookup: (set: string) => Json[] | undefined): readonly Action[] {
  const data = m.data as { set?: Json[] } | string
  const entries = (typeof data === 'string' ? lookup(data.slice(1)) : data.set) as [Json, Json][] | undefined
  const verdicts = (entries ?? []).map(([k, verdict]) => {
    const [key, body] = Object.entries(verdict as Record<string, Json>)[0] ?? ['', null]
    return { k, action: verdictOf(key, body) ?? { kind: 'unknown', what: `map verdict ${key}` } }
  })
  const v = readField(m.key, p)
  if (entries === undefined) return [{ kind: 'unknown', what: 'a verdict map ipfo cannot read' }]
  if (v.kind === 'absent') return [{ kind: 'next' }]
  if (v.kind === 'unknown') return [...verdicts.map((x) => x.action), { kind: 'next' }]
  const hits = verdicts.map((x) => ({ ...x, hit: test(v, x.k, lookup) }))
  const sure = hits.find((h) => h.hit === true)
  if (sure) return [sure.action]
  const maybe = hits.filter((h) => h.hit === undefined).map((h) => h.action)
  return [...maybe, { kind: 'next' }]
}
