import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import type { CommandResult, IpBatch } from '../../src/model/ports.js'

const SERVER = fileURLToPath(new URL('../fixtures/netlink/batch-server.ts', import.meta.url))

/**
 * The netlink batch as an IpBatch, run in a child process inside network namespace `ns` (an
 * rtnetlink socket belongs to the namespace it is opened in; the test runner's is the host's).
 * `ready` resolves once the child has its socket.
 */
export function netlinkBatchInNetns(ns: string): IpBatch & { ready: Promise<void> } {
  const child = spawn('ip', ['netns', 'exec', ns, process.execPath, '--import', 'tsx', SERVER], {
    stdio: ['pipe', 'pipe', 'inherit'],
  })
  const waiting = new Map<number, (r: CommandResult) => void>()
  let nextId = 0
  let readyNow: () => void = () => undefined
  let failReady: (e: Error) => void = () => undefined
  const ready = new Promise<void>((resolve, reject) => {
    readyNow = resolve
    failReady = reject
  })
  child.once('exit', (code) => failReady(new Error(`the netlink batch server exited (${code})`)))
  createInterface({ input: child.stdout }).on('line', (line) => {
    const msg = JSON.parse(line) as { ready?: true; id?: number; result?: CommandResult }
    if (msg.ready) readyNow()
    else if (msg.id !== undefined && msg.result) {
      waiting.get(msg.id)?.(msg.result)
      waiting.delete(msg.id)
    }
  })
  return {
    ready,
    run(args, opts) {
      const id = nextId++
      return new Promise((resolve) => {
        waiting.set(id, resolve)
        child.stdin.write(`${JSON.stringify({ id, args, opts })}\n`)
      })
    },
    start() {},
    close() {
      child.stdin.end()
    },
  }
}

const CARRIER_SERVER = fileURLToPath(new URL('../fixtures/netlink/carrier-server.ts', import.meta.url))

/**
 * The agent's rtnetlink carrier watch, run in a child process inside network namespace `ns` on
 * `interfaces`: `initial` resolves with the carriers it read at start; `changes` and `errors` fill
 * as it reports. `pid` is the child's, for counting what it starts.
 */
export function netlinkCarrierInNetns(ns: string, interfaces: readonly string[]) {
  const child = spawn(
    'ip',
    ['netns', 'exec', ns, process.execPath, '--import', 'tsx', CARRIER_SERVER, ...interfaces],
    {
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  )
  const changes: string[] = []
  const errors: string[] = []
  let started: (initial: Record<string, boolean>) => void = () => undefined
  let failed: (e: Error) => void = () => undefined
  const initial = new Promise<Record<string, boolean>>((resolve, reject) => {
    started = resolve
    failed = reject
  })
  child.once('exit', (code) => failed(new Error(`the carrier server exited (${code})`)))
  createInterface({ input: child.stdout }).on('line', (line) => {
    const msg = JSON.parse(line) as {
      initial?: Record<string, boolean>
      change?: [string, boolean]
      error?: string
    }
    if (msg.initial) started(msg.initial)
    if (msg.change) changes.push(`${msg.change[0]} ${msg.change[1] ? 'up' : 'down'}`)
    if (msg.error) errors.push(msg.error)
  })
  return {
    initial,
    changes,
    errors,
    /** The processes the server runs under it (`ip netns exec` execs Node: the child itself is Node). */
    pid: child.pid!,
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve()
        child.once('exit', () => resolve())
        child.stdin.end()
      }),
  }
}
