import { AddressError } from '../../src/model/errors.js'
import { addressKey, cidr, type InterfaceAddress } from '../../src/model/ip.js'
import type { AddressControl } from '../../src/model/ports.js'

export interface AddressOperation {
  readonly op: 'add' | 'remove' | 'announce'
  readonly address: string
  readonly at: number
  readonly node: string
}

/**
 * An in-memory interface table. Records every operation with the time it happened, and can be told
 * to fail adds on an interface, so tests can check order, idempotence and rollback.
 */
export class FakeAddressControl implements AddressControl {
  readonly held = new Set<string>()
  readonly log: AddressOperation[] = []
  failAddOn: string | undefined
  /** None by default, as a platform without one; a test sets it to watch a rehearsal. */
  rehearse?: (addresses: readonly InterfaceAddress[]) => Promise<void>

  /**
   * @param journal shared between nodes' fakes, so a test sees every node's operations in the order
   *   they happened even when the fake clock shows them at the same millisecond
   */
  constructor(
    private readonly now: () => number = () => 0,
    private readonly node = 'node',
    private readonly journal: AddressOperation[] = [],
  ) {}

  private record(op: AddressOperation['op'], a: InterfaceAddress): void {
    const entry = { op, address: cidr(a), at: this.now(), node: this.node }
    this.log.push(entry)
    this.journal.push(entry)
  }

  async present(candidates: readonly InterfaceAddress[]): Promise<InterfaceAddress[]> {
    return candidates.filter((a) => this.held.has(addressKey(a)))
  }

  async add(a: InterfaceAddress): Promise<void> {
    if (this.failAddOn === a.interface) {
      throw new AddressError(`cannot add ${cidr(a)}: interface ${a.interface} does not exist`, {
        command: ['ip', 'addr', 'add', cidr(a), 'dev', a.interface],
        exitCode: 1,
        stderr: `Cannot find device "${a.interface}"`,
      })
    }
    this.held.add(addressKey(a))
    this.record('add', a)
  }

  /** Removes fail while set, as `ip` does without CAP_NET_ADMIN. */
  failRemove = false

  async remove(a: InterfaceAddress): Promise<void> {
    if (this.failRemove)
      throw new AddressError(`cannot remove ${cidr(a)}: Operation not permitted`, {
        command: ['ip', 'addr', 'del', cidr(a), 'dev', a.interface],
        exitCode: 2,
        stderr: 'RTNETLINK answers: Operation not permitted',
      })
    this.held.delete(addressKey(a))
    this.record('remove', a)
  }

  async announce(a: InterfaceAddress): Promise<void> {
    this.record('announce', a)
  }

  has(ip: string): boolean {
    return [...this.held].some((k) => k.startsWith(`${ip}/`))
  }
}

/** Replays a shared journal: the operation indexes at which two nodes held the same address. */
export function doubleHolds(journal: readonly AddressOperation[]): number[] {
  const holders = new Map<string, Set<string>>()
  const overlaps: number[] = []
  journal.forEach((op, i) => {
    const on = holders.get(op.address) ?? new Set<string>()
    holders.set(op.address, on)
    if (op.op === 'add') on.add(op.node)
    if (op.op === 'remove') on.delete(op.node)
    if (on.size > 1) overlaps.push(i)
  })
  return overlaps
}
