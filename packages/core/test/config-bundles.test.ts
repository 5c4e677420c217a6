import { readdirSync } from 'node:fs'
import { copyFile, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
// What the CLI imports, by package name: the bundles the build makes (scripts/bundle.mjs) and the
// errors module.
import { loadConfigFile as bundledLoad } from '@ipfo/core/config-file'
import { peekConfigField as bundledPeek } from '@ipfo/core/config-peek'
import { ConfigError } from '@ipfo/core/errors'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfigFile } from '../src/agent/load-config-file.js'
import { peekConfigField } from '../src/config/peek.js'

/**
 * The bundles behind `@ipfo/core/config-file` and `@ipfo/core/config-peek` (built by `npm run
 * build`, which tests run after) do what the modules do, and throw the one ConfigError the CLI
 * knows: `instanceof` must hold, or `ipfo config check` would exit 1 instead of 3.
 */
const FIXTURES = join(import.meta.dirname, 'fixtures')
const BAD = join(FIXTURES, 'bad-configs')
let dir: string

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ipfo-bundles-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

/** What a load gives: the config, or the error's class, message, path and hint. */
async function outcome(load: (file: string) => Promise<unknown>, file: string): Promise<unknown> {
  return load(file).then(
    (loaded) => ({ loaded: JSON.parse(JSON.stringify(loaded, (_, v) => (Buffer.isBuffer(v) ? 'key' : v))) }),
    (error: Error & { path?: string; hint?: string }) => ({
      name: error.name,
      message: error.message,
      path: error.path,
      hint: error.hint,
    }),
  )
}

describe('the config-file bundle', () => {
  const bad = readdirSync(BAD).filter((f) => /\.(ya?ml|json)$/.test(f))

  it.each(bad)('refuses %s as the module does, with the ConfigError the CLI knows', async (name) => {
    const file = join(BAD, name)
    const error = await bundledLoad(file).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ConfigError)
    expect(await outcome(bundledLoad, file)).toEqual(await outcome(loadConfigFile, file))
  })

  it('loads a good config as the module does (its key missing here: the same refusal)', async () => {
    const file = join(dir, 'good.yaml')
    await copyFile(join(FIXTURES, 'good-config.yaml'), file)
    expect(await outcome(bundledLoad, file)).toEqual(await outcome(loadConfigFile, file))
    expect(await outcome(bundledLoad, join(dir, 'none.yaml'))).toEqual(
      await outcome(loadConfigFile, join(dir, 'none.yaml')),
    )
  })
})

describe('the config-peek bundle', () => {
  it('reads and refuses as the module does', async () => {
    const texts = [
      'node: a\npaths:\n  socket: /tmp/a.sock\n',
      'node: a\n',
      '{"paths":{"socket":"/tmp/j.sock"}}',
      'node: a\npaths:\n  socket: [unclosed\n',
      'node: a\npaths:\n  socket: 42\n',
    ]
    for (const text of texts) {
      const peek = (f: typeof peekConfigField) =>
        f(text, '/etc/ipfo/ipfo.yaml', ['paths', 'socket']).then(
          (value) => ({ value }),
          (e: Error) => ({ name: e.name, message: e.message }),
        )
      expect(await peek(bundledPeek), text).toEqual(await peek(peekConfigField))
    }
    const refused = await bundledPeek('paths: { socket: [x\n', 'f.yaml', ['paths', 'socket']).catch(
      (e: unknown) => e,
    )
    expect(refused).toBeInstanceOf(ConfigError)
  })
})
