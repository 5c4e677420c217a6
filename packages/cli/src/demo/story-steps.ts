import type { AgentStatus } from '@ipfo/core'
import type { Story } from './story.js'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** How long the client may take to follow the VIP to its taker once the taker holds it. */
const CLIENT_FOLLOWS_MS = 10_000

/**
 * Starts every node's agent (`all`: "both", "all three") and waits for the owner to hold the VIP
 * and every agent to be up; lets the heartbeats run, then prints what the last taker hears. Returns
 * that taker's status. `ownerFirst`: the takers start once the owner's agent has started, so that
 * none of them, started first on a busy machine, takes the VIP over from an owner not yet running.
 */
export async function startAll<N extends string>(
  story: Story<N>,
  all: string,
  ownerFirst = false,
): Promise<AgentStatus> {
  const { stage, timeline } = story
  const [owner, ...takers] = stage.nodes as [N, ...N[]]
  const watcher = stage.nodes.at(-1)!
  const holds = timeline.waitFor(owner, 'acquired', `${owner} taking ${stage.vip} at start`)
  const up = (node: N) => timeline.waitFor(node, 'agent-started', `${node}'s agent starting`)
  story.progress(`starting ${all} agents; waiting for ${owner} to hold the address`)
  const ownerUp = up(owner)
  story.start(owner)
  if (ownerFirst) await ownerUp
  const takersUp = takers.map(up)
  for (const node of takers) story.start(node)
  await holds
  await Promise.all([ownerUp, ...takersUp])
  story.progress('letting the heartbeats run')
  await sleep(1_000)
  const status = await story.status(watcher)
  const links = (peer: AgentStatus['peers'][number]) =>
    peer.links.map((l) => `${l.name} (${l.up ? `${l.lastSeenMsAgo}ms ago` : 'down'})`).join(', ')
  story.print(
    `${timeline.stamp()}  ${watcher}  status             hears ${status.peers.map((p) => `${p.id} on ${links(p)}`).join('; ')}; ${status.counters.received} heartbeats so far`,
  )
  return status
}

/**
 * `victim` dies: kill -9 of its agent (its guard stopped first) and its links cut; `taker` takes the
 * VIP over. With a client, measures the outage it saw. `too`: another node died before.
 */
export async function killAndTakeOver<N extends string>(
  story: Story<N>,
  victim: N,
  taker: N,
  too = false,
): Promise<{ takeoverMs: number; clientOutageMs: number | null }> {
  const { stage, timeline } = story
  const probe = await stage.startProbe?.()
  try {
    if (probe && !(await probe.hears(victim, 5_000)))
      throw new Error(
        `the client did not hear ${victim} answer for ${stage.vip} within 5 s, before ${too ? `${victim} died` : 'any fault'}`,
      )
    await sleep(500)
    story.print(
      `${timeline.stamp()}  --  ${victim} dies${too ? ' too' : ''}: kill -9 of its agent (and of the agent's guard) and its links cut`,
    )
    // The whole machine dies, so its guard too (stopped first: it can then neither act nor be started
    // again); a crash of the agent alone, which the guard hands over at once, is another story.
    const guard = (await story.status(victim)).guard?.pid
    if (guard) process.kill(guard, 'SIGSTOP')
    const takenOver = timeline.waitFor(taker, 'acquired', `${taker} taking over ${stage.vip}`)
    story.progress(`waiting for ${taker} to take over`)
    const killedAt = Date.now()
    await story.kill(victim)
    if (guard) process.kill(guard, 'SIGKILL')
    await stage.isolate(victim)
    const takeoverMs = (await takenOver) - killedAt
    if (probe && !(await probe.hears(taker, CLIENT_FOLLOWS_MS)))
      throw new Error(
        `the client did not hear ${taker} answer for ${stage.vip} within ${CLIENT_FOLLOWS_MS / 1000} s of ${taker} taking it over`,
      )
    await sleep(500)
    const probed = await probe?.stop()
    story.print('')
    story.print(`takeover: ${takeoverMs}ms from the kill to ${taker} holding ${stage.vip}`)
    if (probed)
      story.print(
        `client: ${probed.answered}/${probed.probes} probes answered; longest outage ${probed.longestOutageMs}ms`,
      )
    story.print('')
    return { takeoverMs, clientOutageMs: probed?.longestOutageMs ?? null }
  } catch (error) {
    await probe?.abort()
    throw error
  }
}

/**
 * `owner` comes back (its address gone, as after a reboot) and takes its VIP back, while the
 * interfaces of `among` are sampled: `who` ("both nodes") says whose double holding that looks for.
 */
export async function reviveAndFailBack<N extends string>(
  story: Story<N>,
  owner: N,
  among: readonly N[],
  who: string,
): Promise<{ failbackMs: number; doubleHeldSamples: number; holderSamples: number }> {
  const { stage, timeline } = story
  story.print(`${timeline.stamp()}  --  ${owner} comes back (its address gone, as after a reboot)`)
  await stage.revive(owner)
  let samples = 0
  let doubles = 0
  let sampling = true
  const sampler = (async () => {
    while (sampling) {
      const holders = await stage.holders(among)
      samples++
      if (holders.length > 1) doubles++
      await sleep(5)
    }
  })()
  try {
    const reclaimed = timeline.waitFor(
      owner,
      'acquired',
      `${owner} taking ${stage.vip} back`,
      2 * timeline.stepLimitMs,
    )
    story.progress(`waiting for ${owner} to take its address back`)
    const restartedAt = Date.now()
    story.start(owner)
    const failbackMs = (await reclaimed) - restartedAt
    story.progress(`checking that only ${owner} holds it`)
    await sleep(300)
    sampling = false
    await sampler
    story.print('')
    story.print(`failback: ${failbackMs}ms from ${owner}'s restart to ${owner} holding ${stage.vip} again`)
    story.print(`${who} held ${stage.vip} in ${doubles} of ${samples} samples of the interfaces`)
    return { failbackMs, doubleHeldSamples: doubles, holderSamples: samples }
  } finally {
    sampling = false
    await sampler
  }
}
