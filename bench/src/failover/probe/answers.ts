/**
 * What the client saw, as data: every answer to its unicast probes (who answered, when) and, per
 * broadcast probe, which nodes answered. Pure, so the outage and double-answer arithmetic is tested
 * without namespaces.
 */
export interface Answers {
  /** Unicast answers in arrival order. */
  readonly unicast: { readonly seq: number; readonly node: string; readonly at: number }[]
  /** Broadcast probe seq -> the nodes that answered it and when the first answer came. */
  readonly broadcast: Map<number, { readonly nodes: Set<string>; readonly at: number }>
  sent: number
}

export function emptyAnswers(): Answers {
  return { unicast: [], broadcast: new Map(), sent: 0 }
}

/** Adds one prober line ("u 12 a 1764072000123.456"); ignores anything else. */
export function record(answers: Answers, line: string): void {
  const [kind, seqText, node, atText] = line.split(' ')
  const seq = Number(seqText)
  const at = Number(atText)
  if (kind === 'sent') answers.sent = seq
  if (!node || !Number.isFinite(seq) || !Number.isFinite(at)) return
  if (kind === 'u') answers.unicast.push({ seq, node, at })
  if (kind === 'b') {
    const entry = answers.broadcast.get(seq)
    if (entry) entry.nodes.add(node)
    else answers.broadcast.set(seq, { nodes: new Set([node]), at })
  }
}

export interface Gap {
  readonly ms: number
  /** The last answer before the gap and the first after it (undefined: none in the window). */
  readonly from: { readonly node: string; readonly at: number } | undefined
  readonly to: { readonly node: string; readonly at: number } | undefined
}

/**
 * The longest time without any unicast answer within [from, to]. A window that ends in silence
 * counts up to `to` (the outage is then at least that long).
 */
export function longestGap(answers: Answers, from: number, to: number): Gap {
  let best: Gap = { ms: 0, from: undefined, to: undefined }
  let previous: { node: string; at: number } | undefined
  for (const answer of answers.unicast) {
    if (answer.at < from) {
      previous = answer
      continue
    }
    if (answer.at > to) break
    if (previous && answer.at - previous.at > best.ms) {
      best = { ms: answer.at - previous.at, from: previous, to: answer }
    }
    previous = answer
  }
  if (previous && to - previous.at > best.ms) best = { ms: to - previous.at, from: previous, to: undefined }
  return best
}

/** The first unicast answer from `node` at or after `since`. */
export function firstAnswer(answers: Answers, node: string, since: number): number | undefined {
  return answers.unicast.find((a) => a.node === node && a.at >= since)?.at
}

/** The newest unicast answer's time and node. */
export function lastAnswer(answers: Answers): { node: string; at: number } | undefined {
  return answers.unicast.at(-1)
}

/** Broadcast probes answered by two nodes or more, first answered within [from, to]. */
export function doubleAnswers(answers: Answers, from: number, to: number): number {
  let count = 0
  for (const { nodes, at } of answers.broadcast.values()) {
    if (nodes.size > 1 && at >= from && at <= to) count++
  }
  return count
}

/** Unicast probes answered by more than one node (only possible while a frame is flooded). */
export function doubleUnicast(answers: Answers): number {
  const bySeq = new Map<number, Set<string>>()
  for (const a of answers.unicast) {
    const nodes = bySeq.get(a.seq) ?? new Set<string>()
    nodes.add(a.node)
    bySeq.set(a.seq, nodes)
  }
  return [...bySeq.values()].filter((nodes) => nodes.size > 1).length
}
