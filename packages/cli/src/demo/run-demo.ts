import type { AgentStatus, IpfoEvent } from '@ipfo/core'
import { paintKind } from '../render/events.js'
import { PLAIN, type Style } from '../render/style.js'
import { type AgentLogLine, AgentProcess } from './agent-process.js'
import { writePairFiles } from './pair-files.js'
import type { Stage } from './stage.js'

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
}

export interface DemoIo {
  /** A line of the live timeline. */
  print(line: string): void
  /** What the demo is waiting for now, for a progress display; lines printed meanwhile go above it. */
  progress?(what: string): void
  /** Colours for the timeline (event kinds by severity); none unless given. */
  style?: Style
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * The two-node story: a owns the VIP and b watches it; a is killed and cut off; b takes over; a comes
 * back; b releases; a reclaims, never with both holding it. Every agent event is printed as it happens.
 */
export async function runDemo(stage: Stage, dir: string, io: DemoIo): Promise<DemoResult> {
  const progress = (what: string) => io.progress?.(what)
  const style = io.style ?? PLAIN
  const t0 = Date.now()
  const stamp = () => `+${((Date.now() - t0) / 1000).toFixed(3)}s`.padStart(9)
  const waiters: { match: (node: string, line: AgentLogLine) => boolean; resolve: (at: number) => void }[] =
    []
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
  const waitFor = (node: string, kind: string, timeoutMs = 15_000) =>
    new Promise<number>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`timed out waiting for ${node} to report ${kind}`)),
        timeoutMs,
      )
      waiters.push({
        match: (n, l) => n === node && l.kind === kind,
        resolve: (at) => {
          clearTimeout(timer)
          resolve(at)
        },
      })
    })

  const { controlRequest } = await import('@ipfo/core/node')
  const files = await writePairFiles(stage, dir)
  const agent = (node: 'a' | 'b') =>
    new AgentProcess(node, stage.agentCommand(node, ['--config', files.config[node]]), onLine, onStderr)

  io.print(`ipfo demo on ${stage.description}`)
  io.print(`a owns ${stage.vip}; b watches a and takes it over if a falls silent on both links`)
  io.print('')
  let a = agent('a')
  const b = agent('b')
  try {
    const aHolds = waitFor('a', 'acquired')
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

    const probe = stage.startProbe?.()
    await sleep(500)
    io.print(`${stamp()}  --  kill -9 a's agent and cut its links`)
    const takenOver = waitFor('b', 'acquired')
    progress('waiting for b to take over')
    const killedAt = Date.now()
    await a.kill()
    await stage.isolate('a')
    const takeoverMs = (await takenOver) - killedAt
    await sleep(500)
    const probed = probe ? await probe.stop() : undefined
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
    const reclaimed = waitFor('a', 'acquired')
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
    }
  } finally {
    await Promise.all([a.stop(), b.stop()])
  }
}
