import { type ChildProcess, spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import type { ProbeHandle } from './stage.js'

const RESPONDER = fileURLToPath(new URL('./probe-responder.js', import.meta.url))
const CLIENT = fileURLToPath(new URL('./probe-client.js', import.meta.url))
const PORT = '7007'

/** A script run with this Node inside a namespace, its stdout read line by line. */
class ScriptProcess {
  readonly lines: string[] = []
  private readonly child: ChildProcess
  private readonly exited: Promise<void>
  private readonly listeners = new Set<() => void>()

  constructor(ns: string, script: string, args: readonly string[]) {
    this.child = spawn('ip', ['netns', 'exec', ns, process.execPath, script, ...args], {
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    this.exited = new Promise((resolve) => {
      this.child.once('exit', () => resolve())
      this.child.once('error', () => resolve())
    })
    createInterface({ input: this.child.stdout! }).on('line', (line) => {
      this.lines.push(line)
      for (const listener of this.listeners) listener()
    })
  }

  /** Resolves true once a line matches, false after `timeoutMs` or when the process exits. */
  until(match: (line: string) => boolean, timeoutMs: number): Promise<boolean> {
    if (this.lines.some(match)) return Promise.resolve(true)
    return new Promise((resolve) => {
      const done = (ok: boolean) => {
        clearTimeout(timer)
        this.listeners.delete(check)
        resolve(ok)
      }
      const check = () => this.lines.some(match) && done(true)
      const timer = setTimeout(() => done(false), timeoutMs)
      this.listeners.add(check)
      void this.exited.then(() => done(this.lines.some(match)))
    })
  }

  /** SIGTERM, then SIGKILL after `graceMs`: never waits longer. */
  async stop(graceMs = 2_000): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM')
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs)
    await this.exited
    clearTimeout(timer)
  }
}

/**
 * A UDP service on each node and a client probing the VIP every `everyMs`, all plain Node: the demo
 * needs no ping. The client measures the outage on its own clock.
 */
export async function udpProbe(
  nodes: Record<string, string>,
  clientNs: string,
  vip: string,
  everyMs: number,
): Promise<ProbeHandle> {
  const family = vip.includes(':') ? '6' : '4'
  const responders = Object.entries(nodes).map(
    ([node, ns]) => new ScriptProcess(ns, RESPONDER, [node, PORT, family]),
  )
  const started: ScriptProcess[] = [...responders]
  const stopAll = () => Promise.all(started.map((p) => p.stop())).then(() => undefined)
  try {
    for (const r of responders) {
      if (!(await r.until((l) => l === 'ready', 10_000))) throw new Error('a probe responder did not start')
    }
    const client = new ScriptProcess(clientNs, CLIENT, [vip, PORT, String(everyMs)])
    started.push(client)
    if (!(await client.until((l) => l === 'ready', 10_000))) throw new Error('the probe client did not start')
    const heard = (node: string) => (line: string) => line === JSON.stringify({ heard: node })
    return {
      hears: (node, timeoutMs) => client.until(heard(node), timeoutMs),
      async stop() {
        await client.stop()
        await stopAll()
        const totals = client.lines.map(parseTotals).find((t) => t !== undefined)
        if (!totals) throw new Error('the probe client stopped without its totals')
        return totals
      },
      abort: stopAll,
    }
  } catch (error) {
    await stopAll()
    throw error
  }
}

function parseTotals(
  line: string,
): { probes: number; answered: number; longestOutageMs: number } | undefined {
  try {
    const value = JSON.parse(line) as { probes?: unknown; answered?: unknown; longestOutageMs?: unknown }
    if (typeof value.probes !== 'number' || typeof value.answered !== 'number') return undefined
    if (typeof value.longestOutageMs !== 'number') return undefined
    return { probes: value.probes, answered: value.answered, longestOutageMs: value.longestOutageMs }
  } catch {
    return undefined
  }
}
