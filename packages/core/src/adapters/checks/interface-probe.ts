import { readFile } from 'node:fs/promises'
import type { HealthResult } from '../../model/health.js'

/**
 * An `interface` health check (keepalived's track_interface): the interface exists, is up and has
 * its carrier. Read from sysfs, in the agent's own loop (two small reads, no process). An interface
 * set down reads as an error on `carrier` (EINVAL): that is "down", not a broken check.
 */
export async function interfaceProbe(name: string, sysfs = '/sys/class/net'): Promise<HealthResult> {
  const read = (file: string) =>
    readFile(`${sysfs}/${name}/${file}`, 'utf8').then(
      (text) => text.trim(),
      (error: NodeJS.ErrnoException) => error,
    )
  const operstate = await read('operstate')
  if (operstate instanceof Error) {
    return {
      ok: false,
      detail: operstate.code === 'ENOENT' ? `${name} does not exist` : `${name}: ${operstate.code}`,
    }
  }
  const carrier = await read('carrier')
  if (carrier instanceof Error || operstate === 'down') return { ok: false, detail: `${name} is down` }
  if (carrier !== '1') return { ok: false, detail: `${name} has no carrier (${operstate})` }
  // "unknown": drivers that do not report it (dummy, some tunnels) while up and running.
  if (operstate !== 'up' && operstate !== 'unknown') return { ok: false, detail: `${name} is ${operstate}` }
  return { ok: true, detail: `${name} up` }
}
