import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { parseConfig } from '../src/config/load.js'
import { ConfigError } from '../src/model/errors.js'

/**
 * Every file in fixtures/bad-configs is a broken config whose header says what the error must say:
 *   # expect: <a substring of the message>
 *   # path: <the field path ConfigError.path names>   (none for YAML/JSON syntax errors)
 *   # at: <line>, <line>:<col> for syntax errors, or - when the field is not in the file
 */
const FIXTURES = join(import.meta.dirname, 'fixtures')
const BAD = join(FIXTURES, 'bad-configs')

function header(text: string, name: string): string | undefined {
  return new RegExp(`^# ${name}: (.*)$`, 'm').exec(text)?.[1]
}

describe('bad configs', () => {
  const files = readdirSync(BAD).filter((f) => /\.(ya?ml|json)$/.test(f))

  it('are plenty', () => {
    expect(files.length).toBeGreaterThanOrEqual(15)
  })

  it.each(files)('%s is refused with the expected message, path and line', (name) => {
    const text = readFileSync(join(BAD, name), 'utf8')
    const expected = header(text, 'expect')
    const path = header(text, 'path')
    const at = header(text, 'at')
    expect(text.startsWith('# expect: '), 'the first line is "# expect: ..."').toBe(true)
    expect(at, 'the header has "# at: ..."').toBeDefined()

    let error: unknown
    try {
      parseConfig(text, name)
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(ConfigError)
    const { message, file, path: errorPath } = error as ConfigError
    expect(file).toBe(name)
    expect(message).toContain(expected)
    expect(message).toMatch(new RegExp(`^${name}: \\d+ problems?\\n`))
    expect(errorPath).toBe(path)
    const where = at === '-' ? name : `${name}:${at}`
    expect(message).toContain(`  ${where} ${path ? `${path}: ` : ''}`)
  })
})

describe('the good config', () => {
  it('parses', () => {
    const config = parseConfig(readFileSync(join(FIXTURES, 'good-config.yaml'), 'utf8'), 'good-config.yaml')
    expect(config).toMatchObject({ node: 'alpha', interval: 500, deadAfter: 2000, onStop: 'keep' })
    expect(config.peers[0]?.takeover.map((a) => a.family)).toEqual([4, 6])
  })
})
