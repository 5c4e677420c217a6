import { cidr, type InterfaceAddress } from '../../model/ip.js'
import type { Arbiter, CommandRunner } from '../../model/ports.js'

export interface ArbiterOptions {
  readonly runner: CommandRunner
  readonly platform: 'linux' | 'darwin'
  /** Probe each address before taking it (ARP duplicate-address detection / neighbour solicitation). */
  readonly probe: boolean
  /** Addresses of which at least one must answer a ping. */
  readonly witness: readonly string[]
  readonly timeoutMs: number
  /** Run every command inside this network namespace: for tests and demos. */
  readonly netns?: string | undefined
}

/**
 * Arbitration before an automatic takeover, with the system's own tools: a peer that went silent on
 * every heartbeat link but still answers for its address is alive, so taking the address would make
 * two holders; a node that cannot reach any witness is the one cut off.
 * - IPv4: `arping -D -c 1 -w 1` (iputils) sends a probe from 0.0.0.0; exit 1 means someone answered.
 *   `-w` takes whole seconds, so the runner stops it at the timeout: no answer by then, the address
 *   is free.
 * - IPv6: `ndisc6 -1 -q -r 1 -w <ms>` solicits the address; exit 0 with a MAC means it answered.
 * - witness: `ping -c 1 -W <s>` (macOS: `ping -c 1 -t <s>`), `ping -6` / `ping6` for IPv6.
 * A probe that cannot run refuses the takeover with the reason: arbitration was asked for, and a
 * broken probe proves nothing either way.
 */
export function createArbiter(opts: ArbiterOptions): Arbiter {
  const run = (command: string, args: string[], timeoutMs = opts.timeoutMs) =>
    opts.netns
      ? opts.runner.run('ip', ['netns', 'exec', opts.netns, command, ...args], { timeoutMs })
      : opts.runner.run(command, args, { timeoutMs })

  async function answers(
    a: InterfaceAddress,
  ): Promise<{ answered: boolean; by?: string } | { error: string }> {
    if (a.family === 4) {
      if (opts.platform === 'darwin') {
        return { error: 'macOS has no ARP duplicate-address detection tool; use arbitration.witness there' }
      }
      const r = await run('arping', ['-D', '-q', '-c', '1', '-w', '1', '-I', a.interface, a.ip])
      if (r.exitCode === 1) return { answered: true }
      if (r.exitCode === 0 || r.signal !== null || /timed out/.test(r.stderr)) return { answered: false }
      return { error: `arping -D failed (exit ${r.exitCode}): ${r.stderr.trim() || r.stdout.trim()}` }
    }
    const r = await run(
      'ndisc6',
      ['-1', '-q', '-r', '1', '-w', String(opts.timeoutMs), a.ip, a.interface],
      opts.timeoutMs + 500,
    )
    if (r.exitCode === 0) return { answered: true, by: r.stdout.trim() }
    if (r.exitCode === 2 && !r.stderr.trim()) return { answered: false }
    return { error: `ndisc6 failed (exit ${r.exitCode}): ${r.stderr.trim() || r.stdout.trim()}` }
  }

  async function witnessAnswers(ip: string): Promise<boolean> {
    const seconds = String(Math.max(1, Math.ceil(opts.timeoutMs / 1000)))
    const v6 = ip.includes(':')
    const args =
      opts.platform === 'darwin'
        ? ['-c', '1', '-t', seconds, '-q', ip]
        : [...(v6 ? ['-6'] : []), '-c', '1', '-W', seconds, '-q', ip]
    const r = await run(opts.platform === 'darwin' && v6 ? 'ping6' : 'ping', args, opts.timeoutMs + 1000)
    return r.exitCode === 0
  }

  return {
    async refusal(addresses) {
      if (opts.witness.length > 0) {
        const reached = await Promise.all(opts.witness.map(witnessAnswers))
        if (!reached.some(Boolean)) {
          return `no witness answers (${opts.witness.join(', ')}): this node may be the one cut off`
        }
      }
      if (!opts.probe) return undefined
      const results = await Promise.all(addresses.map(async (a) => ({ a, result: await answers(a) })))
      for (const { a, result } of results) {
        if ('error' in result) return `cannot probe ${cidr(a)} on ${a.interface}: ${result.error}`
        if (result.answered) {
          return `${cidr(a)} still answers on ${a.interface}${result.by ? ` (from ${result.by})` : ''}: its holder is alive though silent on every heartbeat link`
        }
      }
      return undefined
    },
  }
}
