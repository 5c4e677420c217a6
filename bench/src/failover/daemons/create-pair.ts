import type { Setting } from '../settings.js'
import type { Stage } from '../stage.js'
import { ipfoPair } from './ipfo.js'
import { keepalivedPair } from './keepalived.js'
import type { DaemonPair } from './pair.js'
import { ucarpPair } from './ucarp.js'

export type { DaemonPair } from './pair.js'

/** Writes the setting's config files into `dir` and returns its two daemons, not yet started. */
export function createPair(stage: Stage, setting: Setting, dir: string): Promise<DaemonPair> {
  switch (setting.system) {
    case 'ipfo':
      return ipfoPair(stage, setting, dir)
    case 'keepalived':
      return keepalivedPair(stage, setting, dir)
    case 'ucarp':
      return ucarpPair(stage, setting, dir)
  }
}
