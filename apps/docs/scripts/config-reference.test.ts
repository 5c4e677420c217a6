import { describe, expect, it } from 'vitest'
import {
  configFields,
  configReference,
  constraintsOf,
  fieldAnchor,
  fieldsWithoutExample,
  type JsonSchema,
  typeOf,
} from './config-reference.js'

const schema: JsonSchema = {
  description: 'A test config.',
  type: 'object',
  additionalProperties: false,
  required: ['name'],
  properties: {
    name: { type: 'string', pattern: '^[a-z]+$', description: 'The name.' },
    mode: { type: 'string', enum: ['a', 'b'], default: 'a' },
    items: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        required: ['id'],
        properties: { id: { type: 'integer', minimum: 1, maximum: 9 } },
      },
    },
    log: { type: ['string', 'null'], default: null },
    shared: { $ref: '#/$defs/shared' },
  },
  $defs: { shared: { type: 'object', properties: { on: { type: 'boolean' } } } },
}

describe('configFields', () => {
  it('walks nested objects, array items and $refs, with required per parent', () => {
    const fields = configFields(schema)
    expect(fields.map((f) => f.path)).toEqual([
      'name',
      'mode',
      'items',
      'items[].id',
      'log',
      'shared',
      'shared.on',
    ])
    expect(fields.filter((f) => f.required).map((f) => f.path)).toEqual(['name', 'items[].id'])
  })
})

describe('fieldsWithoutExample', () => {
  it('names the fields the complete example leaves out, looking through every array item', () => {
    const complete = 'name: x\nitems:\n  - {}\n  - id: 2\nshared: {on: true}\n'
    expect(fieldsWithoutExample(schema, complete)).toEqual(['mode', 'log'])
  })
})

describe('typeOf, constraintsOf, fieldAnchor', () => {
  it('describe a field in words', () => {
    expect(typeOf({ type: ['string', 'null'] })).toBe('string or null')
    expect(typeOf({ type: 'array', items: { type: 'string' } })).toBe('array of string')
    expect(constraintsOf({ minimum: 1, maximum: 9, minLength: 1 })).toEqual([
      '1 to 9',
      'at least 1 character',
    ])
    expect(fieldAnchor('peers[].takeover[].address')).toBe('peers-takeover-address')
  })
})

describe('configReference', () => {
  const page = configReference(schema, {
    small: 'name: x\n',
    complete: 'name: x\nmode: b\nitems:\n  - id: 1\n  - id: 2\nlog: /var/log/x\n',
  })

  it('has a section per field, with type, default, allowed values and an example from the config', () => {
    expect(page).toContain('### `items[].id` {#items-id}')
    expect(page).toContain('Allowed values: `"a"`, `"b"`')
    expect(page).toContain('Default: `null`')
    expect(page).toContain('Example: `mode: b`')
    expect(page).toContain('A key the schema does not list is an error')
  })

  it('refuses two fields that would share an anchor', () => {
    const clash: JsonSchema = { properties: { 'a-b': { type: 'string' }, a_b: { type: 'string' } } }
    expect(() => configReference(clash, { small: '', complete: '' })).toThrow(/share the anchor #a-b/)
  })
})
