import { readdir, readFile, readlink } from 'node:fs/promises'
import { dirname, join, relative, resolve } from 'node:path'

/**
 * Every symbolic link under `root` whose target lies outside it (e.g. back into the repository, as a
 * workspace install links packages), as `<link> -> <target>`. A user's install has none.
 */
export async function linksLeaving(root: string): Promise<string[]> {
  const found: string[] = []
  for (const entry of await readdir(root, { withFileTypes: true, recursive: true })) {
    if (!entry.isSymbolicLink()) continue
    const link = join(entry.parentPath, entry.name)
    const target = resolve(dirname(link), await readlink(link))
    if (relative(root, target).startsWith('..')) found.push(`${link} -> ${target}`)
  }
  return found
}

/**
 * The files of an installed package whose text contains `needle` (e.g. the repository's path): its
 * own files, not those of its node_modules, and no links followed.
 */
export async function filesMentioning(dir: string, needle: string): Promise<string[]> {
  const found: string[] = []
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory() && entry.name !== 'node_modules')
      found.push(...(await filesMentioning(path, needle)))
    else if (entry.isFile() && (await readFile(path)).includes(needle)) found.push(path)
  }
  return found
}
