import { attempt, type Progress, quiet } from './attempts.js'
import type { BenchOptions } from './options.js'
import { aggregateThree, threeRatios, threeTargets } from './report/aggregate-three.js'
import type { TopologyResults } from './report/report.js'
import { runThree, type ThreeRunResult } from './run-three.js'

/**
 * The three-node runs (issue 20), round-robin over the settings like the pair's: each run kills a,
 * then b, and measures both failovers; the pair's idle and stress windows are not run.
 */
export async function runThreeNodes(opts: BenchOptions, progress: Progress): Promise<TopologyResults> {
  const cells = opts.settings.map((setting) => ({
    setting,
    runs: [] as ThreeRunResult[],
    errors: [] as string[],
  }))
  for (let i = 0; i < opts.runs; i++) {
    for (const { setting, runs, errors } of cells) {
      const label = `${setting.id} three nodes ${i + 1}/${opts.runs}`
      const busy = await quiet(opts, progress)
      const result = await attempt(label, () => runThree(setting, opts), errors, progress)
      if (!result) continue
      runs.push(busy === undefined ? result : { ...result, backgroundBusyPercent: busy })
      const outage = (ms: number | null | undefined) => (ms == null ? 'none (no takeover)' : `${ms} ms`)
      progress(
        `${label}: a->b outage ${outage(result.first.outageMs)}, b->c outage ${outage(result.second?.outageMs)}, ` +
          `double answers ${result.doubleAnswers.takeover + result.doubleAnswers.return}, ` +
          `failback outage ${result.returnOutageMs} ms${result.returnCensored ? ' (unsettled)' : ''}`,
      )
    }
  }
  const three = aggregateThree(cells)
  return { results: [], steady: [], three, ratios: threeRatios(three), targets: threeTargets(three) }
}
