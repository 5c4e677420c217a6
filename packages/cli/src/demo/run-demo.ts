import type { AgentStatus, IpfoEvent } from '@ipfo/core'
import { paintKind } from '../render/events.js'
import { PLAIN, type Style } from '../render/style.js'
import { type AgentLogLine, AgentProcess } from './agent-process.js'
import { writePairFiles } from './pair-files.js'
import type { ProbeHandle, Stage } from './stage.js'

export interface DemoResult {
  mode: Stage['mode']
  vip: string
  /** From the kill of a's agent to b's `acquired` event. */
  takeoverMs: number
  /** The longest run of unanswered client probes during the takeover (namespaces only). */
  clientOutageMs: number | null
  /** From a's restart to a's `acquired` event (b released first). */
  failbackMs: number
  /** Samples of the interfaces during failback that showed the VIP on both nodes: must be 0. */
  doubleHeldSamples: number
  holderSamples: number
  /** What the stage did without (a missing tool), or null. */
  caveat: string | null
}

export interface DemoIo {
  /** A line of the live timeline. */
  print(line: string): void
  /** What the demo is waiting for now, for a progress display; lines printed meanwhile go above it. */
  progress?(what: string): void
  /** Colours for the timeline (event kinds by severity); none unless given. */
  style?: Style
  /** How long an agent step (a takeover, say) may take before the demo fails; default 15 s. */
  stepLimitMs?: number
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** How long the client may take to follow the VIP to b once b holds it. */
const CLIENT_FOLLOWS_MS = 10_000

/**
 * The two-node story: a owns the VIP and b watches it; a is killed and cut off; b takes over; a comes
 * back; b releases; a reclaims, never with both holding it. Every agent event is printed as it happens.
 */
export async function runDemo(stage: Stage, dir: string, io: DemoIo): Promise<DemoResult> {
  const progress = (what: string) => io.progress?.(what)
  const style = io.style ?? PLAIN
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
  /** Every wait has a bound: past it the demo says what did not happen, and fails. */
  const waitFor = (node: string, kind: string, what: string, timeoutMs = io.stepLimitMs ?? 15_000) => {
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

  const { controlRequest } = await import('@ipfo/core/agent')
  const files = await writePairFiles(stage, dir)
  const agent = (node: 'a' | 'b') =>
    new AgentProcess(node, stage.agentCommand(node, ['--config', files.config[node]]), onLine, onStderr)

  io.print(`ipfo demo on ${stage.description}`)
  io.print(`a owns ${stage.vip}; b watches a and takes it over if a falls silent on both links`)
  if (stage.caveat) io.print(`note: ${stage.caveat}`)
  io.print('')
  let a = agent('a')
  const b = agent('b')
  let probe: ProbeHandle | undefined
  try {
    const aHolds = waitFor('a', 'acquired', `a taking ${stage.vip} at start`)
    progress('starting both agents; waiting for a to hold the address')
    a.start()
    b.start()
    await aHolds
    progress('letting the heartbeats run')
    await sleep(1_000)
    const status = await controlRequest<AgentStatus>(files.socket.b, { method: 'status' })
    const peer = status.peers[0]
    io.print(
      `${stamp()}  b  status             hears a on ${peer?.links.map((l) => `${l.name} (${l.up ? `${l.lastSeenMsAgo}ms ago` : 'down'})`).join(', ')}; ${status.counters.received} heartbeats so far`,
    )

    probe = await stage.startProbe?.()
    if (probe && !(await probe.hears('a', 5_000)))
      throw new Error(`the client did not hear a answer for ${stage.vip} within 5 s, before any fault`)
    await sleep(500)
    io.print(`${stamp()}  --  a dies: kill -9 of its agent (and of the agent's guard) and its links cut`)
    // The whole machine dies, so its guard too (stopped first: it can then neither act nor be started
    // again); a crash of the agent alone, which the guard hands over at once, is another story.
    const guard = (await controlRequest<AgentStatus>(files.socket.a, { method: 'status' })).guard?.pid
    if (guard) process.kill(guard, 'SIGSTOP')
    const takenOver = waitFor('b', 'acquired', `b taking over ${stage.vip}`)
    progress('waiting for b to take over')
    const killedAt = Date.now()
    await a.kill()
    if (guard) process.kill(guard, 'SIGKILL')
    await stage.isolate('a')
    const takeoverMs = (await takenOver) - killedAt
    if (probe && !(await probe.hears('b', CLIENT_FOLLOWS_MS)))
      throw new Error(
        `the client did not hear b answer for ${stage.vip} within ${CLIENT_FOLLOWS_MS / 1000} s of b taking it over`,
      )
    await sleep(500)
    const probed = await probe?.stop()
    probe = undefined
    io.print('')
    io.print(`takeover: ${takeoverMs}ms from the kill to b holding ${stage.vip}`)
    if (probed)
      io.print(
        `client: ${probed.answered}/${probed.probes} probes answered; longest outage ${probed.longestOutageMs}ms`,
      )
    io.print('')

    io.print(`${stamp()}  --  a comes back (its address gone, as after a reboot)`)
    await stage.revive('a')
    let samples = 0
    let doubles = 0
    let sampling = true
    const sampler = (async () => {
      while (sampling) {
        const holders = await stage.holders()
        samples++
        if (holders.length > 1) doubles++
        await sleep(5)
      }
    })()
    const reclaimed = waitFor('a', 'acquired', `a taking ${stage.vip} back`, 2 * (io.stepLimitMs ?? 15_000))
    progress('waiting for a to take its address back')
    const restartedAt = Date.now()
    a = agent('a')
    a.start()
    const failbackMs = (await reclaimed) - restartedAt
    progress('checking that only a holds it')
    await sleep(300)
    sampling = false
    await sampler
    io.print('')
    io.print(`failback: ${failbackMs}ms from a's restart to a holding ${stage.vip} again`)
    io.print(`both nodes held ${stage.vip} in ${doubles} of ${samples} samples of the interfaces`)
    return {
      mode: stage.mode,
      vip: stage.vip,
      takeoverMs,
      clientOutageMs: probed?.longestOutageMs ?? null,
      failbackMs,
      doubleHeldSamples: doubles,
      holderSamples: samples,
      caveat: stage.caveat ?? null,
    }
  } finally {
    for (const w of waiters.splice(0)) clearTimeout(w.timer)
    await Promise.all([a.stop(), b.stop(), probe?.abort()])
  }
}
