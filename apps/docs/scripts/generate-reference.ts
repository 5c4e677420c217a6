/**
 * Writes the generated reference pages before every docs build (`npm run generate`):
 *   reference/config.md  from the config JSON Schema of @ipfo/core
 *   reference/cli.md     from the oclif manifest of @ipfo/cli
 *   reference/metrics.md from the metrics catalogue of @ipfo/core
 * All are .gitignored: edit the schema, the commands or these scripts, never the pages.
 */
import { copyFile, mkdir, readdir, readFile, writeFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { checkConfig, configJsonSchema, formatIssues } from '@ipfo/core'
import { METRICS } from '@ipfo/core/agent'
import { loadCliManifest } from './cli-manifest.js'
import { cliReference } from './cli-reference.js'
import { COMPLETE, SMALL } from './config-examples.js'
import { configReference, fieldsWithoutExample, type JsonSchema } from './config-reference.js'
import { metricsReference } from './metrics-reference.js'
import { outagePlot } from './outage-plot.js'

const OUT = fileURLToPath(new URL('../reference/', import.meta.url))

/** public/plots/engine-failover.svg from the newest bench/results/engine-failover-*.json. */
async function writePerformancePlot(): Promise<void> {
  const results = fileURLToPath(new URL('../../../bench/results/', import.meta.url))
  const newest = (await readdir(results))
    .filter((f) => /^engine-failover-\d{4}-\d{2}-\d{2}\.json$/.test(f))
    .sort()
    .at(-1)
  if (!newest) throw new Error(`no engine-failover-*.json in ${results}: the performance page needs one`)
  const report = JSON.parse(await readFile(`${results}${newest}`, 'utf8')) as {
    date: string
    results: { interval: string; deadAfter: string; outages: number[] }[]
  }
  const rows = report.results.map((r) => ({ label: `${r.interval} / ${r.deadAfter}`, outagesMs: r.outages }))
  const plots = fileURLToPath(new URL('../public/plots/', import.meta.url))
  await mkdir(plots, { recursive: true })
  await writeFile(
    `${plots}engine-failover.svg`,
    outagePlot(rows, `ipfo failover outage per run, ${report.date.slice(0, 10)}`),
  )
  console.log(`wrote ${plots}engine-failover.svg from ${newest}`)
}

/**
 * public/plots/failover.svg: the plot `npm run bench:failover` drew for the newest
 * bench/results/failover-*.svg (ipfo against keepalived and ucarp), copied as it is.
 */
async function copyFailoverPlot(): Promise<void> {
  const results = fileURLToPath(new URL('../../../bench/results/', import.meta.url))
  const newest = (await readdir(results))
    .filter((f) => /^failover-\d{4}-\d{2}-\d{2}\.svg$/.test(f))
    .sort()
    .at(-1)
  if (!newest) throw new Error(`no failover-*.svg in ${results}: the performance page needs one`)
  const plots = fileURLToPath(new URL('../public/plots/', import.meta.url))
  await mkdir(plots, { recursive: true })
  await copyFile(`${results}${newest}`, `${plots}failover.svg`)
  console.log(`wrote ${plots}failover.svg from ${newest}`)
}

async function main(): Promise<void> {
  for (const [name, example] of Object.entries({ SMALL, COMPLETE })) {
    const check = checkConfig(example)
    if (!check.ok)
      throw new Error(`the ${name} example config is invalid:\n${formatIssues(name, check.issues)}`)
  }
  const schema = configJsonSchema() as JsonSchema
  const bare = fieldsWithoutExample(schema, COMPLETE)
  if (bare.length > 0)
    console.warn(`config fields with no example (add them to scripts/config-examples.ts): ${bare.join(', ')}`)
  const config = configReference(schema, { small: SMALL, complete: COMPLETE })
  const cli = cliReference(await loadCliManifest())
  await mkdir(OUT, { recursive: true })
  await writeFile(`${OUT}config.md`, config)
  await writeFile(`${OUT}cli.md`, cli)
  await writeFile(`${OUT}metrics.md`, metricsReference(METRICS))
  console.log(`wrote ${OUT}config.md, ${OUT}cli.md and ${OUT}metrics.md`)
  await writePerformancePlot()
  await copyFailoverPlot()
}

await main()
