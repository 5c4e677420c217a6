import { type DemoResult, demoResult } from './demo-result.js'
import type { Stage } from './stage.js'
import { type DemoIo, tellStory } from './story.js'
import { killAndTakeOver, reviveAndFailBack, startAll } from './story-steps.js'

/**
 * The two-node story: a owns the VIP and b watches it; a is killed and cut off; b takes over; a comes
 * back; b releases; a reclaims, never with both holding it. Every agent event is printed as it happens.
 */
export function runDemo(stage: Stage, dir: string, io: DemoIo): Promise<DemoResult> {
  const intro = `a owns ${stage.vip}; b watches a and takes it over if a falls silent on both links`
  return tellStory(stage, dir, io, intro, async (story) => {
    await startAll(story, 'both')
    const takeover = await killAndTakeOver(story, 'a', 'b')
    const failback = await reviveAndFailBack(story, 'a', stage.nodes, 'both nodes')
    return demoResult(stage, takeover, failback)
  })
}
