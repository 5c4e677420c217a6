import { ipBatch } from '../adapters/address/ip-batch.js'
import { netlinkBatch, type RtNetlink } from '../adapters/address/netlink-batch.js'
import type { LinkNotice, RtLinks } from '../adapters/carrier-netlink.js'
import type { Config } from '../config/schema.js'
import { ConfigError } from '../model/errors.js'
import type { IpBatch } from '../model/ports.js'

export type AddressPath = 'netlink' | 'ip-batch'

/** An rtnetlink socket from the optional npm package `netlink`, or why there is none. */
export async function openRtNetlink(): Promise<RtNetlink | Error> {
  try {
    // Its rtnetlink part alone: the package's index loads nl80211, genl and WireGuard too (some
    // 250 KB of generated code the agent never calls). Pinned at 0.3.0, whose layout this names.
    const { createRtNetlink } = await import('netlink/dist/rt/rt.js')
    return createRtNetlink() as unknown as RtNetlink
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error))
  }
}

/**
 * An rtnetlink socket of its own for the carrier watch (link notices and dumps), with the package's
 * link parser; or why there is none.
 */
export async function openRtLinks(): Promise<RtLinks | Error> {
  try {
    const [{ createRtNetlink }, { parseLinkMessage }] = await Promise.all([
      import('netlink/dist/rt/rt.js'),
      import('netlink/dist/rt/structs.js'),
    ])
    const rt = createRtNetlink()
    return {
      getLinks: (data, attrs, options) => rt.getLinks(data, attrs, options) as Promise<readonly LinkNotice[]>,
      addMembership: (group) => rt.addMembership(group),
      socket: rt.socket as unknown as RtLinks['socket'],
      parseLink: (data) => parseLinkMessage(data) as LinkNotice,
    }
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error))
  }
}

/**
 * Where a Linux agent's address changes go, as `addressChanges` says: in-process over rtnetlink, or
 * through one long-lived `ip -batch`. `auto` takes netlink when the package loads; `netlink` said
 * outright and not loadable is a config error, before anything starts.
 */
export async function addressBatch(
  config: Pick<Config, 'addressChanges'>,
  configFile: string | undefined,
  onError: (message: string) => void,
  open: () => Promise<RtNetlink | Error> = openRtNetlink,
): Promise<{ batch: IpBatch; path: AddressPath }> {
  if (config.addressChanges === 'ip-batch') return { batch: ipBatch(), path: 'ip-batch' }
  const rt = await open()
  if (!(rt instanceof Error))
    return { batch: netlinkBatch(rt, () => ipBatch(), { onError }), path: 'netlink' }
  if (config.addressChanges === 'auto') return { batch: ipBatch(), path: 'ip-batch' }
  throw new ConfigError(`addressChanges is netlink, but rtnetlink could not be opened: ${rt.message}`, {
    ...(configFile === undefined ? {} : { file: configFile }),
    path: 'addressChanges',
    hint: 'install the optional dependency (npm install netlink@0.3.0 where @ipfo/core is installed), run as root (CAP_NET_ADMIN), or set addressChanges: ip-batch',
  })
}
