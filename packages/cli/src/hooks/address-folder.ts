import { ConfigError } from '@ipfo/core/errors'
import { parseCidr } from '@ipfo/core/ip'

/** The address folder's name: the IP as ipfo spells it (a prefix, if given, is dropped). */
export function addressFolderName(address: string): string {
  const parsed = parseCidr(address)
  if (!parsed.ok)
    throw new ConfigError(parsed.reason, {
      hint: 'give the address the hooks are for, e.g. --address 192.168.1.100',
    })
  return parsed.ip
}
