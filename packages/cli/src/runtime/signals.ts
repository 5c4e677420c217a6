import type { RunningAgent } from '@ipfo/core/agent'

/**
 * The only place ipfo touches process signals. SIGTERM/SIGINT stop the agent cleanly; SIGHUP stops and
 * starts it on the reloaded config (held addresses that are still configured are found again by
 * reconciliation, so they are kept, not flapped). A second SIGINT while stopping exits at once.
 */
export async function runUntilSignal<Loaded>(
  start: (loaded?: Loaded) => Promise<RunningAgent>,
  /** Reads and checks the config file; what it returns is what the reloaded agent starts on. */
  load: () => Promise<Loaded>,
  report: (message: string) => void,
  onStopping: () => void = () => {},
): Promise<{ agent: RunningAgent; signal: string }> {
  let agent = await start()
  let reloading: Promise<void> | undefined
  return new Promise((resolve, reject) => {
    let stopping = false
    const stop = (signal: NodeJS.Signals) => {
      if (stopping) {
        if (signal === 'SIGINT') process.exit(130)
        return
      }
      stopping = true
      onStopping()
      void (reloading ?? Promise.resolve())
        .then(() => agent.stop())
        .then(() => {
          process.off('SIGTERM', stop)
          process.off('SIGINT', stop)
          process.off('SIGHUP', reload)
          resolve({ agent, signal })
        }, reject)
    }
    const reload = () => {
      if (stopping || reloading) return
      reloading = (async () => {
        // A broken new config must not take down a working agent: check it before stopping anything.
        const loaded = await load().then(
          (value) => ({ value }),
          (error: unknown) => {
            report(
              `SIGHUP: config not reloaded, the running one stays: ${error instanceof Error ? error.message : error}`,
            )
            return undefined
          },
        )
        if (!loaded) return
        await agent.stop({ release: false })
        agent = await start(loaded.value)
      })()
        .catch((error: unknown) => reject(error))
        .finally(() => {
          reloading = undefined
        })
    }
    process.on('SIGTERM', stop)
    process.on('SIGINT', stop)
    process.on('SIGHUP', reload)
  })
}
