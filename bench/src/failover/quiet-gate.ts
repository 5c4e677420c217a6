import { readFile } from 'node:fs/promises'
import { sleep } from './wait.js'

/** The aggregate "cpu" line of /proc/stat: busy and total jiffies since boot. */
async function cpuJiffies(): Promise<{ busy: number; total: number }> {
  const line = (await readFile('/proc/stat', 'utf8')).split('\n')[0]!
  const [user, nice, system, idle, iowait, irq, softirq, steal] = line
    .split(/\s+/)
    .slice(1)
    .map(Number) as number[]
  const busy = user! + nice! + system! + irq! + softirq! + steal!
  return { busy, total: busy + idle! + iowait! }
}

/** Percent of all cores busy over the next `ms`. */
export async function machineBusyPercent(ms = 1_000): Promise<number> {
  const before = await cpuJiffies()
  await sleep(ms)
  const after = await cpuJiffies()
  const total = after.total - before.total
  return total > 0 ? Math.round(((after.busy - before.busy) / total) * 1000) / 10 : 0
}

/**
 * Between runs nothing of the benchmark runs, so what keeps the CPU busy then is someone else's
 * work, which would stretch every timer. Waits until the machine is below `thresholdPercent` busy
 * (measured over a second), at most `maxWaitMs`; returns the last measurement either way, so the
 * report can show how quiet each run's machine was.
 */
export async function waitForQuiet(
  thresholdPercent: number,
  maxWaitMs: number,
  onWait: (busyPercent: number) => void,
): Promise<number> {
  const end = Date.now() + maxWaitMs
  let waited = false
  for (;;) {
    const busy = await machineBusyPercent()
    if (busy <= thresholdPercent || Date.now() > end) return busy
    if (!waited) onWait(busy)
    waited = true
    await sleep(4_000)
  }
}
