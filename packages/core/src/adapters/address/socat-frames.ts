import { type ChildProcess, spawn } from 'node:child_process'
import type { FrameSender } from '../../model/ports.js'

export interface SocatFramesOptions {
  /** Every frame this sender takes has this length: socat reads its input in blocks of it. */
  readonly frameBytes: number
  /** The `socat` binary. */
  readonly socat?: string
  /** Run inside this network namespace (`ip netns exec <ns> socat ...`): for tests and demos. */
  readonly netns?: string
  /**
   * Start socat under SCHED_FIFO at this priority (`chrt -f`): the agent's own real-time priority,
   * so that the first gratuitous ARP leaves as soon as the agent hands it over, not when the load
   * beside it lets socat have a core. socat only ever waits on its input, so it takes no core it
   * is not given work for.
   */
  readonly realtimePriority?: number
  /** Called with socat's last words when one exits on its own (permission denied, interface gone). */
  readonly onExit?: (iface: string, message: string) => void
}

interface Sender {
  readonly child: ChildProcess
  alive: boolean
  stderr: string
}

/**
 * One `socat -u STDIN INTERFACE:<if>` per interface: socat opens a packet socket on the interface
 * and sends each block it reads from its input as one whole frame, link-layer header included.
 * Blocks are `frameBytes` long and a pipe write that size is atomic, so frames never run together.
 *
 * A sender that exited (socat not installed, no CAP_NET_RAW, the interface went away) makes `send`
 * answer false, so the caller falls back to `arping`; the next `start` or `send` tries a new one.
 */
export function socatFrames(opts: SocatFramesOptions): FrameSender {
  const socat = opts.socat ?? 'socat'
  const senders = new Map<string, Sender>()
  /** socat is not installed: stop trying. */
  let missing = false

  const start = (iface: string): Sender | undefined => {
    const existing = senders.get(iface)
    if (existing?.alive || missing) return existing
    const argv = [socat, '-u', '-b', String(opts.frameBytes), 'STDIN', `INTERFACE:${iface}`]
    const ranked =
      opts.realtimePriority === undefined ? argv : ['chrt', '-f', String(opts.realtimePriority), ...argv]
    const full = opts.netns === undefined ? ranked : ['ip', 'netns', 'exec', opts.netns, ...ranked]
    const child = spawn(full[0]!, full.slice(1), { stdio: ['pipe', 'ignore', 'pipe'] })
    const sender: Sender = { child, alive: true, stderr: '' }
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      sender.stderr = (sender.stderr + chunk).slice(-2000)
    })
    const gone = (message: string) => {
      if (!sender.alive) return
      sender.alive = false
      if (senders.get(iface) === sender) senders.delete(iface)
      opts.onExit?.(iface, message)
    }
    child.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') missing = true
      gone(error.code === 'ENOENT' ? `${socat} is not installed (not found in PATH)` : error.message)
    })
    child.on('exit', (code, signal) => {
      // Through chrt, a socat not installed is chrt's exit code 127 ("failed to execute").
      if (opts.realtimePriority !== undefined && code === 127) missing = true
      gone(sender.stderr.trim() || `${socat} exited (${signal ?? `code ${code}`})`)
    })
    child.stdin?.on('error', () => undefined)
    senders.set(iface, sender)
    return sender
  }

  return {
    start(iface) {
      start(iface)
    },
    send(iface, frame) {
      if (frame.length !== opts.frameBytes) return false
      const sender = senders.get(iface)
      if (!sender?.alive) {
        // Try again next time; this frame goes another way.
        start(iface)
        return false
      }
      sender.child.stdin?.write(frame)
      return true
    },
    close() {
      for (const sender of senders.values()) {
        sender.alive = false
        sender.child.stdin?.end()
      }
      senders.clear()
    },
  }
}
