import { Prng } from './prng.js'
import type { Latencies, LinkName } from './schedule.js'
import type { Scheduler } from './scheduler.js'

/** A condition on the heartbeat network while a fault lasts. */
export type NetworkRule =
  | {
      readonly kind: 'partition'
      readonly groups: readonly (readonly string[])[]
      readonly links?: readonly LinkName[]
    }
  | { readonly kind: 'cut'; readonly from: string; readonly to: string; readonly links?: readonly LinkName[] }
  | {
      readonly kind: 'sever'
      readonly between: readonly [string, string]
      readonly links?: readonly LinkName[]
    }
  | {
      readonly kind: 'loss'
      readonly p: number
      readonly from?: string
      readonly to?: string
      readonly links?: readonly LinkName[]
    }
  | {
      readonly kind: 'delay'
      readonly extraMs: number
      readonly jitterMs: number
      readonly from?: string
      readonly to?: string
      readonly links?: readonly LinkName[]
    }

export type Receiver = (from: string, link: LinkName, data: Buffer) => void

/**
 * The heartbeat links between the nodes. A packet sent on a link reaches every other node on it
 * after the link's delay (plus jitter, which reorders), unless a rule drops it. The `public` link
 * runs over eth0: a node whose eth0 has no carrier is off it. Every (sender, receiver, link) has its
 * own random stream.
 */
export class Network {
  private readonly rules = new Set<NetworkRule>()
  private readonly receivers = new Map<string, Receiver>()
  private readonly streams = new Map<string, Prng>()
  /** Per `from>to`, when the last packet sent later than the healthy delay arrives (a delay fault). */
  private readonly lateUntil = new Map<string, number>()

  constructor(
    private readonly scheduler: Scheduler,
    private readonly seed: number,
    readonly nodes: readonly string[],
    readonly links: readonly LinkName[],
    private readonly latency: Latencies,
    private readonly carrierUp: (node: string) => boolean,
  ) {}

  addRule(rule: NetworkRule): void {
    this.rules.add(rule)
  }

  removeRule(rule: NetworkRule): void {
    this.rules.delete(rule)
  }

  listen(node: string, receiver: Receiver | undefined): void {
    if (receiver) this.receivers.set(node, receiver)
    else this.receivers.delete(node)
  }

  send(from: string, link: LinkName, data: Buffer): void {
    if (!this.attached(from, link)) return
    for (const to of this.nodes) {
      if (to === from || this.blockedByRule(from, to, link)) continue
      const stream = this.stream(from, to, link)
      if (stream.chance(this.lossOf(from, to, link))) continue
      const delay = this.delayOf(from, to, link, stream)
      if (delay > this.latency.delayMs + this.latency.jitterMs) {
        const key = `${from}>${to}`
        this.lateUntil.set(key, Math.max(this.lateUntil.get(key) ?? 0, this.scheduler.now + delay))
      }
      const copy = Buffer.from(data)
      this.scheduler.at(
        this.scheduler.now + delay,
        () => {
          // Pulled off the link while the packet was on its way: lost with the cable.
          if (!this.attached(to, link)) return
          this.receivers.get(to)?.(from, link, copy)
        },
        { node: to, phase: 'io' },
      )
    }
  }

  /** When the last late packet from `from` reaches `to`: until then `to` may act on old news. */
  lateArrival(from: string, to: string): number {
    return this.lateUntil.get(`${from}>${to}`) ?? Number.NEGATIVE_INFINITY
  }

  attached(node: string, link: LinkName): boolean {
    return link !== 'public' || this.carrierUp(node)
  }

  /** Nothing sent from `from` on `link` can reach `to`. */
  blocked(from: string, to: string, link: LinkName): boolean {
    return (
      !this.attached(from, link) ||
      !this.attached(to, link) ||
      this.blockedByRule(from, to, link) ||
      this.lossOf(from, to, link) >= 1
    )
  }

  /** Every packet from `from` to `to` on `link` arrives, within the healthy delay. */
  clean(from: string, to: string, link: LinkName): boolean {
    if (!this.attached(from, link) || !this.attached(to, link)) return false
    for (const rule of this.rules) if (this.touches(rule, from, to, link)) return false
    return true
  }

  private blockedByRule(from: string, to: string, link: LinkName): boolean {
    for (const rule of this.rules) {
      if (!onLink(rule, link)) continue
      if (rule.kind === 'cut' && rule.from === from && rule.to === to) return true
      if (rule.kind === 'sever' && severs(rule.between, from, to)) return true
      if (rule.kind === 'partition' && groupOf(rule.groups, from) !== groupOf(rule.groups, to)) return true
    }
    return false
  }

  private lossOf(from: string, to: string, link: LinkName): number {
    let pass = 1
    for (const rule of this.rules)
      if (rule.kind === 'loss' && this.touches(rule, from, to, link)) pass *= 1 - rule.p
    return 1 - pass
  }

  private delayOf(from: string, to: string, link: LinkName, stream: Prng): number {
    let delay = this.latency.delayMs + stream.next() * this.latency.jitterMs
    for (const rule of this.rules)
      if (rule.kind === 'delay' && this.touches(rule, from, to, link))
        delay += rule.extraMs + stream.next() * rule.jitterMs
    return delay
  }

  private touches(rule: NetworkRule, from: string, to: string, link: LinkName): boolean {
    if (!onLink(rule, link)) return false
    switch (rule.kind) {
      case 'partition':
        return groupOf(rule.groups, from) !== groupOf(rule.groups, to)
      case 'cut':
        return rule.from === from && rule.to === to
      case 'sever':
        return severs(rule.between, from, to)
      default:
        return (rule.from === undefined || rule.from === from) && (rule.to === undefined || rule.to === to)
    }
  }

  private stream(from: string, to: string, link: LinkName): Prng {
    const key = `${from}>${to}@${link}`
    let stream = this.streams.get(key)
    if (!stream) {
      stream = Prng.derive(this.seed, key)
      this.streams.set(key, stream)
    }
    return stream
  }
}

function onLink(rule: NetworkRule, link: LinkName): boolean {
  return rule.links === undefined || rule.links.includes(link)
}

function severs(between: readonly [string, string], from: string, to: string): boolean {
  return (between[0] === from && between[1] === to) || (between[0] === to && between[1] === from)
}

/** The group a node is in; a node in no group is alone. */
function groupOf(groups: readonly (readonly string[])[], node: string): string {
  const i = groups.findIndex((g) => g.includes(node))
  return i === -1 ? `alone:${node}` : String(i)
}
