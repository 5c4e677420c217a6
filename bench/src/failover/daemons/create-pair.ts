import type { Setting } from '../settings.js'
import type { Stage } from '../stage.js'
import { ipfoPair } from './ipfo.js'
import { keepalivedPair } from './keepalived.js'
import type { DaemonPair } from './pair.js'
import { ucarpPair } from './ucarp.js'

export type { DaemonPair } from './pair.js'

/**
 * Writes the setting's config files into `dir` and returns its two daemons, not yet started. With
 * `serviceCheck`, the daemons check the node's service and move the VIP off a node whose service
 * fails (the service-death fault); ucarp cannot.
 */
export function createPair(
  stage: Stage,
  setting: Setting,
  dir: string,
  serviceCheck = false,
): Promise<DaemonPair> {
  switch (setting.system) {
    case 'ipfo':
      return ipfoPair(stage, setting, dir, serviceCheck)
    case 'keepalived':
      return keepalivedPair(stage, setting, dir, serviceCheck)
    case 'ucarp':
      if (serviceCheck) throw new Error('ucarp has no health checks: it cannot follow a service')
      return ucarpPair(stage, setting, dir)
  }
}
