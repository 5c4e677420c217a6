import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'

/**
 * Reads the addresses on `dev` in a namespace through one `ip -j -batch -` kept running there: no
 * process starts per read, so reads come every few hundred microseconds rather than every few tens
 * of milliseconds. Reads answer in the order they were asked.
 */
export function addressReader(ns: string, dev = 'pub0') {
  const child = spawn('ip', ['-j', '-n', ns, '-force', '-batch', '-'], { stdio: ['pipe', 'pipe', 'ignore'] })
  child.stdin.on('error', () => {}) // a dead ip: the read times out and says so
  const waiting: ((line: string) => void)[] = []
  createInterface({ input: child.stdout }).on('line', (line) => waiting.shift()?.(line))
  return {
    /** The addresses (without prefix length) on the interface now. */
    addresses(): Promise<string[]> {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no answer from ip in namespace ${ns}`)), 5_000)
        waiting.push((line) => {
          clearTimeout(timer)
          try {
            const links = JSON.parse(line) as { addr_info?: { local?: string }[] }[]
            resolve(links.flatMap((l) => (l.addr_info ?? []).flatMap((a) => (a.local ? [a.local] : []))))
          } catch {
            reject(new Error(`ip in namespace ${ns} answered ${line}`))
          }
        })
        child.stdin.write(`addr show dev ${dev}\n`)
      })
    },
    close(): void {
      child.kill()
    },
  }
}
