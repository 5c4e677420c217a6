import { describe, expect, it } from 'vitest'
import type { CliCommand, CliManifest } from './cli-manifest.js'
import { cliReference, commandAnchor } from './cli-reference.js'

function command(overrides: Partial<CliCommand>): CliCommand {
  return { id: 'x', aliases: [], args: {}, flags: {}, hidden: false, hiddenAliases: [], ...overrides }
}

function manifest(commands: CliCommand[]): CliManifest {
  return {
    bin: 'ipfo',
    version: '1.2.3',
    name: '@ipfo/cli',
    commands,
    topics: [{ name: 'hooks', description: 'Hooks.' }],
  }
}

describe('cliReference', () => {
  const page = cliReference(
    manifest([
      command({
        id: 'hooks add',
        summary: 'Install a hook.',
        examples: [
          '<%= config.bin %> <%= command.id %> email',
          { description: 'With a phase', command: '$ <%= config.bin %> hooks add log' },
        ],
        args: { hook: { name: 'hook', required: true, description: 'the hook' } },
        flags: {
          phase: {
            name: 'phase',
            type: 'option',
            required: true,
            options: ['PreAcq', 'PostAcq'],
            multiple: false,
          },
          config: {
            name: 'config',
            char: 'c',
            type: 'option',
            default: '/etc/ipfo/ipfo.yaml',
            multiple: false,
          },
          force: { name: 'force', type: 'boolean', allowNo: false },
        },
      }),
      command({ id: 'autocomplete', pluginName: '@oclif/plugin-autocomplete', summary: 'Completion.' }),
    ]),
  )

  it('writes a section per command with usage, arguments, flags and examples', () => {
    expect(page).toContain('## ipfo hooks add {#ipfo-hooks-add}')
    expect(page).toContain('ipfo hooks add HOOK --phase <PreAcq|PostAcq> [-c <value>] [--force]')
    expect(page).toContain('| `--phase <option>` (required) |')
    expect(page).toContain('`/etc/ipfo/ipfo.yaml`')
    expect(page).toContain('```sh\nipfo hooks add email\n# With a phase\nipfo hooks add log\n```')
    expect(page).toContain('From the `@oclif/plugin-autocomplete` plugin.')
    expect(page).not.toContain('<%')
  })

  it('lists topics with their commands', () => {
    expect(page).toContain('| `ipfo hooks` | Hooks. | [`ipfo hooks add`](#ipfo-hooks-add) |')
  })

  it('refuses a help template it cannot fill', () => {
    const bad = manifest([command({ id: 'x', description: 'see <%= config.dirname %>' })])
    expect(() => cliReference(bad)).toThrow(/unsupported oclif help template/)
  })
})

describe('commandAnchor', () => {
  it('is the heading slug', () => {
    expect(commandAnchor('ipfo', 'afp reconnect-key set')).toBe('ipfo-afp-reconnect-key-set')
  })
})
