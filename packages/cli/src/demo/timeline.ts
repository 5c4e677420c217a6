import type { IpfoEvent } from '@ipfo/core'
import { paintKind } from '../render/events.js'
import { PLAIN, type Style } from '../render/style.js'
import type { AgentLogLine } from './agent-process.js'

/** What the demo's timeline prints to and how. */
export interface TimelineIo {
  print(line: string): void
  /** Colours for the event kinds (by severity); none unless given. */
  style?: Style
  /** How long an agent step may take before the demo fails; default 15 s. */
  stepLimitMs?: number
}

/**
 * The demo's live timeline: every agent event printed as it happens, stamped from the start, and
 * waits for an event of a node, each bounded: past its limit the demo says what did not happen.
 */
export function createTimeline(io: TimelineIo) {
  const style = io.style ?? PLAIN
  const stepLimitMs = io.stepLimitMs ?? 15_000
  const t0 = Date.now()
  const stamp = () => `+${((Date.now() - t0) / 1000).toFixed(3)}s`.padStart(9)
  const waiters: {
    match: (node: string, line: AgentLogLine) => boolean
    resolve: (at: number) => void
    timer: NodeJS.Timeout
  }[] = []
  const onLine = (node: string, line: AgentLogLine) => {
    if (line.kind !== 'announced')
      io.print(`${stamp()}  ${node}  ${paintKind(line as unknown as IpfoEvent, style, 18)} ${line.msg}`)
    for (const w of [...waiters]) {
      if (w.match(node, line)) {
        waiters.splice(waiters.indexOf(w), 1)
        w.resolve(Date.now())
      }
    }
  }
  const onStderr = (node: string, text: string) => io.print(`${stamp()}  ${node}  stderr             ${text}`)
  /** Resolves with the time `node` reports `kind`; fails, saying `what` did not happen, after `timeoutMs`. */
  const waitFor = (node: string, kind: string, what: string, timeoutMs = stepLimitMs) => {
    const waited = new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => {
        waiters.splice(waiters.indexOf(waiter), 1)
        reject(
          new Error(`${what} did not happen: ${node} reported no "${kind}" within ${timeoutMs / 1000} s`),
        )
      }, timeoutMs)
      const waiter = {
        match: (n: string, l: AgentLogLine) => n === node && l.kind === kind,
        resolve: (at: number) => {
          clearTimeout(timer)
          resolve(at)
        },
        timer,
      }
      waiters.push(waiter)
    })
    // A wait the demo no longer reaches (an earlier step failed) must not crash it when it times out.
    waited.catch(() => undefined)
    return waited
  }
  return {
    stamp,
    stepLimitMs,
    onLine,
    onStderr,
    waitFor,
    /** Drops every pending wait (the story ended or failed). */
    close() {
      for (const w of waiters.splice(0)) clearTimeout(w.timer)
    },
  }
}
