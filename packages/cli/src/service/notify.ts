import { spawn } from 'node:child_process'

/**
 * Tells systemd the agent is ready and pets the watchdog, through `systemd-notify` (Node has no unix
 * datagram sockets). Does nothing outside systemd (no NOTIFY_SOCKET). The watchdog is petted from a
 * timer on the agent's own event loop, so a wedged loop stops the petting and systemd restarts it.
 */
export function serviceNotifier(env: NodeJS.ProcessEnv): { ready(status: string): void; stopping(): void } {
  if (!env.NOTIFY_SOCKET) return { ready: () => {}, stopping: () => {} }
  const send = (...args: string[]) => {
    const child = spawn('systemd-notify', args, { stdio: 'ignore', env })
    child.on('error', () => {})
  }
  let watchdog: NodeJS.Timeout | undefined
  return {
    ready(status) {
      send('--ready', `--status=${status}`)
      const usec = Number(env.WATCHDOG_USEC)
      if (Number.isFinite(usec) && usec > 0) {
        watchdog = setInterval(() => send('WATCHDOG=1'), Math.max(100, usec / 2000))
        watchdog.unref()
      }
    },
    stopping() {
      if (watchdog) clearInterval(watchdog)
      send('STOPPING=1')
    },
  }
}
