import type { ReplaySnapshot } from '../model/ports.js'

interface NodeMarks {
  /** The highest incarnation accepted on any link, or remembered from a previous run. */
  incarnation: number | undefined
  /** Per link, the last (incarnation, seq) accepted there. */
  links: Map<string, { incarnation: number; seq: number }>
}

export type ReplayVerdict = { ok: true; restarted: boolean } | { ok: false; detail: string }

/**
 * Remembers, per (node, link), the highest incarnation and sequence accepted, so a recorded heartbeat
 * cannot be played back to keep a dead node "alive". Feed it only authenticated packets from known
 * peers: it keeps an entry for every node and link it is given.
 */
export class ReplayGuard {
  readonly #nodes = new Map<string, NodeMarks>()

  /**
   * 'ok' when (incarnation, seq) is newer than anything accepted before for this node+link, and records
   * it; otherwise 'replay' with a reason. A higher incarnation resets the sequence (the sender
   * restarted). A lower incarnation is always a replay, whichever link it comes on. Equal incarnation
   * needs seq > last.
   *
   * `restarted` is true when the node's incarnation went up after one had been seen (accepted or
   * remembered), once per restart: not on the very first packet, nor on the other links after it.
   */
  accept(node: string, link: string, incarnation: number, seq: number): ReplayVerdict {
    const marks = this.#marks(node)
    const highest = marks.incarnation
    if (highest !== undefined && incarnation < highest) {
      return {
        ok: false,
        detail: `incarnation ${incarnation} is older than ${highest}, already seen from ${node}`,
      }
    }
    const last = marks.links.get(link)
    if (last !== undefined && last.incarnation === incarnation && seq <= last.seq) {
      return { ok: false, detail: `seq ${seq} on link ${link} is not after ${last.seq}, already accepted` }
    }
    marks.incarnation = incarnation
    marks.links.set(link, { incarnation, seq })
    return { ok: true, restarted: highest !== undefined && incarnation > highest }
  }

  /** The latest incarnation accepted from a node (or remembered for it), for persisting across restarts. */
  incarnationOf(node: string): number | undefined {
    return this.#nodes.get(node)?.incarnation
  }

  /**
   * Seed from persisted state: packets with an incarnation below this are replays. Sequences are not
   * persisted, so packets of this same incarnation are accepted again from seq 1.
   */
  remember(node: string, incarnation: number): void {
    const marks = this.#marks(node)
    if (marks.incarnation === undefined || incarnation > marks.incarnation) marks.incarnation = incarnation
  }

  /** Everything accepted so far, for persisting across restarts (see `restore`). */
  snapshot(): ReplaySnapshot {
    const nodes: ReplaySnapshot['nodes'] = {}
    for (const [node, marks] of this.#nodes) {
      nodes[node] = { incarnation: marks.incarnation ?? null, links: Object.fromEntries(marks.links) }
    }
    return { nodes }
  }

  /**
   * Seeds from a snapshot saved by an earlier run, so a heartbeat recorded before this agent
   * restarted is still a replay afterwards.
   */
  restore(snapshot: ReplaySnapshot): void {
    for (const [node, saved] of Object.entries(snapshot.nodes ?? {})) {
      if (typeof saved?.incarnation === 'number') this.remember(node, saved.incarnation)
      const marks = this.#marks(node)
      for (const [link, mark] of Object.entries(saved?.links ?? {})) {
        if (typeof mark?.incarnation !== 'number' || typeof mark.seq !== 'number') continue
        const current = marks.links.get(link)
        if (
          !current ||
          mark.incarnation > current.incarnation ||
          (mark.incarnation === current.incarnation && mark.seq > current.seq)
        ) {
          marks.links.set(link, { incarnation: mark.incarnation, seq: mark.seq })
        }
      }
    }
  }

  #marks(node: string): NodeMarks {
    let marks = this.#nodes.get(node)
    if (marks === undefined) {
      marks = { incarnation: undefined, links: new Map() }
      this.#nodes.set(node, marks)
    }
    return marks
  }
}
