import { lstat, realpath, stat } from 'node:fs/promises'
import { dirname, join, relative, sep } from 'node:path'

/** What the checks need to know about a path (a subset of `fs.Stats`). */
export interface PathFacts {
  readonly uid: number
  readonly mode: number
  isFile(): boolean
  isDirectory(): boolean
  isSymbolicLink(): boolean
}

/** The file system calls the checks make; `node:fs/promises` by default, a fake in tests. */
export interface SafetyFs {
  lstat(path: string): Promise<PathFacts>
  stat(path: string): Promise<PathFacts>
  realpath(path: string): Promise<string>
}

const nodeFs: SafetyFs = { lstat, stat, realpath }

export type SafetyVerdict =
  | { readonly ok: true; readonly realPath: string }
  | { readonly ok: false; readonly reason: string; readonly fix: string }

/**
 * Whether a hook file may be run by an agent with user id `uid`. As root a hook runs with every
 * privilege, so whoever can change it owns the machine. Refused:
 * - the hook, its folder or the hooks folder itself when group or others can write it, or when it is
 *   owned by someone other than root (or the agent's own user, when it is not root);
 * - a hook whose real path (after symlinks, of the file or of a folder) leads out of the hooks folder;
 * - anything that is not a regular file, or that its owner cannot execute.
 * The first problem found is returned, with the command that fixes it. The agent applies these
 * checks only when it runs as root (uid 0).
 */
export async function checkHookSafety(
  hooksDir: string,
  file: string,
  opts: { readonly uid: number; readonly fs?: SafetyFs },
): Promise<SafetyVerdict> {
  const fs = opts.fs ?? nodeFs
  const owners = new Set([0, opts.uid])
  let realDir: string
  let realFile: string
  try {
    realDir = await fs.realpath(hooksDir)
  } catch (error) {
    return refuse(`the hooks folder ${hooksDir} cannot be read (${message(error)})`, `create ${hooksDir}`)
  }
  try {
    realFile = await fs.realpath(file)
  } catch (error) {
    const link = await fs.lstat(file).catch(() => undefined)
    if (link?.isSymbolicLink()) {
      return refuse(`${file} is a symlink to a missing file`, `rm ${file}, or point it at an existing file`)
    }
    return refuse(`${file} cannot be read (${message(error)})`, `check that ${file} exists`)
  }
  if (!inside(realDir, realFile)) return refuseOutside(fs, hooksDir, file, realFile)

  // Every folder from the hooks folder down to the real file, then the file itself.
  const shown = (p: string) => join(hooksDir, relative(realDir, p))
  const chain = [realDir]
  for (let p = dirname(realFile); p !== realDir && inside(realDir, p); p = dirname(p)) chain.splice(1, 0, p)
  for (const p of [...chain, realFile]) {
    let facts: PathFacts
    try {
      facts = await fs.stat(p)
    } catch (error) {
      return refuse(`${shown(p)} cannot be read (${message(error)})`, `check that ${shown(p)} exists`)
    }
    const isHook = p === realFile
    if (isHook && !facts.isFile()) {
      return refuse(`${shown(p)} is not a regular file`, `move ${shown(p)} out of ${dirname(shown(p))}`)
    }
    if (!owners.has(facts.uid)) {
      const wanted = opts.uid === 0 ? 'root' : `root or uid ${opts.uid}`
      return refuse(`${shown(p)} is owned by uid ${facts.uid}, not ${wanted}`, `chown root ${shown(p)}`)
    }
    if ((facts.mode & 0o022) !== 0) {
      const group = (facts.mode & 0o020) !== 0
      const others = (facts.mode & 0o002) !== 0
      const who = group && others ? 'its group and others' : group ? 'its group' : 'others'
      return refuse(`${shown(p)} is writable by ${who}`, `chmod go-w ${shown(p)}`)
    }
    if (isHook && (facts.mode & 0o100) === 0) {
      return refuse(`${shown(p)} is not executable by its owner`, `chmod u+x ${shown(p)}`)
    }
  }
  return { ok: true, realPath: realFile }
}

async function refuseOutside(fs: SafetyFs, hooksDir: string, file: string, realFile: string) {
  const link = await fs.lstat(file).catch(() => undefined)
  if (link?.isSymbolicLink()) {
    return refuse(
      `${file} is a symlink to ${realFile}, outside ${hooksDir}`,
      `copy the file instead of linking it: rm ${file} && cp ${realFile} ${file}`,
    )
  }
  const folder = dirname(file)
  return refuse(
    `${file} is really ${realFile}, outside ${hooksDir} (${folder} or a folder above it is a symlink)`,
    `move the real folder into ${hooksDir} instead of linking to it`,
  )
}

function inside(dir: string, path: string): boolean {
  return path === dir || path.startsWith(dir.endsWith(sep) ? dir : dir + sep)
}

function refuse(reason: string, fix: string): SafetyVerdict {
  return { ok: false, reason, fix }
}

function message(error: unknown): string {
  const code = (error as { code?: unknown }).code
  return typeof code === 'string' ? code : error instanceof Error ? error.message : String(error)
}
