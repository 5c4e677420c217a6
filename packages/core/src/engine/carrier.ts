import type { InterfaceAddress } from '../model/ip.js'
import type { CarrierWatch } from '../model/ports.js'
import type { Input } from '../state-machine/inputs.js'
import type { Emit } from './event-stream.js'

/**
 * Starts the carrier watch on every interface with an address of this node's; an interface down
 * already is reported to the machine at once. A watch that cannot start is said, not fatal: the
 * agent runs on without carrier events.
 */
export async function watchCarrier(
  carrier: CarrierWatch | undefined,
  addresses: readonly InterfaceAddress[],
  apply: (input: Input) => void,
  emit: Emit,
): Promise<void> {
  if (!carrier) return
  const interfaces = [...new Set(addresses.map((a) => a.interface))]
  try {
    const now = await carrier.start(interfaces, (iface, up) =>
      apply({ kind: 'carrier', interface: iface, up }),
    )
    for (const [iface, up] of Object.entries(now)) if (!up) apply({ kind: 'carrier', interface: iface, up })
  } catch (error) {
    const message = `${error instanceof Error ? error.message : String(error)}; carriers are not watched`
    emit({ kind: 'error', message, context: 'carrier watch' })
  }
}
