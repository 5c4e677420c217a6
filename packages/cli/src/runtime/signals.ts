import type { RunningAgent } from '@ipfo/core/agent'

/**
 * The only place ipfo touches process signals. SIGTERM/SIGINT stop the agent cleanly; SIGHUP stops and
 * starts it on the reloaded config (held addresses that are still configured are found again by
 * reconciliation, so they are kept, not flapped). A second SIGINT while stopping exits at once.
 *
 * A reload never leaves the node without an agent: if the start on the new config fails (a link
 * address not up, a socket taken), the agent starts again on the config it ran, and only if that
 * fails too does the process end. The metrics endpoint cannot fail a start at all (it retries).
 */
export async function runUntilSignal<Loaded>(
  start: (loaded?: Loaded) => Promise<RunningAgent>,
  /** Reads and checks the config file; what it returns is what the reloaded agent starts on. */
  load: () => Promise<Loaded>,
  report: (message: string) => void,
  onStopping: () => void = () => {},
): Promise<{ agent: RunningAgent; signal: string }> {
  // Read here, not by the start: a failed reload restarts on what the agent ran, not on the file.
  let running: Loaded = await load()
  let agent = await start(running)
  let reloading: Promise<void> | undefined
  return new Promise((resolve, reject) => {
    let stopping = false
    const stop = (signal: NodeJS.Signals) => {
      if (stopping) {
        if (signal === 'SIGINT') {
          // Exits at once: this turn's events, written once it is over, are written now.
          agent.flushEvents()
          process.exit(130)
        }
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
        try {
          agent = await start(loaded.value)
          running = loaded.value
        } catch (error) {
          report(
            `SIGHUP: the new config did not start, restarting on the one that ran: ${error instanceof Error ? error.message : error}`,
          )
          agent = await start(running)
        }
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
