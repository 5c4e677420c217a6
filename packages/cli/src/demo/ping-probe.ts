import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import type { ProbeHandle } from './stage.js'

/**
 * Probes an address with iputils `ping` every `intervalMs` from a namespace and measures the outage a
 * client saw: the longest time between two consecutive answers (ping -D stamps each answer).
 */
export function pingProbe(namespace: string, ip: string, intervalMs: number): ProbeHandle {
  const child = spawn(
    'ip',
    ['netns', 'exec', namespace, 'ping', '-n', '-D', '-i', (intervalMs / 1000).toFixed(3), '-W', '1', ip],
    { stdio: ['ignore', 'pipe', 'ignore'] },
  )
  const answers: number[] = []
  let highestSeq = 0
  createInterface({ input: child.stdout }).on('line', (line) => {
    const answer = parseAnswer(line)
    if (!answer) return
    answers.push(answer.atMs)
    highestSeq = Math.max(highestSeq, answer.seq)
  })
  return {
    async stop() {
      child.kill('SIGINT')
      await new Promise((resolve) => child.once('exit', resolve))
      return {
        probes: highestSeq,
        answered: answers.length,
        longestOutageMs: Math.round(longestGapMs(answers)),
      }
    },
  }
}

/** `[1764072000.123456] 64 bytes from 10.0.0.1: icmp_seq=7 ttl=64 time=0.05 ms` -> { atMs, seq }. */
export function parseAnswer(line: string): { atMs: number; seq: number } | undefined {
  const match = /^\[(\d+\.\d+)\] \d+ bytes from .*icmp_seq=(\d+)/.exec(line)
  return match ? { atMs: Number(match[1]) * 1000, seq: Number(match[2]) } : undefined
}

/** The longest time between two consecutive answers. */
export function longestGapMs(answers: readonly number[]): number {
  let longest = 0
  for (let i = 1; i < answers.length; i++) longest = Math.max(longest, answers[i]! - answers[i - 1]!)
  return longest
}
