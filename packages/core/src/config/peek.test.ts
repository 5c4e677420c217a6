import { describe, expect, it } from 'vitest'
import { ConfigError } from '../model/errors.js'
import { parseConfig } from './load.js'
import { peekConfigField } from './peek.js'

const FILE = '/etc/ipfo/ipfo.yaml'
const SOCKET = ['paths', 'socket'] as const
const DIR = ['hooks', 'dir'] as const

/** The ConfigError parseConfig throws for this text. */
function fullCheckError(text: string): ConfigError {
  try {
    parseConfig(text, FILE)
  } catch (error) {
    return error as ConfigError
  }
  throw new Error('parseConfig accepted it')
}

describe('peekConfigField (a field of the config without the schema)', () => {
  it('reads the field from YAML, and undefined when the file does not set it', async () => {
    expect(await peekConfigField('node: a\npaths:\n  socket: /tmp/a.sock\n', FILE, SOCKET)).toBe(
      '/tmp/a.sock',
    )
    expect(await peekConfigField('node: a\nhooks:\n  dir: ./hooks\n', FILE, DIR)).toBe('./hooks')
    expect(await peekConfigField('node: a\n# the socket is the default\n', FILE, SOCKET)).toBeUndefined()
    expect(await peekConfigField('node: a\npaths: { stateDir: /x }\n', FILE, SOCKET)).toBeUndefined()
    expect(await peekConfigField('node: a\npaths:\n  socket: ~\n', FILE, SOCKET)).toBeUndefined()
  })

  it('reads JSON', async () => {
    expect(await peekConfigField('{"node":"a","paths":{"socket":"/tmp/j.sock"}}', FILE, SOCKET)).toBe(
      '/tmp/j.sock',
    )
    // YAML's flow style starts with { too, and is not JSON.
    expect(await peekConfigField('{ node: a, paths: { socket: /tmp/f.sock } }', FILE, SOCKET)).toBe(
      '/tmp/f.sock',
    )
  })

  it('does not validate the rest: an otherwise invalid config still gives its socket', async () => {
    const text = 'node: a\nlinks: nonsense\npaths:\n  socket: /tmp/a.sock\n'
    expect(() => parseConfig(text, FILE)).toThrow(ConfigError)
    expect(await peekConfigField(text, FILE, SOCKET)).toBe('/tmp/a.sock')
  })

  it('refuses a file that does not parse with the full check’s error', async () => {
    const text = 'node: a\npaths:\n  socket: [unclosed\n'
    const error = await peekConfigField(text, FILE, SOCKET).then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(error).toBeInstanceOf(ConfigError)
    expect((error as ConfigError).message).toBe(fullCheckError(text).message)
  })

  it('refuses a field that is not a string with the full check’s error', async () => {
    const text = 'node: a\npaths:\n  socket: 42\n'
    const error = await peekConfigField(text, FILE, SOCKET).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ConfigError)
    expect((error as ConfigError).message).toBe(fullCheckError(text).message)
  })
})
