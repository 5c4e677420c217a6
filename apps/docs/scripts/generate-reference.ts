/**
 * Writes the generated reference pages before every docs build (`npm run generate`):
 *   reference/config.md  from the config JSON Schema of @ipfo/core
 *   reference/cli.md     from the oclif manifest of @ipfo/cli
 * Both are .gitignored: edit the schema, the commands or these scripts, never the pages.
 */
import { mkdir, writeFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { checkConfig, configJsonSchema, formatIssues } from '@ipfo/core'
import { loadCliManifest } from './cli-manifest.js'
import { cliReference } from './cli-reference.js'
import { COMPLETE, SMALL } from './config-examples.js'
import { configReference, fieldsWithoutExample, type JsonSchema } from './config-reference.js'

const OUT = fileURLToPath(new URL('../reference/', import.meta.url))

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
  console.log(`wrote ${OUT}config.md and ${OUT}cli.md`)
}

await main()
