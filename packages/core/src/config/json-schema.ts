import { z } from 'zod'
import { configSchema } from './schema.js'

/** Where the published schema lives; config files and editors refer to it by this id. */
export const CONFIG_SCHEMA_ID = 'https://ipfo.dev/schema/config.json'

/**
 * The JSON Schema (draft 2020-12) of the config file as written: durations are strings like "3s" and
 * addresses "10.0.0.1/24", not the parsed values the agent uses. Editors use it to complete and check
 * config files; `ipfo config schema` prints it.
 */
export function configJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(configSchema, {
    target: 'draft-2020-12',
    // The input side of each transform is plain JSON; cross-field checks (interval < deadAfter, unique
    // addresses) cannot be expressed and are left to parseConfig; they are no reason to throw.
    io: 'input',
    unrepresentable: 'any',
  })
  const { $schema, ...rest } = schema
  return {
    $schema,
    $id: CONFIG_SCHEMA_ID,
    title: 'ipfo agent config',
    description: 'The config file of the ipfo IP failover agent (YAML or JSON).',
    ...rest,
  }
}
