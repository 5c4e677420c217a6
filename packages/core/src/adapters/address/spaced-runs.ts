/**
 * Starts `start` `count` times, `intervalMs` apart, the first at once. A run does not wait for the one
 * before it to end: iputils arping lingers a second after its only packet, which would stretch the
 * spacing. Once a run has failed, or `stopped` says so, no new one starts. Resolves to the first
 * failure, or undefined.
 */
export async function runSpaced<T>(opts: {
  count: number
  intervalMs: number
  sleep: (ms: number) => Promise<void>
  start: () => Promise<T>
  failed: (result: T) => boolean
  stopped?: () => boolean
}): Promise<T | undefined> {
  let failure: T | undefined
  const runs: Promise<void>[] = []
  for (let i = 0; i < opts.count; i++) {
    if (i > 0) await opts.sleep(opts.intervalMs)
    if (failure !== undefined || opts.stopped?.()) break
    runs.push(
      opts.start().then((result) => {
        if (failure === undefined && opts.failed(result)) failure = result
      }),
    )
  }
  await Promise.all(runs)
  return failure
}
