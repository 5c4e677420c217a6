import { type DemoResult, demoResult } from './demo-result.js'
import type { Stage } from './stage.js'
import { type DemoIo, tellStory } from './story.js'
import { killAndTakeOver, reviveAndFailBack, startAll } from './story-steps.js'

/**
 * The three-node story (`--nodes 3`): a owns the VIP, its takers are b then c. a dies and b takes
 * over; b dies too and c takes over; a comes back and c gives the VIP back to it, never with two
 * holding it. Every agent event is printed as it happens.
 */
export function runTrioDemo(stage: Stage<'a' | 'b' | 'c'>, dir: string, io: DemoIo): Promise<DemoResult> {
  const intro = `a owns ${stage.vip}; its takers, in order, are b then c: b takes it over if a falls silent on both links, c if b falls silent too`
  return tellStory(stage, dir, io, intro, async (story) => {
    const status = await startAll(story, 'all three', true)
    const resource = status.resources.find((r) => r.owner === 'a')
    const order = resource?.order ?? []
    io.print(
      `${story.timeline.stamp()}  c  status             order of ${stage.vip}: ${order.join(', ')}; held by ${resource?.holder ?? 'nobody'}`,
    )
    const first = await killAndTakeOver(story, 'a', 'b')
    const afterFirst = await stage.holders(['b', 'c'])
    const second = await killAndTakeOver(story, 'b', 'c', true)
    const afterSecond = await stage.holders(['c'])
    const failback = await reviveAndFailBack(story, 'a', ['a', 'c'], 'a and c both')
    io.print('(b is dead and cut off: the samples look at a and c, the nodes anyone can reach)')
    return {
      ...demoResult(stage, first, failback),
      trio: {
        order,
        takeovers: [
          { died: 'a', ...first, holders: afterFirst },
          { died: 'b', ...second, holders: afterSecond },
        ],
        failbackHolders: await stage.holders(['a', 'c']),
        acquisitions: [...story.acquisitions],
      },
    }
  })
}
