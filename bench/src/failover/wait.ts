/** Wall-clock milliseconds with sub-millisecond precision, comparable with the probe's and `ip monitor`'s. */
export const wallNow = (): number => performance.timeOrigin + performance.now()

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/** Polls `probe` every `everyMs` until it is true; false when `timeoutMs` passed first. */
export async function until(probe: () => boolean | Promise<boolean>, timeoutMs: number, everyMs = 5) {
  const end = Date.now() + timeoutMs
  for (;;) {
    if (await probe()) return true
    if (Date.now() > end) return false
    await sleep(everyMs)
  }
}

/** Like `until`, but a timeout is an error naming what was awaited. */
export async function mustUntil(what: string, probe: () => boolean | Promise<boolean>, timeoutMs: number) {
  if (!(await until(probe, timeoutMs))) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
}
