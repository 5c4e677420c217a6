import { readdirSync, readFileSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { basename } from 'node:path'

/** How long the guard waits for the dead agent's `ip -batch` to end after SIGKILL. */
const WAIT_MS = 500

/** The process group of `pid` (Linux, from /proc), or undefined when it cannot be read. */
export async function processGroupOf(pid: number): Promise<number | undefined> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined)
  if (stat === undefined) return undefined
  const pgid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2])
  return Number.isInteger(pgid) && pgid > 0 ? pgid : undefined
}

/**
 * The live (not zombie) `ip ... -batch ...` processes of group `pgid`. Read synchronously: the guard
 * has nothing else to do at this moment, and a hundred small reads through the thread pool took 50 to
 * 150 ms on a busy machine against 2 ms this way.
 */
function batchesIn(pgid: number): number[] {
  const found: number[] = []
  const read = (path: string) => {
    try {
      return readFileSync(path, 'utf8')
    } catch {
      return '' // ended meanwhile
    }
  }
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    const stat = read(`/proc/${entry}/stat`)
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    if (Number(fields[2]) !== pgid || fields[0] === 'Z') continue
    const argv = read(`/proc/${entry}/cmdline`).split('\0')
    if (basename(argv[0] ?? '') === 'ip' && argv.includes('-batch')) found.push(Number(entry))
  }
  return found
}

/**
 * Ends the `ip -batch` a dead agent left running in its process group and waits until it is gone: an
 * address add it had been given just before the agent died then cannot land after the guard's
 * remove (the kernel does a netlink request whole or not at all). Only when the agent led its own
 * group (a service manager starts it so, as does a detached start): a group it shared (a shell's
 * job, a test runner's) holds other programs' `ip -batch` too. And only that: the agent's other
 * helpers change no address. Resolves to why it could not, or undefined.
 */
export async function endAgentLeftovers(
  agentPid: number,
  pgid: number | undefined,
): Promise<string | undefined> {
  if (pgid === undefined || pgid !== agentPid) return undefined
  const until = Date.now() + WAIT_MS
  for (;;) {
    const left = batchesIn(pgid)
    if (left.length === 0) return undefined
    if (Date.now() > until)
      return `the dead agent's ip -batch (pid ${left.join(', ')}) still ran ${WAIT_MS} ms after SIGKILL`
    for (const pid of left) {
      try {
        process.kill(pid, 'SIGKILL')
      } catch {
        // Ended meanwhile.
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 1))
  }
}
