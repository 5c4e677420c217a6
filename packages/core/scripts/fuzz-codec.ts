/**
 * Runs the heartbeat codec properties at length: `npx tsx packages/core/scripts/fuzz-codec.ts [runs] [seed]`.
 * The unit tests run the same properties a few thousand times; this is for before a release or after
 * touching the codec. A failure prints fast-check's report with the seed and path to replay it.
 */
import { codecProperties } from '../src/heartbeat/codec.properties.js'

const [runsText = '1000000', seedText] = process.argv.slice(2)
const runs = Number(runsText)
const seed = seedText === undefined ? (Date.now() ^ (Math.random() * 0x1_0000_0000)) >>> 0 : Number(seedText)
if (!Number.isSafeInteger(runs) || runs < 1 || !Number.isSafeInteger(seed)) {
  console.error('usage: fuzz-codec.ts [runs, default 1000000] [seed]')
  process.exit(2)
}

console.log(`${runs} runs per property, seed ${seed}`)
let failed = 0
for (const [name, check] of Object.entries(codecProperties)) {
  const started = performance.now()
  try {
    check(runs, seed)
    console.log(`ok    ${name} (${((performance.now() - started) / 1000).toFixed(1)}s)`)
  } catch (error) {
    failed++
    console.error(`FAIL  ${name}\n${error instanceof Error ? error.message : String(error)}`)
  }
}
process.exitCode = failed === 0 ? 0 : 1
