import { mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs'
import { readdir, readFile, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import { processGroupAlive, stopProcessGroup } from './process-group.js'

/** Where running hook process groups are written down, so a restarted agent can stop what a killed one left. */
export interface HookRegistry {
  add(pgid: number, script: string): void
  remove(pgid: number): void
}

interface Record_ {
  readonly pgid: number
  readonly script: string
  /** Linux: the process's start time (clock ticks since boot), so a reused pid is not mistaken for it. */
  readonly start: string | undefined
}

function startTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]
  } catch {
    return undefined
  }
}

/** Files in `<stateDir>/hooks-running/`, one per running hook's process group. */
export function fileHookRegistry(stateDir: string): HookRegistry {
  const dir = join(stateDir, 'hooks-running')
  return {
    add(pgid, script) {
      try {
        mkdirSync(dir, { recursive: true, mode: 0o700 })
        writeFileSync(join(dir, `${pgid}.json`), JSON.stringify({ pgid, script, start: startTime(pgid) }), {
          mode: 0o600,
        })
      } catch {
        // Best effort: without it, only reaping after a crash is lost.
      }
    },
    remove(pgid) {
      try {
        unlinkSync(join(dir, `${pgid}.json`))
      } catch {
        // already gone
      }
    },
  }
}

/**
 * Stops the hook process groups an earlier run left behind (it was killed while they ran): SIGTERM,
 * then SIGKILL after `graceMs`. A group whose leader is now a different process (the pid was
 * reused) is left alone. Returns what was stopped.
 */
export async function reapLeftoverHooks(
  stateDir: string,
  graceMs = 2_000,
): Promise<{ pgid: number; script: string }[]> {
  const dir = join(stateDir, 'hooks-running')
  const reaped: { pgid: number; script: string }[] = []
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    const file = join(dir, name)
    let record: Record_ | undefined
    try {
      record = JSON.parse(await readFile(file, 'utf8')) as Record_
    } catch {
      record = undefined
    }
    await unlink(file).catch(() => undefined)
    if (!record || !processGroupAlive(record.pgid)) continue
    if (record.start !== undefined && startTime(record.pgid) !== record.start) continue
    await stopProcessGroup(record.pgid, graceMs)
    reaped.push({ pgid: record.pgid, script: record.script })
  }
  return reaped
}
