import type { ListedAddress } from '../hooks/inventory.js'
import type { Output } from './output.js'

/** `ipfo hooks list`: every address folder's scripts in run order, and what a root agent would refuse. */
export async function listInstalledHooks(
  flags: {
    readonly dir?: string | undefined
    readonly config: string
    readonly address?: string | undefined
  },
  out: Output,
): Promise<{ hooksDir: string; addresses: ListedAddress[] }> {
  const { resolveHooksDir } = await import('../hooks/hooks-dir.js')
  const { listHooks } = await import('../hooks/inventory.js')
  const hooksDir = await resolveHooksDir(flags)
  const addresses = await listHooks(hooksDir, flags.address)
  if (addresses.length === 0)
    out.log(`no hooks in ${hooksDir}${flags.address ? ` for ${flags.address}` : ''}`)
  for (const { address, hooks } of addresses) {
    out.log(`${address}:${hooks.length === 0 ? ' (no hooks)' : ''}`)
    for (const h of hooks) {
      const what = h.hook ? `  ${h.hook}${h.sidecar ? '' : ' (no options file)'}` : ''
      out.log(`  ${h.stage.padEnd(7)} ${h.script.padEnd(28)} ${h.mode} ${h.owner.padEnd(8)}${what}`)
      if (h.refused) out.log(`          REFUSED: ${h.refused.reason} (fix: ${h.refused.fix})`)
    }
  }
  return { hooksDir, addresses }
}
