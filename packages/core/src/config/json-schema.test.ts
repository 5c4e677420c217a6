import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { CONFIG_SCHEMA_ID, configJsonSchema } from './json-schema.js'
import { parseConfig } from './load.js'

type Schema = {
  type?: string | string[]
  properties?: Record<string, Schema>
  required?: string[]
  additionalProperties?: boolean
  items?: Schema
  enum?: unknown[]
  pattern?: string
  minItems?: number
  description?: string
}

/** Enough of JSON Schema to check a config's shape; the schema uses no other keywords that matter here. */
function violations(schema: Schema, value: unknown, at = ''): string[] {
  const types = [schema.type ?? []].flat()
  const actual =
    value === null
      ? 'null'
      : Array.isArray(value)
        ? 'array'
        : Number.isInteger(value)
          ? 'integer'
          : typeof value
  if (types.length > 0 && !types.includes(actual) && !(actual === 'integer' && types.includes('number'))) {
    return [`${at}: ${actual} is not ${types.join('|')}`]
  }
  const found: string[] = []
  if (schema.enum && !schema.enum.includes(value)) found.push(`${at}: not in enum`)
  if (schema.pattern && typeof value === 'string' && !new RegExp(schema.pattern).test(value)) {
    found.push(`${at}: does not match ${schema.pattern}`)
  }
  if (Array.isArray(value)) {
    if (schema.minItems !== undefined && value.length < schema.minItems) found.push(`${at}: too few items`)
    value.forEach((item, i) => {
      if (schema.items) found.push(...violations(schema.items, item, `${at}[${i}]`))
    })
  } else if (actual === 'object') {
    const object = value as Record<string, unknown>
    for (const key of schema.required ?? []) if (!(key in object)) found.push(`${at}.${key}: required`)
    for (const [key, item] of Object.entries(object)) {
      const property = schema.properties?.[key]
      if (property) found.push(...violations(property, item, `${at}.${key}`))
      else if (schema.additionalProperties === false) found.push(`${at}.${key}: not allowed`)
    }
  }
  return found
}

const SAMPLE = `
$schema: https://ipfo.dev/schema/config.json
node: alpha
key: /etc/ipfo/heartbeat.key
interval: 500ms
links:
  - { name: private, targets: [10.0.0.255] }
  - { name: public, port: 1700, targets: [192.168.1.255] }
owns: [{ interface: eth0, address: 192.168.1.10/24 }]
peers: [{ id: beta, takeover: [{ interface: eth0, address: 192.168.1.11/24 }] }]
failback: { policy: stable, stableFor: 1m }
paths: { eventLog: null }
`

describe('configJsonSchema', () => {
  const schema = configJsonSchema() as Schema & Record<string, unknown>

  it('is a draft 2020-12 schema with an id and a title', () => {
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema')
    expect(schema.$id).toBe(CONFIG_SCHEMA_ID)
    expect(schema.title).toEqual(expect.any(String))
    expect(JSON.parse(JSON.stringify(schema))).toEqual(schema)
  })

  it('describes the file as written: strings for durations and addresses, required keys, no extras', () => {
    expect(schema.type).toBe('object')
    expect(schema.required).toEqual(['node', 'key', 'links'])
    expect(schema.additionalProperties).toBe(false)
    expect(schema.properties?.interval).toMatchObject({ type: 'string', default: '1s' })
    expect(schema.properties?.owns?.items?.properties?.address?.type).toBe('string')
  })

  it('has a description for every top-level property', () => {
    for (const [key, property] of Object.entries(schema.properties ?? {})) {
      expect(property.description, key).toEqual(expect.stringMatching(/\w/))
    }
  })

  it('accepts a good config, which parseConfig also accepts', () => {
    expect(violations(schema, parse(SAMPLE))).toEqual([])
    expect(() => parseConfig(SAMPLE, 'sample.yaml')).not.toThrow()
  })

  it('rejects a config with a typo, a wrong type and a missing key', () => {
    const bad = { ...parse(SAMPLE), deadafter: '3s', port: '1694' }
    delete bad.links
    expect(violations(schema, bad).sort()).toEqual([
      '.deadafter: not allowed',
      '.links: required',
      '.port: string is not integer',
    ])
  })
})
