import { AddressError } from '../model/errors.js'
import { cidr, type InterfaceAddress } from '../model/ip.js'
import type { AddressControl } from '../model/ports.js'
import type { EventBody } from '../state-machine/effects.js'

/** Removes each address; a failure is reported (with the command and its hint) and the rest go on. Resolves whether any failed. */
export async function removeAll(
  addresses: readonly InterfaceAddress[],
  deps: { readonly address: AddressControl; readonly emit: (event: EventBody) => void },
): Promise<boolean> {
  let failed = false
  for (const a of addresses) {
    try {
      await deps.address.remove(a)
    } catch (error) {
      failed = true
      deps.emit({
        kind: 'error',
        message: describeFailure(error),
        context: `removing ${cidr(a)} from ${a.interface}`,
      })
    }
  }
  return failed
}

/** An error as one line: an address command's with the command, what it said and the hint. */
export function describeFailure(error: unknown): string {
  if (error instanceof AddressError)
    return `${error.message} (${error.command.join(' ')}: ${error.stderr.trim()})${error.hint ? `; ${error.hint}` : ''}`
  return error instanceof Error ? error.message : String(error)
}
