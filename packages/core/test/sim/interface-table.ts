/**
 * The hosts' interfaces: which node has which address on eth0 right now, and whether eth0 has a
 * carrier. This, not any engine's idea of it, is what the invariants judge.
 */
export class InterfaceTable {
  private readonly held = new Map<string, Set<string>>()
  private readonly carrier = new Map<string, boolean>()
  /** Called after every change, with the address that changed (undefined for a carrier). */
  onChange: (node: string, address: string | undefined) => void = () => undefined

  constructor(nodes: readonly string[]) {
    for (const n of nodes) {
      this.held.set(n, new Set())
      this.carrier.set(n, true)
    }
  }

  has(node: string, address: string): boolean {
    return this.held.get(node)?.has(address) ?? false
  }

  add(node: string, address: string): void {
    const set = this.held.get(node)
    if (!set || set.has(address)) return
    set.add(address)
    this.onChange(node, address)
  }

  remove(node: string, address: string): void {
    const set = this.held.get(node)
    if (!set?.delete(address)) return
    this.onChange(node, address)
  }

  /** A machine reset: every address is gone from its interfaces. */
  wipe(node: string): void {
    for (const address of [...(this.held.get(node) ?? [])]) this.remove(node, address)
  }

  holders(address: string): string[] {
    const out: string[] = []
    for (const [node, set] of this.held) if (set.has(address)) out.push(node)
    return out
  }

  carrierUp(node: string): boolean {
    return this.carrier.get(node) ?? true
  }

  setCarrier(node: string, up: boolean): void {
    if (this.carrierUp(node) === up) return
    this.carrier.set(node, up)
    this.onChange(node, undefined)
  }
}
