import type { ConfigInput } from '@ipfo/core'

/**
 * Where the demo runs: real network namespaces (root), or loopback with simulated addresses.
 * The story is the same; only the ground under it changes. `N` names the nodes: a owns the VIP, the
 * others take it over in their order (a pair: `a` and `b`; a trio: `a`, `b`, `c`).
 */
export interface Stage<N extends string = 'a' | 'b'> {
  readonly mode: 'namespaces' | 'loopback'
  /** What the demo says about the ground it runs on. */
  readonly description: string
  readonly vip: string
  /** The nodes, the VIP's owner first, then its takers in order. */
  readonly nodes: readonly N[]
  /** Config for a node (see `nodeRoles`), minus node/key/paths, which the demo adds. */
  config(node: N): Omit<ConfigInput, 'node' | 'key' | 'paths'>
  /** How to run `ipfo agent` for this node. */
  agentCommand(node: N, args: readonly string[]): string[]
  /** After the agent is killed: cut the node off, as a dead machine is. */
  isolate(node: N): Promise<void>
  /** Before the node comes back: a rebooted machine has lost its addresses; reconnect it. */
  revive(node: N): Promise<void>
  /**
   * Which nodes hold the VIP right now, read from the interfaces (or the simulation's files), of
   * `among` (default: every node) one after the other in the nodes' order: a's first, so a look
   * during a failback to a that shows two proves both held it.
   */
  holders(among?: readonly N[]): Promise<string[]>
  /** Starts a client probing the VIP every `everyMs` (default 2), if this stage has a client. */
  startProbe?(everyMs?: number): Promise<ProbeHandle>
  /** Said once before the story starts: what this stage does without (a missing tool, say). */
  readonly caveat?: string
  destroy(): Promise<void>
}

export interface ProbeHandle {
  /** Resolves true once the client hears `node` answer for the VIP, false after `timeoutMs`. */
  hears(node: string, timeoutMs: number): Promise<boolean>
  /** Stops probing and returns the longest run of unanswered probes, in ms. */
  stop(): Promise<{ probes: number; answered: number; longestOutageMs: number }>
  /** Stops the probe's processes without totals (the demo failed). */
  abort(): Promise<void>
}
