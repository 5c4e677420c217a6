import { describe, expect, it } from 'vitest'
import { MachineCluster } from '../../test/fakes/machine-cluster.js'
import { vip } from '../../test/fakes/machine-simulation.js'
import { Prng } from '../../test/sim/prng.js'

const IDS = ['a', 'b', 'c', 'd', 'e']

/** Five nodes, ten addresses: each owns two; its takers are the next three round the ring. */
function five(): MachineCluster {
  const groups = IDS.map((owner, i) => ({
    owner,
    addresses: [vip(`10.0.0.${10 + 2 * i}`), vip(`10.0.0.${11 + 2 * i}`)],
    takers: [1, 2, 3].map((k) => IDS[(i + k) % IDS.length] as string),
  }))
  return new MachineCluster(IDS, groups)
}

/** Whether every two live nodes hear each other, directly or through a third live node. */
function twoHops(c: MachineCluster, live: string[]): boolean {
  return live.every((x) =>
    live.every((y) => x === y || c.hears(x, y) || live.some((z) => c.hears(x, z) && c.hears(z, y))),
  )
}

describe('five nodes, ten addresses', () => {
  it('at rest each owner holds its own two; killing owners moves each pair to the next live node in order', () => {
    const c = five()
    c.run(1_000, c.never2())
    for (const id of IDS) expect(c.holders(id)).toEqual([id])
    c.kill('a')
    c.kill('b')
    c.run(800, c.never2())
    expect(c.holders('a')).toEqual(['c'])
    expect(c.holders('b')).toEqual(['c'])
    expect(c.holders('e')).toEqual(['e'])
    c.revive('b')
    c.run(1_000, c.never2())
    expect(c.holders('a')).toEqual(['b'])
    expect(c.holders('b')).toEqual(['b'])
  })

  // Kills, returns, cuts (never past two hops between live nodes) and failing services at random:
  // two nodes never hold one address (but for the grace after a heal or a return, as in the
  // simulator), and once all is well each owner holds its own.
  it.each(
    Array.from(
      { length: Number(process.env.ORDER_SEEDS ?? 20) },
      (_, i) => Number(process.env.ORDER_SEED0 ?? 2_000) + i,
    ),
  )('seed %i: never two holders', (seed) => {
    const rng = new Prng(`order-cluster:${seed}`)
    const c = five()
    c.run(1_000, c.never2())
    const cuts: [string, string][] = []
    const sick = new Set<string>()
    for (let step = 0; step < 25; step++) {
      const live = IDS.filter((id) => c.member(id).up)
      const dead = IDS.filter((id) => !c.member(id).up)
      const roll = rng.next()
      if (roll < 0.25 && live.length > 2) c.kill(live[Math.floor(rng.next() * live.length)] as string)
      else if (roll < 0.45 && dead.length > 0) c.revive(dead[Math.floor(rng.next() * dead.length)] as string)
      else if (roll < 0.65) {
        const x = IDS[Math.floor(rng.next() * 5)] as string
        const y = IDS[Math.floor(rng.next() * 5)] as string
        if (x !== y) {
          c.cut(x, y)
          if (twoHops(c, live)) cuts.push([x, y])
          else c.heal(x, y)
        }
      } else if (roll < 0.8 && cuts.length > 0) {
        const [x, y] = cuts.splice(Math.floor(rng.next() * cuts.length), 1)[0] as [string, string]
        c.heal(x, y)
      } else {
        const x = IDS[Math.floor(rng.next() * 5)] as string
        const owner = IDS[Math.floor(rng.next() * 5)] as string
        const key = `${x} ${owner}`
        c.sick(x, owner, !sick.has(key))
        if (sick.has(key)) sick.delete(key)
        else sick.add(key)
      }
      // Reviving and cutting keep two hops between live nodes: a revived node is cut as before.
      const now = IDS.filter((id) => c.member(id).up)
      if (!twoHops(c, now)) for (const [x, y] of cuts.splice(0)) c.heal(x, y)
      c.run(Math.floor(200 + rng.next() * 1_300), c.never2(true))
    }
    for (const [x, y] of cuts) c.heal(x, y)
    for (const key of sick) {
      const [x, owner] = key.split(' ') as [string, string]
      c.sick(x, owner, false)
    }
    for (const id of IDS) if (!c.member(id).up) c.revive(id)
    c.run(3_000, c.never2(true))
    for (const id of IDS) expect(c.holders(id)).toEqual([id])
  })
})
