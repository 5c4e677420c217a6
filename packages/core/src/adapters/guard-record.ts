import { readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import type { EventOf } from '../model/events.js'
import { replaceFile } from './atomic-write.js'

/** What the guard left for the next agent: the event it logged when it acted. */
const FILE = 'guard-acted.json'

export async function leaveGuardRecord(stateDir: string, event: EventOf<'guard-acted'>): Promise<void> {
  await replaceFile(join(stateDir, FILE), `${JSON.stringify(event)}\n`, { mode: 0o600 })
}

/**
 * The guard's record, if the last run of the agent ended in one, removed as it is read so that it is
 * reported once. A damaged record is reported as such rather than lost in silence.
 */
export async function takeGuardRecord(
  stateDir: string,
): Promise<{ event?: EventOf<'guard-acted'>; damaged?: string } | undefined> {
  const path = join(stateDir, FILE)
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch {
    return undefined
  }
  await rm(path, { force: true })
  try {
    const event = JSON.parse(text) as EventOf<'guard-acted'>
    if (event.kind !== 'guard-acted' || typeof event.time !== 'number')
      throw new Error('not a guard-acted event')
    // A record left by an older guard has no tookMs.
    return {
      event: { ...event, tookMs: typeof event.tookMs === 'number' ? event.tookMs : 0, recorded: true },
    }
  } catch (error) {
    return { damaged: `${path}: ${error instanceof Error ? error.message : String(error)}` }
  }
}
