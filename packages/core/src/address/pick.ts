import { IpfoError } from '../errors.js'
import type { AddressControl, CommandRunner, IpBatch } from '../ports.js'
import { darwinAddressControl } from './darwin.js'
import { linuxAddressControl } from './linux.js'

/**
 * The address control for `platform` (the caller passes `process.platform`: core reads no globals).
 * On Linux, `ipBatch` makes the long-lived `ip -batch -` that adds and removes addresses.
 */
export function platformAddressControl(
  platform: NodeJS.Platform,
  runner: CommandRunner,
  opts: { ipBatch?: () => IpBatch } = {},
): AddressControl {
  switch (platform) {
    case 'linux':
      return linuxAddressControl({ runner, ...(opts.ipBatch ? { batch: opts.ipBatch() } : {}) })
    case 'darwin':
      return darwinAddressControl({ runner })
    default:
      throw new IpfoError(`ipfo cannot manage addresses on ${platform}: it supports Linux and macOS`, {
        hint: 'run the agent on a Linux or macOS host',
      })
  }
}
