import { execFile } from 'node:child_process'
import { cp, mkdtemp, readFile, rm, symlink } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { npmEnv } from './user-env.js'

const run = promisify(execFile)

/** The scripts `npm pack` runs in the package's folder. */
const PACK_SCRIPTS = ['prepack', 'prepare', 'postpack'] as const

/** One packed workspace: its tarball and the package.json inside it. */
export interface PackedPackage {
  readonly name: string
  readonly version: string
  /** The .tgz, in the destination folder. */
  readonly file: string
  /** package/package.json of the tarball, as a registry would publish it. */
  readonly manifest: Readonly<Record<string, unknown>>
  /** What npm computed while packing (sha512, base64), to check a registry's against. */
  readonly integrity: string
  /** Every path in the tarball, without the leading `package/`. */
  readonly files: readonly string[]
}

export interface PackOptions {
  /** The repository's root (the folder with the root package.json). */
  readonly root: string
  /** Workspace folders relative to root, e.g. `packages/core`. */
  readonly workspaces: readonly string[]
  /** Where the tarballs go. */
  readonly dest: string
}

/**
 * `npm pack` of each workspace into `dest`. A workspace with pack scripts (the CLI's `prepack`
 * writes `oclif.manifest.json`, its `postpack` removes it) is packed from a staged copy, so the
 * scripts run as in a real publish but never write into the repository while other suites read it.
 * The others are packed in place, in one npm run (npm's start-up is most of a pack's time).
 */
export async function packWorkspaces(opts: PackOptions): Promise<PackedPackage[]> {
  const workspaces = await Promise.all(
    opts.workspaces.map(async (path) => {
      const pkg = JSON.parse(await readFile(join(opts.root, path, 'package.json'), 'utf8')) as PackageJson
      return { path, pkg, staged: PACK_SCRIPTS.some((s) => pkg.scripts?.[s] !== undefined) }
    }),
  )
  const inPlace = workspaces.filter((ws) => !ws.staged).flatMap((ws) => ['--workspace', ws.path])
  const packs = await Promise.all([
    inPlace.length === 0 ? [] : npmPack(opts.root, inPlace, opts.dest),
    ...workspaces.filter((ws) => ws.staged).map((ws) => packStaged(opts.root, ws.path, ws.pkg, opts.dest)),
  ])
  // In the order asked for.
  return workspaces.map((ws) => {
    const found = packs.flat().find((p) => p.name === ws.pkg.name)
    if (found === undefined) throw new Error(`npm pack made no tarball of ${ws.path}`)
    return found
  })
}

async function packStaged(
  root: string,
  workspace: string,
  pkg: PackageJson,
  dest: string,
): Promise<PackedPackage[]> {
  const stage = await stageCopy(root, join(root, workspace), pkg)
  try {
    return await npmPack(stage, [], dest)
  } finally {
    await rm(stage, { recursive: true, force: true })
  }
}

interface PackageJson {
  name: string
  files?: string[]
  scripts?: Record<string, string>
}

/**
 * A copy of what the package publishes (the top folders and files of its `files`, plus package.json,
 * README and LICENSE), with `node_modules` linked to the repository's, where the pack scripts find
 * their tools (oclif) and the package's dependencies.
 */
async function stageCopy(root: string, dir: string, pkg: PackageJson): Promise<string> {
  const stage = await mkdtemp(join(tmpdir(), 'ipfo-stage-'))
  const tops = (pkg.files ?? [])
    .filter((f) => !f.startsWith('!'))
    .map((f) => f.split('/')[0] ?? f)
    .filter((f) => !f.includes('*'))
  for (const name of new Set(['package.json', 'README.md', 'LICENSE', ...tops])) {
    await cp(join(dir, name), join(stage, name), { recursive: true }).catch(
      (error: NodeJS.ErrnoException) => {
        // A file the scripts generate (oclif.manifest.json) is not there yet.
        if (error.code !== 'ENOENT') throw error
      },
    )
  }
  await symlink(join(root, 'node_modules'), join(stage, 'node_modules'), 'dir')
  return stage
}

interface PackJson {
  name: string
  version: string
  filename: string
  integrity: string
  files: { path: string }[]
}

async function npmPack(cwd: string, args: readonly string[], dest: string): Promise<PackedPackage[]> {
  const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', dest, ...args], {
    cwd,
    env: npmEnv(),
    maxBuffer: 64 * 1024 * 1024,
  }).catch((error: Error & { stderr?: string }) => {
    throw new Error(`npm pack ${args.join(' ')} in ${cwd} failed: ${error.stderr ?? error.message}`)
  })
  // Pack scripts print to stdout too; npm's JSON (an array) comes last.
  const reports = JSON.parse(stdout.slice(stdout.lastIndexOf('\n[') + 1)) as PackJson[]
  return Promise.all(
    reports.map(async (report) => {
      const file = join(dest, report.filename)
      const { stdout: text } = await run('tar', ['-xzOf', file, 'package/package.json'])
      return {
        name: report.name,
        version: report.version,
        file,
        manifest: JSON.parse(text) as Record<string, unknown>,
        integrity: report.integrity,
        files: report.files.map((f) => f.path),
      }
    }),
  )
}
