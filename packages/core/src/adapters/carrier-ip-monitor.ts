import { type ChildProcess, spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import type { CommandRunner } from '../model/ports.js'
import type { LinkSource } from './link-source.js'

/**
 * One line of `ip -o monitor link`: "2: eth0@if3: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu ...", or
 * "Deleted 2: eth0: <...> ...". Carrier is LOWER_UP: an interface set down has none either.
 */
export function parseMonitorLine(line: string): { iface: string; up: boolean } | undefined {
  const m = /^(Deleted )?\d+: ([^:@\s]+)(?:@[^:\s]*)?: <([^>]*)>/.exec(line)
  if (!m) return undefined
  return { iface: m[2]!, up: m[1] === undefined && m[3]!.split(',').includes('LOWER_UP') }
}

/** The carrier of every interface, from `ip -j link show`. */
export function parseLinkShow(json: string): Record<string, boolean> {
  const links = JSON.parse(json) as { ifname?: string; flags?: string[] }[]
  const out: Record<string, boolean> = {}
  for (const l of links) if (l.ifname) out[l.ifname] = (l.flags ?? []).includes('LOWER_UP')
  return out
}

/** Link notices from a long-lived `ip -o monitor link`; the snapshot from `ip -j link show`. */
export function ipMonitorLinks(runner: CommandRunner, ip: string, ns: readonly string[]): LinkSource {
  let child: ChildProcess | undefined
  return {
    listen: (onLink, onExit) =>
      new Promise((resolve, reject) => {
        const proc = spawn(ip, [...ns, '-o', 'monitor', 'link'], { stdio: ['ignore', 'pipe', 'pipe'] })
        child = proc
        let stderr = ''
        proc.stderr?.setEncoding('utf8').on('data', (c: string) => {
          stderr = (stderr + c).slice(-1000)
        })
        createInterface({ input: proc.stdout! }).on('line', (line) => {
          const parsed = parseMonitorLine(line)
          if (parsed) onLink(parsed.iface, parsed.up)
        })
        proc.once('spawn', () => resolve())
        proc.once('error', (error) => reject(new Error(`${ip} -o monitor link: ${error.message}`)))
        proc.once('exit', (code, signal) => {
          if (child !== proc) return
          child = undefined
          onExit(`${ip} -o monitor link exited (${stderr.trim() || signal || `code ${code}`})`)
        })
      }),
    async snapshot() {
      const result = await runner.run(ip, [...ns, '-j', 'link', 'show'])
      if (result.exitCode !== 0)
        throw new Error(`ip -j link show: ${result.stderr.trim() || `exit ${result.exitCode}`}`)
      return parseLinkShow(result.stdout)
    },
    close() {
      const proc = child
      child = undefined
      proc?.kill()
    },
  }
}
