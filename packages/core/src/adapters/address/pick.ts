import { IpfoError } from '../../model/errors.js'
import type { AddressControl, CommandRunner, FrameSender, IpBatch, TakeoverTrace } from '../../model/ports.js'
import { darwinAddressControl } from './darwin.js'
import { linuxAddressControl } from './linux.js'

/**
 * The address control for `platform` (the caller passes `process.platform`: core reads no globals).
 * On Linux, `batch` is the long-lived `ip -batch -` that adds and removes addresses, and `frames`
 * makes the sender of gratuitous ARP frames; `missing` names the announcement tools not installed.
 */
export function platformAddressControl(
  platform: NodeJS.Platform,
  runner: CommandRunner,
  opts: {
    batch?: IpBatch
    frames?: () => FrameSender
    missing?: ReadonlySet<string>
    trace?: TakeoverTrace
  } = {},
): AddressControl {
  switch (platform) {
    case 'linux':
      return linuxAddressControl({
        runner,
        ...(opts.batch ? { batch: opts.batch } : {}),
        ...(opts.frames ? { frames: opts.frames() } : {}),
        ...(opts.missing ? { missing: opts.missing } : {}),
        ...(opts.trace ? { trace: opts.trace } : {}),
      })
    case 'darwin':
      return darwinAddressControl({ runner })
    default:
      throw new IpfoError(`ipfo cannot manage addresses on ${platform}: it supports Linux and macOS`, {
        hint: 'run the agent on a Linux or macOS host',
      })
  }
}
