import { readFile } from 'node:fs/promises'
import { addressKey, type InterfaceAddress } from '../../model/ip.js'
import type { AddressControl } from '../../model/ports.js'
import { replaceFile } from '../atomic-write.js'

/**
 * An address control that changes no interface: it keeps the "held" set in a JSON file, so a
 * restarted agent reconciles as it would against real interfaces. For the demo without root, and for
 * dry runs. Every operation is logged through `onChange`.
 */
export function simulatedAddressControl(
  stateFile: string,
  onChange?: (line: string) => void,
): AddressControl {
  const load = async (): Promise<string[]> =>
    JSON.parse(await readFile(stateFile, 'utf8').catch(() => '[]')) as string[]
  const save = (held: string[]) => replaceFile(stateFile, JSON.stringify(held))
  return {
    async present(candidates) {
      const held = new Set(await load())
      return candidates.filter((a) => held.has(addressKey(a)))
    },
    async add(a: InterfaceAddress) {
      const held = new Set(await load())
      held.add(addressKey(a))
      await save([...held])
      onChange?.(`(simulated) ip addr add ${a.ip}/${a.prefix} dev ${a.interface}`)
    },
    async remove(a: InterfaceAddress) {
      const held = new Set(await load())
      held.delete(addressKey(a))
      await save([...held])
      onChange?.(`(simulated) ip addr del ${a.ip}/${a.prefix} dev ${a.interface}`)
    },
    async announce(a: InterfaceAddress, opts) {
      onChange?.(`(simulated) announce ${a.ip} ${opts.count} times`)
    },
  }
}
