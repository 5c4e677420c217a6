import type { Config } from '../config/schema.js'
import type { InterfaceAddress } from '../model/ip.js'
import type { AddressControl, Journal, JournalEntry } from '../model/ports.js'
import { type RemainingStep, recoveryDecision } from '../state-machine/recovery.js'
import type { Emit } from './event-stream.js'
import { allAddresses, ownersOf } from './machine-setup.js'

/**
 * At start: which sets of addresses are on the interfaces. A complete set counts as held, so it is
 * neither added twice nor dropped; half a set (a crash mid-checklist) is removed, so the set is
 * acquired whole, in order. Without `keep` (a quorum store decides who holds) every set found is
 * removed. Reports `reconciled` (what was found); returns the owners whose sets are held, and those
 * whose whole set was found and removed (`dropped`: what their PostAcq set up is still in place).
 */
export async function reconcileAddresses(
  config: Config,
  address: AddressControl,
  emit: Emit,
  opts: { keep: boolean } = { keep: true },
): Promise<{ held: string[]; dropped: { owner: string; addresses: InterfaceAddress[] }[] }> {
  const all = allAddresses(config)
  const present = await address.present(all)
  const isPresent = (a: InterfaceAddress) => present.some((p) => p.ip === a.ip && p.interface === a.interface)
  const held: string[] = []
  const dropped: { owner: string; addresses: InterfaceAddress[] }[] = []
  for (const o of ownersOf(config)) {
    if (o.addresses.length === 0) continue
    const here = o.addresses.filter(isPresent)
    const whole = here.length === o.addresses.length
    if (whole && opts.keep) held.push(o.owner)
    else {
      for (const a of here) await address.remove(a)
      if (whole) dropped.push({ owner: o.owner, addresses: [...o.addresses] })
    }
  }
  emit({
    kind: 'reconciled',
    present: all.filter(isPresent).map((a) => `${a.ip}/${a.prefix}`),
    absent: all.filter((a) => !isPresent(a)).map((a) => `${a.ip}/${a.prefix}`),
  })
  return { held, dropped }
}

/**
 * Checklists an earlier run was killed in the middle of, decided by `recoveryDecision` on what the
 * reconcile found: each gets a `checklist-recovered` and leaves the journal; those to finish are
 * returned with the steps they still have to run, once the engine is up. An acquire rolled back
 * after its PreAcq began is undone here (`undoPreAcq`, awaited), before the machine can start
 * another checklist for the same addresses: their hooks must not run side by side.
 */
export async function recoverInterrupted(
  journal: Journal | undefined,
  held: readonly string[],
  emit: Emit,
  undoPreAcq: (entry: JournalEntry) => Promise<void>,
): Promise<{ unfinished: { entry: JournalEntry; steps: readonly RemainingStep[] }[]; undone: string[] }> {
  const leftovers = journal ? await journal.leftovers().catch(() => []) : []
  const unfinished: { entry: JournalEntry; steps: readonly RemainingStep[] }[] = []
  const undone: string[] = []
  for (const entry of leftovers) {
    const decision = recoveryDecision(entry, held.includes(entry.owner))
    if (decision.kind !== 'forget') {
      if (decision.kind === 'finished') unfinished.push({ entry, steps: decision.steps })
      const undo = decision.kind === 'rolled-back' && decision.undoPreAcq
      emit({
        kind: 'checklist-recovered',
        action: entry.action,
        owner: entry.owner,
        addresses: entry.addresses.map((a) => `${a.ip}/${a.prefix}`),
        decision: decision.kind,
        reason: decision.reason,
        hooksUndone: undo,
      })
      if (undo) {
        await undoPreAcq(entry)
        undone.push(entry.owner)
      }
    }
    await journal?.remove(entry.key).catch(() => undefined)
  }
  return { unfinished, undone }
}
