import { type NotifySender, notifySender } from './notify-sender.js'

export interface ServiceNotifier {
  /** READY=1 with a STATUS= line, and the watchdog pets from then on. Again after a reload: no second timer. */
  ready(status: string): void
  /** STOPPING=1; the pets stop and the helper exits once it has sent it. */
  stopping(): void
}

/**
 * Tells systemd the agent is ready, pets the watchdog and says it is stopping, through one long-lived
 * helper process (notify-sender.ts) started here: call this before the agent starts, never on a path
 * that runs once heartbeats do. Does nothing outside systemd (no NOTIFY_SOCKET). The watchdog is petted
 * from a timer on the agent's own event loop, so a wedged loop stops the petting and systemd restarts
 * the agent.
 */
export function serviceNotifier(
  env: NodeJS.ProcessEnv,
  report: (message: string) => void,
  sender: (socket: string) => NotifySender = (socket) => notifySender({ socket, env, report }),
): ServiceNotifier {
  if (!env.NOTIFY_SOCKET) return { ready: () => {}, stopping: () => {} }
  const helper = sender(env.NOTIFY_SOCKET)
  const usec = Number(env.WATCHDOG_USEC)
  let watchdog: NodeJS.Timeout | undefined
  // A SIGTERM during a reload stops the agent before the reloaded one says it is ready.
  let stopped = false
  return {
    ready(status) {
      if (stopped) return
      // A line break would start a new assignment in the message.
      helper.send(`READY=1\nSTATUS=${status.replaceAll('\n', ' ')}`)
      if (watchdog || !Number.isFinite(usec) || usec <= 0) return
      // Twice per WatchdogSec, as sd_watchdog_enabled(3) advises.
      watchdog = setInterval(() => helper.send('WATCHDOG=1'), Math.max(100, usec / 2000))
      watchdog.unref()
    },
    stopping() {
      stopped = true
      clearInterval(watchdog)
      helper.send('STOPPING=1')
      helper.close()
    },
  }
}
