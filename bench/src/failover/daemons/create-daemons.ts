import type { Setting } from '../settings.js'
import type { Stage } from '../stage.js'
import type { Daemons } from './daemon-set.js'
import { ipfoDaemons } from './ipfo.js'
import { keepalivedDaemons } from './keepalived.js'
import { ucarpDaemons } from './ucarp.js'

export type { Daemons } from './daemon-set.js'

/**
 * Writes the setting's config files into `dir` and returns a daemon for each of the stage's nodes,
 * not yet started. With `serviceCheck`, the daemons check the node's service and move the VIP off a
 * node whose service fails (the service-death fault); ucarp cannot, nor does it run on three nodes.
 */
export function createDaemons(
  stage: Stage,
  setting: Setting,
  dir: string,
  serviceCheck = false,
): Promise<Daemons> {
  switch (setting.system) {
    case 'ipfo':
      return ipfoDaemons(stage, setting, dir, serviceCheck)
    case 'keepalived':
      return keepalivedDaemons(stage, setting, dir, serviceCheck)
    case 'ucarp':
      if (serviceCheck) throw new Error('ucarp has no health checks: it cannot follow a service')
      if (stage.nodes.length > 2) throw new Error('ucarp runs as a pair only')
      return ucarpDaemons(stage, setting, dir)
  }
}
