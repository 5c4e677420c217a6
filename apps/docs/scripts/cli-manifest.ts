import { createRequire } from 'node:module'
import { dirname } from 'node:path'
import { type Command, Config, Plugin, settings } from '@oclif/core'

/** One command as the reference documents it: oclif's cached (manifest) form plus its plugin. */
export type CliCommand = Command.Cached

export interface CliTopic {
  /** Space-separated, as typed: `afp reconnect-key`. */
  readonly name: string
  readonly description: string
}

export interface CliManifest {
  readonly bin: string
  readonly version: string
  /** The root plugin's name (`@ipfo/cli`); commands of other plugins name theirs. */
  readonly name: string
  /** Every visible command (hidden flags left out), of the CLI and of its core plugins, sorted; ids as typed (`afp status`). */
  readonly commands: readonly CliCommand[]
  /** Every topic that has visible commands under it, sorted by name. */
  readonly topics: readonly CliTopic[]
}

/** Where the installed `@ipfo/cli` package lives (a workspace symlink in this repo). */
export function cliRoot(): string {
  return dirname(createRequire(import.meta.url).resolve('@ipfo/cli/package.json'))
}

/**
 * Reads the CLI's commands the way `oclif manifest` does: the root plugin is loaded with
 * `ignoreManifest`, so every command class in dist/commands is imported and described afresh, and
 * nothing is written. A stale oclif.manifest.json left in the package (it hides new commands) is
 * ignored. Core plugins (`oclif.plugins`) are loaded as the CLI itself loads them at run time, from
 * their published manifests. User and dev plugins are not part of the CLI and are never loaded.
 */
export async function loadCliManifest(root: string = cliRoot()): Promise<CliManifest> {
  // Under vitest (NODE_ENV=test) oclif would otherwise run the CLI's TypeScript sources; the docs
  // describe the build, as `oclif manifest` does in prepack.
  settings.enableAutoTranspile = false
  const rootPlugin = new Plugin({
    root,
    isRoot: true,
    type: 'core',
    ignoreManifest: true,
    errorOnManifestCreate: true,
    respectNoCacheDefault: true,
  })
  await rootPlugin.load()
  // oclif finds no commands, silently, while the CLI's dist/ is missing or being rebuilt.
  if (rootPlugin.commands.length === 0) {
    throw new Error(
      `${rootPlugin.name} at ${root} has no commands: build it first (npm run build -w ${rootPlugin.name})`,
    )
  }
  const children: Plugin[] = []
  for (const name of rootPlugin.pjson.oclif.plugins ?? []) {
    const plugin = new Plugin({ name, root, type: 'core', errorOnManifestCreate: true })
    await plugin.load()
    children.push(plugin)
  }
  const plugins = new Map([rootPlugin, ...children].map((p) => [p.name, p]))
  const config = await Config.load({ root, plugins })

  const commands = config.commands
    .filter((c) => !c.hidden)
    .map((c) => ({ ...c, flags: visible(c.flags) }))
    .sort((a, b) => a.id.localeCompare(b.id))
  const separator = config.topicSeparator
  const topicNames = new Set(
    commands.flatMap((c) =>
      c.id
        .split(':')
        .slice(0, -1)
        .map((_, i, parts) => parts.slice(0, i + 1).join(':')),
    ),
  )
  const topics = [...topicNames].sort().map((name) => ({
    name: name.replaceAll(':', separator),
    description: config.findTopic(name)?.description ?? '',
  }))
  return {
    bin: config.bin,
    version: config.version,
    name: rootPlugin.name,
    commands: commands.map((c) => ({ ...c, id: c.id.replaceAll(':', separator) })),
    topics,
  }
}

function visible(flags: CliCommand['flags']): CliCommand['flags'] {
  return Object.fromEntries(Object.entries(flags).filter(([, f]) => !f.hidden))
}
